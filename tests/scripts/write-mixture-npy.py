#!/usr/bin/env python3
"""Writes N points of a 2-D Gaussian mixture as a float32 .npy (stdlib only):
a user's own training data, unlike any built-in set.

usage: write-mixture-npy.py OUT.npy [N]"""
import random
import struct
import sys

MEANS = [(-1.5, -0.5), (1.0, 1.2), (1.4, -1.6)]
STDS = [0.25, 0.4, 0.15]


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rng = random.Random(1234)
    values = []
    for _ in range(n):
        k = rng.randrange(len(MEANS))
        values += [MEANS[k][0] + STDS[k] * rng.gauss(0, 1), MEANS[k][1] + STDS[k] * rng.gauss(0, 1)]
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 2), }" % n
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


if __name__ == "__main__":
    main()
