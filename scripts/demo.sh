#!/usr/bin/env bash
# The main job. For now (foundation): build, then print every bundled model's IR through
# tweedie-opt and run the float64 reference interpreter on the score networks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
OPT=${TWEEDIE_BUILD_DIR:-build}/bin/tweedie-opt
for model in models/*.mlir; do
  echo "==== $model"
  "$OPT" "$model"
done
echo "==== reference interpreter: mlp2d on a random batch of 4"
"$OPT" models/mlp2d.mlir --tweedie-interpret="entry=mlp2d batch=4" -o /dev/null
