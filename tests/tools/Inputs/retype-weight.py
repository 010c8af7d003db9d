#!/usr/bin/env python3
"""Copies a .safetensors file with one F32 tensor relabelled as I32 (same bytes).

usage: retype-weight.py IN NAME OUT
"""
import json
import struct
import sys

src, name, out = sys.argv[1:4]
blob = open(src, "rb").read()
length = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + length])
header[name]["dtype"] = "I32"
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(out, "wb").write(struct.pack("<Q", len(text)) + text + blob[8 + length:])
