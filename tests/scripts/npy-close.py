#!/usr/bin/env python3
"""Two float32 .npy arrays of one shape agree to a relative tolerance.

  npy-close.py A.npy B.npy [--rtol 1e-5]

Exits 0 when |a - b| <= rtol * max(1, |b|) everywhere, else 1 naming the worst
element. Plain Python (no NumPy): the suite needs only Debian's python3.
"""
import argparse
import ast
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    length_bytes = 2 if major == 1 else 4
    (length,) = struct.unpack("<H" if major == 1 else "<I", data[8:8 + length_bytes])
    start = 8 + length_bytes
    header = ast.literal_eval(data[start:start + length].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        sys.exit(f"{path}: expected a C-order float32 array, got {header}")
    body = data[start + length:]
    return tuple(header["shape"]), struct.unpack(f"<{len(body) // 4}f", body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args()
    (shape_a, a), (shape_b, b) = read(args.a), read(args.b)
    if shape_a != shape_b:
        print(f"shapes differ: {shape_a} vs {shape_b}")
        return 1
    worst, at = 0.0, -1
    for i, (x, y) in enumerate(zip(a, b)):
        error = abs(x - y) / max(1.0, abs(y))
        if not error <= worst:  # NaN counts as worst
            worst, at = (error if error == error else float("inf")), i
    if worst > args.rtol:
        print(f"element {at}: {a[at]} vs {b[at]} (relative error {worst:.3g} > {args.rtol})")
        return 1
    print(f"{len(a)} values agree to {worst:.3g} (rtol {args.rtol})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
