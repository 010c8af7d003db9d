#!/usr/bin/env bash
# Tweedie against PyTorch eager, torch.compile, ONNX Runtime and OpenVINO on the same
# networks and weights (tools/bench/peers.py --help for the options and workloads).
#
#   tools/bench/run-peers.sh [--threads 2] [--rounds 3] [--workloads W1,W2,W2b,W3,W4] ...
#
# Needs a built tree (scripts/build.sh). The peers come from PyPI into a virtualenv
# outside the source tree ($TWEEDIE_PEERS_VENV, default ~/.cache/tweedie-peers/venv);
# a peer that does not install is reported and left out. Not part of ctest or CI.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
for arg in "$@"; do # help needs no virtualenv (peers.py's top level is stdlib only)
  case $arg in -h | --help) exec python3 "$root/tools/bench/peers.py" --help ;; esac
done
venv=${TWEEDIE_PEERS_VENV:-$HOME/.cache/tweedie-peers/venv}
[ -x "$root/build/bin/tweedie-bench" ] || { echo "run-peers.sh: build first (scripts/build.sh)" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
engines=tweedie
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy safetensors \
  || { echo "run-peers.sh: numpy/safetensors did not install" >&2; exit 1; }
for peer in torch onnx onnxruntime openvino; do
  "$venv/bin/python" -c "import $peer" 2>/dev/null \
    || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$peer" \
    || echo "run-peers.sh: $peer did not install; its columns are left out" >&2
done
have() { "$venv/bin/python" -c "import $1" 2>/dev/null; }
have torch || { echo "run-peers.sh: PyTorch is needed (it rebuilds the networks for every peer)" >&2; exit 1; }
engines+=,torch,torch.compile
have onnx && have onnxruntime && engines+=,onnxruntime
have onnx && have openvino && engines+=,openvino
exec "$venv/bin/python" "$root/tools/bench/peers.py" --engines "$engines" "$@"
