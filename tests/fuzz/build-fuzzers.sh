#!/usr/bin/env bash
# Configures (once) and builds the fuzz targets with clang, and makes their seeds
# with the main build's tools: the setup of ctest's fuzz/* cases.
#   build-fuzzers.sh SOURCE_DIR MAIN_BUILD_DIR CLANGXX CLANG
set -euo pipefail
src=$1 main=$2 cxx=$3 cc=$4
out=$main/fuzz
if [ ! -f "$out/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S "$src/tests/fuzz" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" "${launcher[@]}" >"$out.configure.log" 2>&1 ||
    { cat "$out.configure.log"; exit 1; }
fi
cmake --build "$out"
rm -rf "$out/seeds"
"$src/tests/fuzz/make-seeds.sh" "$main/bin" "$src" "$out/seeds"
