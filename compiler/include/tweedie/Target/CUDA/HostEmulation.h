//===- HostEmulation.h - the CUDA kernels' GPU form, run on the host -*- C++ -*-===//
//
// For tests: the kernels a CUDA module carries, in the exact form the GPU
// runs (after --tweedie-kernels-to-gpu: parameters as cuLaunchKernel passes
// them, loads through device pointers, the NVVM instructions' rounding),
// compiled for this CPU. An emulated CUDA driver (tests/unit) loads them in
// place of the PTX, so the CUDA backend's launches run without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_HOSTEMULATION_H
#define TWEEDIE_TARGET_CUDA_HOSTEMULATION_H

#include "tweedie/module/DeviceKernels.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <string>
#include <vector>

namespace tweedie {

/// Kernel K's host function is kHostKernelPrefix + K:
/// void (void **params, int64_t begin, int64_t end) runs threads [begin, end).
inline constexpr llvm::StringLiteral kHostKernelPrefix = "tweedie_host_";

/// The kernels emitKernelPtx would write for `module` and `layerKernels`,
/// compiled for host CPU level `cpu` into a shared object (its bytes in
/// `sharedObject`). False with `error` set on failure.
bool emitHostEmulatedKernels(mlir::ModuleOp module,
                             llvm::ArrayRef<module::LayerKernel> layerKernels,
                             llvm::StringRef cpu, std::vector<std::byte> &sharedObject,
                             std::string &error);

} // namespace tweedie

#endif
