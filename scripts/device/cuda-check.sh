#!/usr/bin/env bash
# Run on the lent GPU machine (after scripts/device/make-cuda-bundle.sh here):
#   1. CPU and CUDA samples of mlp2d (DDPM 1000), unet28 (DDIM 50) and the
#      analytic VP mixture (rk45, its control on the device) from the same
#      noise agree to relative error <= 1e-3 (TF32 off);
#   2. the CUDA loop is one graph launch with no host synchronisation inside
#      (nsys's CUDA API trace of one request, where nsys is installed);
#   3. W1, W2, W2b and W3 against PyTorch eager and torch.compile(max-autotune)
#      on the same GPU (tools/bench/peers.py --device cuda).
# Everything it writes lands in $OUT (the device tool brings it back).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/tweedie-cuda-check}
mkdir -p "$OUT"
tar -xJf .device-bundle.tar.xz
B=$PWD/.device-bundle
export LD_LIBRARY_PATH=$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi -L | tee "$OUT/gpu.txt"

echo "== 1. CPU vs CUDA"
status=0
for case in "mlp2d-ddpm-1000 256" "unet28-ddim-50 16" "mixture_vp-rk45-0 256"; do
  set -- $case
  "$B/bin/tweedie-run" "$B/modules/$1.tweedie" --device cuda -n "$2" -s 7 -q -o "$OUT/$1-cuda.npy" ||
    status=1
  python3 - "$B/reference/$1.npy" "$OUT/$1-cuda.npy" <<'PY' || status=1
import sys, numpy as np
cpu, gpu = (np.load(p).astype(np.float64) for p in sys.argv[1:])
rel = np.linalg.norm(gpu - cpu) / np.linalg.norm(cpu)
print(f"{sys.argv[1]}: relative error {rel:.3e} ({'ok' if rel <= 1e-3 else 'TOO LARGE'})")
sys.exit(0 if rel <= 1e-3 else 1)
PY
done | tee "$OUT/agreement.txt"

echo "== 2. one graph launch, no host sync inside the loop"
if command -v nsys >/dev/null; then
  nsys profile -t cuda -o "$OUT/unet28-ddim" --force-overwrite true \
    "$B/bin/tweedie-bench" sample "$B/modules/unet28-ddim-50.tweedie" --device cuda -n 64 -r 1 \
    >/dev/null 2>&1
  nsys stats -r cuda_api_sum "$OUT/unet28-ddim.nsys-rep" 2>/dev/null |
    grep -E "cuGraphLaunch|cuStreamSynchronize|cuCtxSynchronize|cuLaunchKernel|Name" |
    tee "$OUT/api-calls.txt"
else
  echo "no nsys here: the graph's node count stands in" | tee "$OUT/api-calls.txt"
fi
"$B/bin/tweedie-bench" sample "$B/modules/unet28-ddim-50.tweedie" --device cuda -n 64 -r 3 |
  tee -a "$OUT/api-calls.txt"

echo "== 3. W1-W3 against PyTorch on the GPU"
PYTHONUNBUFFERED=1 timeout 420 python3 tools/bench/peers.py --device cuda --build "$B" \
  --modules "$B/modules" --workloads W1,W2,W2b,W3 --rounds 3 --label "H200 (CUDA)" \
  --write "$OUT/BENCHMARKS-cuda.md" 2>&1 | tee "$OUT/peers.txt"
exit $status
