# lit configuration for Tweedie's IR tests. ctest runs each test file on its own
# (tests/CMakeLists.txt) and passes the build's tool directory as a parameter.
import os

import lit.formats

config.name = "Tweedie"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["unit", "scripts", "Inputs", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))

repo_root = os.path.dirname(config.test_source_root)
tweedie_bin = lit_config.params.get("tweedie_bin", os.path.join(repo_root, "build", "bin"))
llvm_bin = lit_config.params.get("llvm_bin", "/usr/lib/llvm-19/bin")
config.test_exec_root = lit_config.params.get(
    "tweedie_exec_root", os.path.join(repo_root, "build", "lit"))

# Tweedie's tools first, then LLVM's FileCheck / not / count.
config.environment["PATH"] = os.pathsep.join(
    [tweedie_bin, llvm_bin, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%models", os.path.join(repo_root, "models")))
config.substitutions.append(
    ("%tweedie_lib", os.path.join(os.path.dirname(tweedie_bin), "lib")))

# ptxas from the CUDA toolkit validates the PTX the CUDA target writes; tests
# that need it declare `REQUIRES: ptxas` and are reported unsupported without it.
import shutil
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# `cuda-driver`: NVIDIA's driver (libcuda.so.1) loads here, so device "cuda"
# may run; tests of the messages a machine without it gets are unsupported.
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
