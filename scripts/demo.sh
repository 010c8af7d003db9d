#!/usr/bin/env bash
# The main job: compile bundled models into standalone samplers and draw samples.
#   1. mlp2d (2-D score network, weights trained by tweedie-train on 8 Gaussians,
#      models/mlp2d.safetensors) + DDPM, 100 steps -> one executable, `out/mlp2d`,
#      copied to an empty directory and run: 2000 samples -> out/mlp2d.npy and a
#      scatter plot out/mlp2d.png; tweedie-eval compares them with fresh data.
#   2. unet28 (28x28 image U-Net, weights trained by tweedie-train on Fashion-MNIST,
#      models/unet28.safetensors) + its DDPM sampler, 100 steps -> a module run by
#      tweedie-run: 64 samples -> out/unet28.npy and an image grid out/unet28.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BIN=$(pwd)/${TWEEDIE_BUILD_DIR:-build}/bin
mkdir -p out
echo "==== tweedie-compile models/mlp2d.mlir --emit exe -o out/mlp2d"
"$BIN/tweedie-compile" models/mlp2d.mlir --weights models/mlp2d.safetensors --emit exe \
  -o out/mlp2d --report
empty=$(mktemp -d)
cp out/mlp2d "$empty/"
(cd "$empty" && ./mlp2d --num-samples 2000 --seed 1 --out mlp2d.npy --png mlp2d.png)
mv "$empty/mlp2d.npy" "$empty/mlp2d.png" out/ && rm -rf "$empty"
"$BIN/tweedie-eval" out/mlp2d.npy --data 8gaussians

echo "==== tweedie-compile models/unet28.mlir (DDPM, 100 steps) -> out/unet28.tweedie"
"$BIN/tweedie-compile" models/unet28.mlir --weights models/unet28.safetensors \
  -o out/unet28.tweedie --report
"$BIN/tweedie-run" out/unet28.tweedie --num-samples 64 --seed 1 --out out/unet28.npy --png out/unet28.png
echo "==== wrote out/mlp2d (standalone sampler), out/mlp2d.npy, out/mlp2d.png, out/unet28.tweedie, out/unet28.npy, out/unet28.png"
