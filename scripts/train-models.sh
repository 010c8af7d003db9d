#!/bin/bash
# Retrains the shipped weights with tweedie-train (after scripts/build.sh):
#   models/mlp2d.safetensors  DDPM (L_simple) on 8gaussians, EMA weights
#   models/ebm2d.safetensors  NCSN DSM through the energy's score on 8gaussians, EMA weights
# Usage: scripts/train-models.sh [BUILD_DIR]   (about 25 minutes on 2 cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/tweedie-train" "$root/models/mlp2d.mlir" --data 8gaussians --steps 30000 --batch 512 \
  --lr 2e-3 --warmup 500 --clip 1.0 --ema 0.999 --seed 1 \
  -o "$work/mlp2d-checkpoint.safetensors" --export "$root/models/mlp2d.safetensors" \
  --log "$work/mlp2d-loss.csv"
"$bin/tweedie-train" "$root/models/ebm2d.mlir" --data 8gaussians --steps 30000 --batch 512 \
  --lr 2e-3 --warmup 500 --clip 1.0 --ema 0.999 --seed 1 \
  -o "$work/ebm2d-checkpoint.safetensors" --export "$root/models/ebm2d.safetensors" \
  --log "$work/ebm2d-loss.csv"
