#!/bin/bash
# Retrains the shipped weights with tweedie-train (after scripts/build.sh):
#   models/mlp2d.safetensors  DDPM (L_simple) on 8gaussians, EMA weights
#   models/ebm2d.safetensors  NCSN DSM through the energy's score on 8gaussians, EMA weights
#   models/fmnist_classifier.safetensors  cross-entropy on Fashion-MNIST (the features
#                                         tweedie-eval's Fréchet distance reads)
#   models/unet28.safetensors DDPM (L_simple) on Fashion-MNIST, EMA weights
# Usage: scripts/train-models.sh [BUILD_DIR] [MODELS...]   (default: all; about 25 minutes
# on 2 cores for the 2-D models, 15 for the classifier, 2 hours for unet28)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/bin
shift || true
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mlp2d ebm2d fmnist_classifier unet28)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
train() { # MODEL ARGS...
  local model=$1
  shift
  "$bin/tweedie-train" "$root/models/$model.mlir" "$@" \
    -o "$work/$model-checkpoint.safetensors" --export "$root/models/$model.safetensors" \
    --log "$work/$model-loss.csv"
}
for model in "${models[@]}"; do
  case $model in
  mlp2d | ebm2d)
    train "$model" --data 8gaussians --steps 30000 --batch 512 --lr 2e-3 --warmup 500 \
      --clip 1.0 --ema 0.999 --seed 1 ;;
  fmnist_classifier)
    train "$model" --objective cross-entropy --data fashion-mnist --steps 3000 --batch 128 \
      --lr 1e-3 --warmup 100 --ema 0.995 --seed 3 ;;
  unet28)
    train "$model" --data fashion-mnist --steps 6000 --batch 64 --lr 5e-4 --warmup 200 \
      --ema 0.999 --checkpoint-every 200 --seed 1 ;;
  *) echo "train-models.sh: no recipe for '$model'" >&2; exit 1 ;;
  esac
done
