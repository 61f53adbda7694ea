#!/usr/bin/env bash
# Builds the mediasoup worker offline against Debian bookworm's libraries and caches the
# binary outside the clone, keyed by mediasoup version and this script's content.
#
#   scripts/build-worker.sh            build if missing, print the binary's path
#   scripts/build-worker.sh --path     print the path the binary has (or will have)
#
# mediasoup's own install downloads a prebuilt worker from GitHub, else fetches every
# meson subproject from the internet. Here each subproject folder is replaced by a shim
# meson project exposing the system library under the names mediasoup's meson.build reads.
set -euo pipefail

MEDIASOUP_VERSION=3.12.16
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
key=$(cat "$0" | sha256sum | cut -c1-12)
cache="${VISAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/visage}"
bin="$cache/mediasoup-worker-$MEDIASOUP_VERSION-$key/mediasoup-worker"

if [ "${1:-}" = "--path" ]; then echo "$bin"; exit 0; fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

log() { echo "[build-worker] $*" >&2; }

need_pkgs=()
for p in libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev pkg-config g++; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

# meson >= 1.1 (Debian's 1.0 is too old) and ninja, from the machine's pip index.
MESON=""
if command -v meson >/dev/null && meson --version | awk -F. '{exit !($1>1 || ($1==1 && $2>=1))}'; then
  MESON=meson
else
  venv="$cache/meson-venv"
  if [ ! -x "$venv/bin/meson" ]; then
    log "installing meson and ninja into $venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q 'meson>=1.1' ninja >&2
  fi
  MESON="$venv/bin/meson"
  export PATH="$venv/bin:$PATH"
fi
command -v ninja >/dev/null || { log "ninja not found"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/visage-worker-XXXXXX")
trap 'rm -rf "$work"' EXIT
log "fetching mediasoup@$MEDIASOUP_VERSION sources from the npm registry"
(cd "$work" && npm pack --silent "mediasoup@$MEDIASOUP_VERSION" >/dev/null && tar xzf "mediasoup-$MEDIASOUP_VERSION.tgz")
src="$work/package/worker"

shim() { # shim <wrap name> <meson.build body>
  local dir
  dir=$(sed -n 's/^directory *= *//p' "$src/subprojects/$1.wrap")
  mkdir -p "$src/subprojects/$dir"
  printf '%s\n' "$2" > "$src/subprojects/$dir/meson.build"
  # Options mediasoup passes in default_options must exist in the subproject.
  cat > "$src/subprojects/$dir/meson_options.txt" <<'OPTS'
option('build_tests', type: 'boolean', value: false)
option('build_benchmarks', type: 'boolean', value: false)
option('crypto-library', type: 'string', value: 'openssl')
option('crypto-library-kdf', type: 'string', value: 'disabled')
option('tests', type: 'string', value: 'disabled')
option('sctp_build_programs', type: 'boolean', value: false)
OPTS
  echo 'int visage_shim_placeholder_'"${1//-/_}"';' > "$src/subprojects/$dir/shim.c"
}

shim openssl "project('openssl', ['c', 'cpp'])
openssl_dep = dependency('openssl', version: '>=3.0')
libcrypto_lib = static_library('crypto_shim', 'shim.c')
libssl_lib = static_library('ssl_shim', 'shim.c')"
shim nlohmann_json "project('nlohmann_json', ['c', 'cpp'])
nlohmann_json_dep = dependency('nlohmann_json')"
shim libuv "project('libuv', ['c', 'cpp'])
libuv_dep = dependency('libuv')
libuv = static_library('uv_shim', 'shim.c')"
shim libsrtp2 "project('libsrtp2', ['c', 'cpp'])
libsrtp2_dep = declare_dependency(dependencies: dependency('libsrtp2'), include_directories: include_directories('/usr/include/srtp2'))
libsrtp2 = static_library('srtp2_shim', 'shim.c')"
shim usrsctp "project('usrsctp', ['c', 'cpp'])
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_shim', 'shim.c')"
shim abseil-cpp "project('abseil-cpp', ['c', 'cpp'])
absl_container_dep = declare_dependency(dependencies: [dependency('absl_flat_hash_map'), dependency('absl_flat_hash_set'), dependency('absl_btree'), dependency('absl_inlined_vector'), dependency('absl_node_hash_map')])
absl_container_lib = static_library('absl_shim', 'shim.c')
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')"
shim catch2 "project('catch2', ['c', 'cpp'])
catch2_dep = declare_dependency()"

log "configuring (meson $($MESON --version))"
(cd "$src" && "$MESON" setup --wrap-mode=nodownload --buildtype=release -Db_ndebug=true build >&2)
log "compiling mediasoup-worker (10-20 minutes on 2 cores)"
(cd "$src" && ninja -C build mediasoup-worker >&2)
mkdir -p "$(dirname "$bin")"
cp "$src/build/mediasoup-worker" "$bin.tmp"
mv "$bin.tmp" "$bin"
log "built $bin"
echo "$bin"
