#!/bin/bash
# Training 30 steps straight and training 12, then resuming to 30, must write
# byte-identical checkpoints (weights, EMA, Adam moments, step); a resume with
# another seed must be refused.
set -euo pipefail
bin=$1 models=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(--data moons --batch 64 --lr 3e-3 --warmup 5 --clip 1 -q)
"$bin/tweedie-train" "$models/mlp2d.mlir" "${common[@]}" --seed 7 --steps 30 -o "$dir/straight.safetensors" \
  --log "$dir/straight.csv"
"$bin/tweedie-train" "$models/mlp2d.mlir" "${common[@]}" --seed 7 --steps 12 -o "$dir/part.safetensors" \
  --log "$dir/resumed.csv"
"$bin/tweedie-train" "$models/mlp2d.mlir" "${common[@]}" --seed 7 --steps 30 -o "$dir/resumed.safetensors" \
  --resume "$dir/part.safetensors" --log "$dir/resumed.csv"
cmp "$dir/straight.safetensors" "$dir/resumed.safetensors"
cmp "$dir/straight.csv" "$dir/resumed.csv"
if "$bin/tweedie-train" "$models/mlp2d.mlir" "${common[@]}" --seed 8 --steps 30 \
     -o "$dir/other.safetensors" --resume "$dir/part.safetensors" 2> "$dir/err.txt"; then
  echo "resuming with another seed was accepted" >&2
  exit 1
fi
grep -q "tweedie.seed" "$dir/err.txt"
echo "resume: bit-identical"
