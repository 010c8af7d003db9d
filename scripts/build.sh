#!/usr/bin/env bash
# Configures (once) and builds Tweedie into ./build with Ninja, using ccache when present.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${TWEEDIE_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} "${launcher[@]}"
fi
cmake --build "$BUILD_DIR"
