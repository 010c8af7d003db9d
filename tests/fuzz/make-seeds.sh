#!/usr/bin/env bash
# Seeds for the fuzz targets, made from real files by the real tools:
#   make-seeds.sh BIN_DIR SOURCE_DIR OUT_DIR
# OUT_DIR/<target>/ gets a few valid inputs each (modules with and without
# generated kernels, the kernel object inside one, arrays, weights, IDX).
set -euo pipefail
bin=$1 src=$2 out=$3
mkdir -p "$out"/{npy,safetensors,idx,kernel-library,module-load}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$src/models/analytic/gaussian_vp.mlir
"$bin/tweedie-compile" "$model" --sampler "euler(steps=4)" -o "$out/module-load/euler.tweedie" 2>/dev/null
"$bin/tweedie-compile" "$model" --sampler "euler(steps=4)" --kernels builtin \
  -o "$out/module-load/builtin.tweedie" 2>/dev/null
"$bin/tweedie-compile" "$model" --sampler "rk45" -o "$out/module-load/rk45.tweedie" 2>/dev/null
"$bin/tweedie-run" "$out/module-load/euler.tweedie" -n 3 -q -o "$out/npy/samples.npy"
python3 - "$out" "$src" <<'PY'
import json, struct, sys
out, src = sys.argv[1], sys.argv[2]
# The kernel object a module carries: the ELF image up to its section headers.
blob = open(f"{out}/module-load/euler.tweedie", "rb").read()
at = blob.find(b"\x7fELF")
shoff, = struct.unpack_from("<Q", blob, at + 0x28)
shentsize, shnum = struct.unpack_from("<HH", blob, at + 0x3a)
open(f"{out}/kernel-library/kernels.so", "wb").write(blob[at:at + shoff + shentsize * shnum])
# Weights: F32 and F16 tensors with metadata, as another writer makes them.
def safetensors(name, tensors, metadata):
    header, data = {"__metadata__": metadata}, b""
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    open(f"{out}/safetensors/{name}", "wb").write(struct.pack("<Q", len(text)) + text + data)
safetensors("weights.safetensors",
            {"w": ("F32", [2, 3], struct.pack("<6f", *range(6))),
             "h": ("F16", [2], struct.pack("<2e", 0.5, -2.0)),
             "b": ("BF16", [1], b"\x80\x3f")}, {"format": "pt"})
# IDX: the magic, two sizes, the bytes.
open(f"{out}/idx/images.idx", "wb").write(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6)))
# A .npy of format 2.0 with a longer header.
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }"
h += " " * (-(12 + len(h) + 1) % 64) + "\n"
open(f"{out}/npy/v2.npy", "wb").write(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(h)) + h.encode() + bytes(8))
PY
