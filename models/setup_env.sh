#!/usr/bin/env bash
# Idempotently create the Python venv used by models/neural (training, export, tests).
# Offline-safe: when the venv already satisfies models/requirements.txt (stamp = sha256 of
# the file), nothing is installed and no index is contacted.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/visage/py-venv"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.visage-requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "setup_env: venv $VENV is up to date with models/requirements.txt"
  exit 0
fi
PY="${VISAGE_PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup_env: creating venv $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
echo "setup_env: installing models/requirements.txt into $VENV"
# Short timeouts so an unreachable public index fails fast; local indexes/wheel dirs from pip's
# own configuration are used as usual.
"$VENV/bin/pip" install --disable-pip-version-check --retries 1 --timeout 15 -r "$REQ"
echo "$WANT" > "$STAMP"
echo "setup_env: done"
