#!/usr/bin/env python3
"""Writes the first N images of an IDX image file (e.g. Fashion-MNIST's
t10k-images-idx3-ubyte.gz) as 8-bit grey PNGs into OUT_DIR (stdlib only):
a folder of a user's own images for tweedie-train --data.

usage: write-png-folder.py IMAGES.idx3-ubyte.gz OUT_DIR N"""
import gzip
import os
import struct
import sys
import zlib


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def main():
    source, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with gzip.open(source, "rb") as f:
        magic, count, height, width = struct.unpack(">IIII", f.read(16))
        if magic != 0x803:
            sys.exit(f"{source}: not an IDX file of 3-D bytes")
        os.makedirs(out, exist_ok=True)
        for i in range(min(n, count)):
            pixels = f.read(height * width)
            rows = [pixels[r * width:(r + 1) * width] for r in range(height)]
            with open(os.path.join(out, f"image{i:05d}.png"), "wb") as image:
                image.write(png(width, height, rows))


if __name__ == "__main__":
    main()
