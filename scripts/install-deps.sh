#!/usr/bin/env bash
# Installs Tweedie's build and test dependencies from Debian 12's archive.
# Idempotent: does nothing (not even `apt-get update`) when every package is present.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ python3 pkg-config
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libdnnl-dev ocl-icd-opencl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libflatbuffers-dev flatbuffers-compiler libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpng-dev zlib1g-dev
  libonnx-dev libprotobuf-dev                 # tweedie-import
  clang-19 libclang-rt-19-dev libomp-19-dev   # tests/fuzz: libFuzzer, sanitizers, OpenMP
  dataset-fashion-mnist
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
