#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds examples/host against it
# with find_package(Tweedie), and checks what a user of the package gets:
#   - the installed tweedie-compile finds its stub (--emit exe) and writes modules;
#   - the example, linked only against the installed runtime, draws the same
#     bits as the installed tweedie-run for the same seed.
# usage: installed-host-example.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in include/tweedie/tweedie.h include/tweedie/tweedie.hpp \
         lib/cmake/Tweedie/TweedieConfig.cmake bin/tweedie-compile bin/tweedie-run \
         libexec/tweedie/tweedie-sampler-stub; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
if [ -e "$prefix/include/tweedie/module" ]; then
  echo "FAIL: the runtime's internal headers are installed"; exit 1
fi

# The host is built with the build's own flags: under scripts/test-sanitizers.sh
# an instrumented runtime needs an instrumented host.
cxx_flags=$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$build/CMakeCache.txt")
link_flags=$(sed -n 's/^CMAKE_EXE_LINKER_FLAGS:STRING=//p' "$build/CMakeCache.txt")
cmake -S "$src/examples/host" -B "$work/host" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$cxx_flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$link_flags" > "$work/configure.log"
cmake --build "$work/host" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
# (Captured first: `ldd | grep -q` can fail under pipefail when grep exits early.)
libraries=$(ldd "$work/host/tweedie-host-example")
if [[ "$libraries" != *"$prefix/lib/libtweedie_runtime.so"* ]]; then
  echo "FAIL: the example does not use the installed runtime:"
  echo "$libraries"
  exit 1
fi

"$prefix/bin/tweedie-compile" "$src/models/mlp2d.mlir" -o "$work/mlp2d.tweedie"
"$prefix/bin/tweedie-compile" "$src/models/mlp2d.mlir" --emit exe -o "$work/mlp2d-exe"

n=300
"$work/host/tweedie-host-example" "$work/mlp2d.tweedie" $n 5 "$work/host.f32" | tee "$work/host.log"
grep -q "redrawn alone: bit-identical" "$work/host.log"
"$prefix/bin/tweedie-run" "$work/mlp2d.tweedie" -n $n -s 5 -o "$work/run.npy" -q
"$work/mlp2d-exe" -n $n -s 5 -o "$work/exe.npy" -q
bytes=$((n * 2 * 4))
[ "$(stat -c %s "$work/host.f32")" -eq $bytes ] || { echo "FAIL: wrong output size"; exit 1; }
# The .npy payload is the last n*2 floats of the file.
cmp <(tail -c $bytes "$work/run.npy") "$work/host.f32"
cmp <(tail -c $bytes "$work/exe.npy") "$work/host.f32"
echo "installed package: example, tweedie-run and --emit exe agree bit for bit"
