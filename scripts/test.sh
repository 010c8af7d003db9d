#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: dependencies, build, ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${TWEEDIE_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
