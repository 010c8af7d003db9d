#!/bin/bash
# Training 30 steps straight and training 12, then resuming to 30, must write
# byte-identical checkpoints (weights, EMA, Adam moments, step); a resume with
# another seed must be refused.
# Usage: train-resume.sh BIN MODELS [MODEL DATA BATCH PART TOTAL]
# (default: mlp2d on moons, 64 per batch, 12 then 30 steps).
set -euo pipefail
bin=$1 models=$2 model=${3:-mlp2d} data=${4:-moons} batch=${5:-64} part=${6:-12} total=${7:-30}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(--data "$data" --batch "$batch" --lr 3e-3 --warmup 5 --clip 1 -q)
"$bin/tweedie-train" "$models/$model.mlir" "${common[@]}" --seed 7 --steps "$total" -o "$dir/straight.safetensors" \
  --log "$dir/straight.csv"
"$bin/tweedie-train" "$models/$model.mlir" "${common[@]}" --seed 7 --steps "$part" -o "$dir/part.safetensors" \
  --log "$dir/resumed.csv"
"$bin/tweedie-train" "$models/$model.mlir" "${common[@]}" --seed 7 --steps "$total" -o "$dir/resumed.safetensors" \
  --resume "$dir/part.safetensors" --log "$dir/resumed.csv"
cmp "$dir/straight.safetensors" "$dir/resumed.safetensors"
cmp "$dir/straight.csv" "$dir/resumed.csv"
if "$bin/tweedie-train" "$models/$model.mlir" "${common[@]}" --seed 8 --steps "$total" \
     -o "$dir/other.safetensors" --resume "$dir/part.safetensors" 2> "$dir/err.txt"; then
  echo "resuming with another seed was accepted" >&2
  exit 1
fi
grep -q "tweedie.seed" "$dir/err.txt"
echo "resume: bit-identical"
