//===- Ptx.h - generated kernels as PTX for NVIDIA GPUs ---------*- C++ -*-===//
//
// The CUDA target's generated kernels: the elementwise kernels of a compiled
// sampler (the same functions the CPU target compiles to x86), the noise
// draws and the layer kernels of its ops, written as GPU kernels
// (--tweedie-kernels-to-gpu) and lowered through MLIR's NVVM dialect and
// LLVM 19's NVPTX back end to PTX text, which the driver JIT-compiles for
// newer GPUs and ptxas validates in the tests.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_PTX_H
#define TWEEDIE_TARGET_CUDA_PTX_H

#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/ModuleDesc.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tweedie {

/// The GPU architectures PTX is written for (sm_80: A100, sm_90: H100/H200).
inline constexpr const char *kCudaArchitectures[] = {"sm_80", "sm_90"};

/// A new module of the kernels a CUDA module carries, as func.func kernels:
/// clones of `module`'s generated kernels (functions marked
/// sampler.generated_kernel), the noise draws (NoiseKernels.h) and
/// `layerKernels` (LayerKernels.h). Loads the GPU dialects into `module`'s
/// context.
mlir::OwningOpRef<mlir::ModuleOp>
deviceKernelModule(mlir::ModuleOp module, llvm::ArrayRef<module::LayerKernel> layerKernels);

/// The PTX of `module`'s generated kernels (functions marked
/// sampler.generated_kernel), of the noise draws every CUDA module carries
/// (NoiseKernels.h) and of `layerKernels` (LayerKernels.h), for each of
/// kCudaArchitectures, in that order, from one GPU module with a target per
/// architecture. `module` is not changed. False
/// with `error` set when a kernel does not map onto GPU threads or the NVPTX
/// back end fails.
bool emitKernelPtx(mlir::ModuleOp module, llvm::ArrayRef<module::LayerKernel> layerKernels,
                   std::vector<module::CudaKernelsDesc> &ptx, std::string &error);

} // namespace tweedie

#endif
