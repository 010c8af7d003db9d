#!/usr/bin/env bash
# Runs one fuzz target: first over its regression inputs (each a crash once
# found, kept so it stays fixed), then for SECONDS from the seeds. Fails on any
# crash, sanitizer report or leak; prints libFuzzer's execution count.
#   run-fuzzer.sh FUZZ_BIN_DIR TARGET SECONDS SEED_DIR REGRESSION_DIR WORK_DIR
set -euo pipefail
bin=$1/fuzz-$2 target=$2 seconds=$3 seeds=$4/$2 regressions=$5/$2 work=$6/$2
mkdir -p "$work/corpus" "$work/artifacts"
# The sanitizers' reports are errors; MLIR is not in these binaries, so no
# suppressions are needed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
inputs=("$regressions"/*)
if [ -e "${inputs[0]}" ]; then
  echo "== $target: ${#inputs[@]} regression inputs"
  "$bin" -rss_limit_mb=4096 "${inputs[@]}" 2>&1 | tail -n 3
fi
echo "== $target: fuzzing for ${seconds}s"
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" \
  >"$work/log" 2>&1 || { tail -n 40 "$work/log"; echo "== $target: a crash; the input is in $work/artifacts (add it to $regressions)"; exit 1; }
grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "$work/log"
