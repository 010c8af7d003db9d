#!/usr/bin/env python3
"""Writes a copy of a .tweedie module whose header claims another format version.

  set-module-version.py IN.tweedie VERSION OUT.tweedie

The header is magic[8], version u32, reserved u32, payload size u64, payload
CRC-32 u32 and the CRC-32 of those 28 bytes (runtime/src/module/ModuleFile.cpp);
the header checksum is recomputed, so the runtime sees a well-formed file of
that version (the version check, not the checksum, must answer).
"""
import struct
import sys
import zlib

source, version, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = bytearray(open(source, "rb").read())
struct.pack_into("<I", data, 8, version)
struct.pack_into("<I", data, 28, zlib.crc32(bytes(data[:28])) & 0xFFFFFFFF)
open(target, "wb").write(data)
