//===- Ptx.h - generated kernels as PTX for NVIDIA GPUs ---------*- C++ -*-===//
//
// The CUDA target's first piece: the generated elementwise kernels of a
// compiled sampler (the same functions the CPU target compiles to x86)
// written as GPU kernels (--tweedie-kernels-to-gpu) and lowered through
// MLIR's NVVM dialect and LLVM 19's NVPTX back end to PTX text, which the
// driver JIT-compiles for newer GPUs and ptxas validates in the tests.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_PTX_H
#define TWEEDIE_TARGET_CUDA_PTX_H

#include "tweedie/module/ModuleDesc.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tweedie {

/// The GPU architectures PTX is written for (sm_80: A100, sm_90: H100/H200).
inline constexpr const char *kCudaArchitectures[] = {"sm_80", "sm_90"};

/// The PTX of `module`'s generated kernels (functions marked
/// sampler.generated_kernel) and of the noise draws every CUDA module carries
/// (NoiseKernels.h), for each of kCudaArchitectures, in that order, from one
/// GPU module with a target per architecture. `module` is not changed. False
/// with `error` set when a kernel does not map onto GPU threads or the NVPTX
/// back end fails.
bool emitKernelPtx(mlir::ModuleOp module, std::vector<module::CudaKernelsDesc> &ptx,
                   std::string &error);

} // namespace tweedie

#endif
