#!/usr/bin/env bash
# The main job. For now (foundation): build, print every bundled model's IR through
# tweedie-opt, expand mlp2d's DDPM sampler into its loop and run it (100 steps) in the
# float64 reference interpreter. Compiling to a standalone sampler comes with the CPU
# compile path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
OPT=${TWEEDIE_BUILD_DIR:-build}/bin/tweedie-opt
for model in models/*.mlir; do
  echo "==== $model"
  "$OPT" "$model"
done
echo "==== mlp2d's DDPM sampler, expanded (sampler.solve -> sampler.loop, float64 tables)"
"$OPT" models/mlp2d.mlir --tweedie-expand-solve | sed -n '/func.func @sample/,$p' | cut -c1-160
echo "==== ... run for 4 samples in the float64 reference interpreter (synthetic weights)"
"$OPT" models/mlp2d.mlir --tweedie-expand-solve \
  --tweedie-interpret="entry=sample batch=4 seed=1" -o /dev/null
