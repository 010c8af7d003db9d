#!/usr/bin/env bash
# Prepares what scripts/device/cuda-check.sh needs on a GPU machine that has
# CUDA and PyTorch but neither Tweedie's build nor Debian's libraries: the
# runtime tools (tweedie-run, tweedie-bench) with the shared libraries they
# load, the bundled models compiled here with --target cuda (the GPU machine
# has no tweedie-compile), and the CPU backend's samples to compare against.
# Modules target x86-64-v3 for their CPU kernels (whatever the GPU host has).
# Writes .device-bundle.tar.xz (ignored by git; carry it: device `run` with
# carry [".device-bundle.tar.xz"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${TWEEDIE_BUILD_DIR:-build}
OUT=.device-bundle
rm -rf "$OUT" && mkdir -p "$OUT/bin" "$OUT/lib" "$OUT/modules" "$OUT/reference"
grep -qx '/.device-bundle\*' .git/info/exclude 2>/dev/null || echo '/.device-bundle*' >>.git/info/exclude

cp "$BUILD/bin/tweedie-run" "$BUILD/bin/tweedie-bench" "$OUT/bin/"
# Every non-system library they load (glibc, libstdc++ and libgcc stay: the
# GPU machine's are newer and backward compatible).
for binary in "$OUT/bin/"*; do
  ldd "$binary" | awk '/=> \// {print $3}'
done | sort -u | grep -vE '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)\.so' |
  while read -r library; do cp -L "$library" "$OUT/lib/"; done

compile() { # model method steps spec
  "$BUILD/bin/tweedie-compile" "models/$1.mlir" --sampler "$4" --weights "models/$1.safetensors" \
    --target cuda --cpu x86-64-v3 -o "$OUT/modules/$1-$2-$3.tweedie" >/dev/null
}
# The peers' equivalence checks (DDIM 1 and 5 steps) and workloads W1, W2, W2b
# (tools/bench/peers.py names them so).
for model in mlp2d unet28; do
  compile $model ddim 1 "ddim(steps=1)"
  compile $model ddim 5 "ddim(steps=5)"
done
compile mlp2d ddpm 1000 "ddpm(steps=1000)"
compile unet28 ddim 50 "ddim(steps=50)"
compile unet28 dpmpp2m 20 "dpm_solver_pp_2m(steps=20)"
# The adaptive integrator with its control on the device (an analytic score:
# no weights).
"$BUILD/bin/tweedie-compile" models/analytic/mixture_vp.mlir --sampler "rk45(rtol=1e-5, atol=1e-5)" \
  --target cuda --cpu x86-64-v3 -o "$OUT/modules/mixture_vp-rk45-0.tweedie" >/dev/null
# CPU references for the agreement check: the same modules, seeds and counts.
"$BUILD/bin/tweedie-run" "$OUT/modules/mlp2d-ddpm-1000.tweedie" -n 256 -s 7 -q \
  -o "$OUT/reference/mlp2d-ddpm-1000.npy"
"$BUILD/bin/tweedie-run" "$OUT/modules/unet28-ddim-50.tweedie" -n 16 -s 7 -q \
  -o "$OUT/reference/unet28-ddim-50.npy"
"$BUILD/bin/tweedie-run" "$OUT/modules/mixture_vp-rk45-0.tweedie" -n 256 -s 7 -q \
  -o "$OUT/reference/mixture_vp-rk45-0.npy"

tar -cJf "$OUT.tar.xz" "$OUT"
du -h "$OUT.tar.xz"
