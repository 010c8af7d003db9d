#!/usr/bin/env python3
"""Copies a .safetensors file with one F32 tensor's first value set to NaN.

usage: poison-weight.py IN NAME OUT
"""
import json
import struct
import sys

src, name, out = sys.argv[1:4]
blob = bytearray(open(src, "rb").read())
length = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + length])
begin = 8 + length + header[name]["data_offsets"][0]
blob[begin:begin + 4] = struct.pack("<f", float("nan"))
open(out, "wb").write(blob)
