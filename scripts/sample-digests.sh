#!/usr/bin/env bash
# Digests of what the bundled models compute: samples under several samplers,
# a likelihood, a classifier's Fréchet distance and short training runs. Run it
# before and after a change that must not alter any number (a restructuring)
# and diff the two listings:
#   scripts/sample-digests.sh > before.txt; ...; scripts/sample-digests.sh > after.txt
#   diff before.txt after.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/${TWEEDIE_BUILD_DIR:-build}/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | compile arguments | run arguments (@WORK@: where earlier outputs are)
samplers=(
  "mlp2d-ddpm|models/mlp2d.mlir --weights models/mlp2d.safetensors|-n 300"
  "mlp2d-ddim|models/mlp2d.mlir --weights models/mlp2d.safetensors --sampler ddim(steps=20)|-n 300"
  "mlp2d-heun|models/mlp2d.mlir --weights models/mlp2d.safetensors --sampler heun(steps=10)|-n 300"
  "mlp2d-dpm3|models/mlp2d.mlir --weights models/mlp2d.safetensors --sampler dpm_solver_3(steps=10, spacing=logsnr)|-n 300"
  "mixture-rk45|models/analytic/mixture_vp.mlir --sampler rk45(rtol=1e-4, atol=1e-4)|-n 100"
  "mixture-dpmpp2m|models/analytic/mixture_vp.mlir --sampler dpm_solver_pp_2m(steps=15, spacing=logsnr)|-n 200"
  "ebm2d|models/ebm2d.mlir --weights models/ebm2d.safetensors|-n 300"
  "unet28-ddpm|models/unet28.mlir --weights models/unet28.safetensors|-n 4"
  "unet28-ddim|models/unet28.mlir --weights models/unet28.safetensors --sampler ddim(steps=10)|-n 4"
  "gaussian-pc|models/analytic/gaussian_vp.mlir --sampler pc(steps=50)|-n 200"
  "gaussian-likelihood|models/analytic/gaussian_vp.mlir --sampler likelihood(rtol=1e-5, atol=1e-5)|--data @WORK@/gaussian-pc.npy"
  "gaussian-em|models/analytic/gaussian_vp.mlir --sampler euler_maruyama(steps=50)|-n 200"
  "energy-mala|models/analytic/gaussian_energy.mlir --sampler mala(steps=50)|-n 200"
)
cd "$root"
for entry in "${samplers[@]}"; do
  IFS='|' read -r name compile run <<<"$entry"
  read -ra args <<<"${compile%%--sampler*}"
  if [[ $compile == *--sampler* ]]; then
    args+=(--sampler "${compile#*--sampler }")
  fi
  "$bin/tweedie-compile" "${args[@]}" -o "$work/$name.tweedie" 2>/dev/null
  echo "$name-module $(sha256sum <"$work/$name.tweedie" | cut -c1-16)"
  run=${run//@WORK@/$work} # an earlier entry's output
  # shellcheck disable=SC2086
  "$bin/tweedie-run" "$work/$name.tweedie" $run --seed 7 --threads 2 -q -o "$work/$name.npy" \
    >/dev/null
  echo "$name $(sha256sum <"$work/$name.npy" | cut -c1-16)"
done

# The classifier's features (a network evaluation on the whole-batch executor).
"$bin/tweedie-eval" "$work/unet28-ddpm.npy" --data fashion-mnist 2>&1 | grep 'Fréchet' |
  sed 's/^ */fmnist-classifier /'

# Training steps (the whole-batch executor, gradients and the optimiser).
for model in mlp2d ebm2d; do
  "$bin/tweedie-train" "models/$model.mlir" --data 8gaussians --steps 20 --batch 64 --seed 3 \
    -q -o "$work/$model-train.safetensors" --log "$work/$model-train.csv" 2>/dev/null
  echo "$model-train $(sha256sum <"$work/$model-train.csv" | cut -c1-16)"
done
"$bin/tweedie-train" models/unet28.mlir --data fashion-mnist --steps 2 --batch 4 --seed 3 -q \
  -o "$work/unet28-train.safetensors" --log "$work/unet28-train.csv" 2>/dev/null
echo "unet28-train $(sha256sum <"$work/unet28-train.csv" | cut -c1-16)"
"$bin/tweedie-train" models/fmnist_classifier.mlir --objective cross-entropy --data fashion-mnist \
  --steps 2 --batch 16 --seed 3 -q -o "$work/classifier-train.safetensors" \
  --log "$work/classifier-train.csv" 2>/dev/null
echo "classifier-train $(sha256sum <"$work/classifier-train.csv" | cut -c1-16)"
