#!/usr/bin/env python3
"""LLVM's compile flags stay inside the MLIR half of the build.

Reads compile_commands.json. Translation units that do not use MLIR (runtime/,
the float64 reference kernels, their unit tests) must build as ordinary C++20
with exceptions and without LLVM's include path; MLIR-facing ones (dialects/,
compiler/ passes) must still get LLVM's flags, so the split is real.
"""
import json
import pathlib
import sys

build, source = map(pathlib.Path, sys.argv[1:3])
commands = json.loads((build / "compile_commands.json").read_text())
plain_prefixes = ["runtime/", "compiler/lib/Reference/Tensor.cpp",
                  "compiler/lib/Reference/Elementwise.cpp", "compiler/lib/Reference/Linear.cpp",
                  "compiler/lib/Reference/Normalization.cpp", "compiler/lib/Reference/Layout.cpp",
                  "compiler/lib/Reference/TimeEmbedding.cpp", "numerics/",
                  "tests/unit/Reference", "tests/unit/PhiloxTest.cpp",
                  "tests/unit/NoiseTest.cpp", "tests/unit/DiscreteSchedulesTest.cpp",
                  "tests/unit/SamplerStepsTest.cpp", "tests/unit/SafeTensorsTest.cpp",
                  "tests/unit/NpyAndPngTest.cpp", "tests/unit/CpuLayersTest.cpp", "compiler/lib/Reference/SamplerSteps.cpp",
                  "tools/common/", "tools/tweedie-run/", "tools/tweedie-sampler-stub/",
                  "tools/tweedie-bench/", "compiler/lib/Driver/SamplerCatalog.cpp",
]
# The compiler tool links MLIR (it may see LLVM's headers) but parses its
# command line with CLI11, which needs exceptions.
exception_prefixes = ["tools/tweedie-compile/"]
mlir_prefixes = ["dialects/lib/", "compiler/lib/Dialect/", "compiler/lib/Autodiff/",
                 "compiler/lib/Conversion/", "compiler/lib/Target/", "compiler/lib/Pipelines/",
                 "compiler/lib/Driver/", "tools/tweedie-opt/"]
failures, plain_seen, mlir_seen = [], 0, 0
for entry in commands:
    rel = str(pathlib.Path(entry["file"]).resolve().relative_to(source.resolve()))
    cmd = entry.get("command") or " ".join(entry["arguments"])
    if any(rel.startswith(p) for p in plain_prefixes):
        plain_seen += 1
        if "-fno-exceptions" in cmd:
            failures.append(f"{rel}: -fno-exceptions leaked into a non-MLIR target")
        if "llvm-19/include" in cmd or "include/llvm-19" in cmd:
            failures.append(f"{rel}: LLVM include path leaked into a non-MLIR target")
        if "-std=c++20" not in cmd and "-std=gnu++20" not in cmd:
            failures.append(f"{rel}: not built as C++20")
    elif any(rel.startswith(p) for p in exception_prefixes):
        if "-fno-exceptions" in cmd:
            failures.append(f"{rel}: needs exceptions (CLI11) but got -fno-exceptions")
    elif any(rel.startswith(p) for p in mlir_prefixes):
        mlir_seen += 1
        if "-fno-exceptions" not in cmd:
            failures.append(f"{rel}: MLIR code lost LLVM's -fno-exceptions")
if plain_seen == 0 or mlir_seen == 0:
    failures.append(f"found {plain_seen} plain and {mlir_seen} MLIR translation units; expected both")
for f in failures:
    print("FAIL:", f)
print(f"{plain_seen} plain and {mlir_seen} MLIR translation units checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
