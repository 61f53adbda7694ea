#!/bin/bash
# Packs what the GPU timings need on a machine with a GPU but no Node, browser or network (the
# accelerator machine): a bundle of bench-webgpu-node.ts, this machine's node binary, Dawn's
# dawn.node (npm package `webgpu`, from the registry) and Debian's Vulkan loader, all compressed,
# into <repo>/.devicebench/ (add "/.devicebench/" to .git/info/exclude; ~30 MB).
#   bash packages/client/scripts/device/prepare.sh
# Then, on that machine, from the repo root with .devicebench beside it:
#   bash packages/client/scripts/device/run.sh [OUT_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
DST=$ROOT/.devicebench
WEBGPU_VERSION=0.6.2
mkdir -p "$DST"
cd "$ROOT"
npx esbuild packages/client/scripts/bench-webgpu-node.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$DST/bench.mjs" --external:webgpu --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
xz -9f "$DST/bench.mjs"
[ -f "$DST/node.xz" ] || xz -6 -c "$(readlink -f "$(command -v node)")" > "$DST/node.xz"
if [ ! -f "$DST/dawn.node.xz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "webgpu@$WEBGPU_VERSION" >/dev/null && tar xzf "webgpu-$WEBGPU_VERSION.tgz" package/dist/linux-x64/dawn.node)
  xz -9 -c "$tmp/package/dist/linux-x64/dawn.node" > "$DST/dawn.node.xz"
  rm -rf "$tmp"
fi
ls "$DST"/libvulkan1_*.deb >/dev/null 2>&1 || (cd "$DST" && apt-get download libvulkan1)
du -sh "$DST"
