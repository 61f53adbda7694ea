#!/usr/bin/env bash
# Set up the venv and run the neural-generator tests. Exit code: pytest's, with
# "no tests collected" (5) treated as a failure.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/setup_env.sh" >&2 || exit 1
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/visage/py-venv"
cd "$HERE"
PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m pytest -q neural/tests "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "test.sh: no tests collected" >&2; exit 1; fi
exit $rc
