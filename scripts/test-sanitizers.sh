#!/usr/bin/env bash
# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# C API's concurrency tests under ThreadSanitizer. Separate build trees
# (build-asan/, build-tsan/); slow (a full instrumented build), so not in CI:
# run it before resolving an issue that touches the runtime or the readers.
#
#   scripts/test-sanitizers.sh [asan|tsan|all]     (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
what=${1:-all}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

configure() { # DIR FLAGS
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    -DCMAKE_C_FLAGS="$2" -DCMAKE_CXX_FLAGS="$2" -DCMAKE_EXE_LINKER_FLAGS="$2" \
    -DCMAKE_SHARED_LINKER_FLAGS="$2" >/dev/null
}

if [ "$what" = asan ] || [ "$what" = all ]; then
  # vptr checks need RTTI, which LLVM/MLIR code (built with -fno-rtti) lacks.
  flags="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  configure build-asan "$flags"
  cmake --build build-asan
  # allow_user_poisoning=0: llvm/Support/Allocator.h's inline code poisons and
  # unpoisons BumpPtrAllocator slabs (__asan_poison_memory_region) when the
  # including file is built with ASan, as ours are, but Debian's libMLIR/libLLVM
  # were not: memory our inlined copy poisons is then handed out by the library's
  # uninstrumented copy, and ASan reports use-after-poison inside MLIR when a
  # dialect test parses IR. The switch ignores only such manual poisoning; every
  # real overflow or use-after-free is still reported.
  # Leaks are reported (LeakSanitizer); none come from MLIR or LLVM today, so
  # there is nothing to suppress.
  export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The fuzz targets are sanitized builds of their own (label fuzz).
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -LE fuzz --timeout 3000
  echo "==== ASan + UBSan: the suite is green"
fi

if [ "$what" = tsan ] || [ "$what" = all ]; then
  configure build-tsan "-fsanitize=thread -fno-omit-frame-pointer"
  cmake --build build-tsan --target tweedie-concurrency-tests
  # The module comes from the ordinary build's compiler (the test links only the
  # runtime; MLIR's own thread pool is not what is under test).
  scripts/build.sh
  module=build-tsan/concurrency-mlp2d.tweedie
  build/bin/tweedie-compile models/mlp2d.mlir --weights models/mlp2d.safetensors \
    --sampler "ddpm(steps=20)" -o "$module"
  # The sessions run one worker each, so libgomp (uninstrumented) starts no
  # threads: what TSan sees is the host's threads and the runtime's own state.
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  build-tsan/bin/tweedie-concurrency-tests --module="$module"
  echo "==== TSan: concurrent sessions, calls and cancels are race-free"
fi
