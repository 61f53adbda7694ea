#!/bin/bash
# On the GPU machine, from the repo root, after prepare.sh: WebGPU timings of the generators (Dawn
# on the NVIDIA Vulkan driver, bench-webgpu-node.ts), then PyTorch's (models/neural/bench_gpu.py).
# Logs and JSON go to OUT_DIR (default $OUT, else ./device-out). Environment: FRAMES (30),
# BENCH_ARGS (e.g. --quick), ICD_OVERRIDE (a Vulkan ICD json, e.g. SwiftShader's to try it here).
R=$(pwd); D=$(mktemp -d); O=${1:-${OUT:-$R/device-out}}; mkdir -p "$O"
unx() { xz -dc "$1" > "$2" 2>/dev/null || python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; }
echo "== setup $(date +%T)"
nvidia-smi -L
ldconfig -p | grep -q 'libvulkan.so.1' || { dpkg -x .devicebench/libvulkan1_*.deb /; ldconfig; }
unx .devicebench/node.xz "$D/node"; chmod +x "$D/node"; unx .devicebench/dawn.node.xz "$D/dawn.node"; unx .devicebench/bench.mjs.xz "$D/bench.mjs"
# The driver's own ICD json names libGLX_nvidia.so.0, whose vkCreateInstance fails without a display
# server ("Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'", Dawn then finds no
# adapter); the same Vulkan driver behind libEGL_nvidia.so.0 works headless (seen on the H200 box).
ICD=${ICD_OVERRIDE:-}
if [ -z "$ICD" ]; then
  EGL=$(ls /usr/local/nvidia/lib64/libEGL_nvidia.so.0 2>/dev/null || ldconfig -p | awk '/libEGL_nvidia.so.0/ {print $NF; exit}')
  if [ -n "$EGL" ]; then
    API=$(grep -ho '"api_version" *: *"[0-9.]*"' /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1 | grep -o '[0-9][0-9.]*')
    ICD=$D/nvidia_egl_icd.json
    printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"%s"}}\n' "$EGL" "${API:-1.3.0}" > "$ICD"
  else
    ICD=$(find /usr/local/nvidia /usr /etc /opt -name 'nvidia_icd*.json' 2>/dev/null | head -1)
  fi
fi
echo "node $("$D/node" -v); Vulkan ICD: $ICD"
export VK_DRIVER_FILES=$ICD VK_ICD_FILENAMES=$ICD
export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib:${LD_LIBRARY_PATH:-}
echo "== webgpu bench $(date +%T)"
timeout "${WEBGPU_TIMEOUT:-240}" "$D/node" "$D/bench.mjs" --dawn "$D/dawn.node" --root "$R" --frames "${FRAMES:-30}" ${BENCH_ARGS:-} --json "$O/webgpu.json" 2>&1 | grep --line-buffered -v XDG_RUNTIME | tee "$O/webgpu.log"
echo "== torch bench $(date +%T)"
(cd models && PYTHONUNBUFFERED=1 timeout "${TORCH_TIMEOUT:-120}" python3 -m neural.bench_gpu --steps 20 --json "$O/torch.json" 2>&1 | grep --line-buffered -v NNPACK | tee "$O/torch.log")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
echo "== done $(date +%T)"
rm -rf "$D"
