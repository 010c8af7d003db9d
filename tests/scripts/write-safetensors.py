#!/usr/bin/env python3
"""Writes a .safetensors file from JSON, independently of Tweedie's own writer.

usage: write-safetensors.py OUT '{"name": [[shape...], [values...]], ...}' [--dtype F32|F64]
"""
import json
import struct
import sys

out, spec = sys.argv[1], json.loads(sys.argv[2])
dtype = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--dtype" else "F32"
fmt, size = {"F32": ("<f", 4), "F64": ("<d", 8)}[dtype]
header, data = {}, b""
for name, (shape, values) in spec.items():
    blob = b"".join(struct.pack(fmt, v) for v in values)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
text = json.dumps(header).encode()
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
