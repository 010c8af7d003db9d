#!/usr/bin/env bash
# Feeds tweedie-opt every model cut off at many points and with a flipped byte.
# Each must fail cleanly: exit status 1 and a "file:line:col: error:" message;
# a signal (status >= 128) or silent success on a truncated prefix fails the test.
set -u
opt=$1
models=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checked=0

check() { # file, description
  "$opt" "$1" -o /dev/null 2>"$tmp/err"
  local status=$?
  checked=$((checked + 1))
  if [ $status -ge 128 ]; then
    echo "CRASH ($status) on $2"; failures=$((failures + 1))
  elif [ $status -ne 0 ] && ! grep -qE ':[0-9]+:[0-9]+: error: ' "$tmp/err"; then
    echo "no file:line:col diagnostic on $2:"; cat "$tmp/err"; failures=$((failures + 1))
  fi
  return $status
}

for model in "$models"/*.mlir; do
  size=$(stat -c %s "$model")
  step=$((size / 40 + 1))
  for ((cut = 1; cut < size - 2; cut += step)); do
    head -c "$cut" "$model" > "$tmp/cut.mlir"
    # A prefix may happen to end between ops and be valid; it must never crash.
    check "$tmp/cut.mlir" "$(basename "$model") truncated to $cut bytes"
  done
  for ((at = 200; at < size; at += step)); do
    cp "$model" "$tmp/flip.mlir"
    printf '\x07' | dd of="$tmp/flip.mlir" bs=1 seek="$at" conv=notrunc status=none
    check "$tmp/flip.mlir" "$(basename "$model") with byte $at replaced"
  done
done
echo "$checked damaged inputs checked, $failures failures"
[ $failures -eq 0 ]
