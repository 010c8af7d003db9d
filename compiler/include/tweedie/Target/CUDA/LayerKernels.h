//===- LayerKernels.h - the ops' non-library parts as kernels ---*- C++ -*-===//
//
// On CUDA the heavy part of a layer is a library call (cuBLASLt, cuDNN) and
// the rest a generated kernel: the epilogues the libraries lack (SiLU, GELU,
// a residual) and group normalisation (module/DeviceKernels.h says what
// each computes and takes). They are func.func kernels of one linalg.generic
// over their outputs, like the sampler's step kernels, so the same functions
// become GPU kernels (--tweedie-kernels-to-gpu) and, in the tests, host code.
//
// Transcendental functions are MLIR's polynomial approximations, expanded
// here into + - * / and fused multiply-adds: no libm or libdevice call, and
// the same bits wherever the fma is a real one (PTX, x86-64-v3).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_LAYERKERNELS_H
#define TWEEDIE_TARGET_CUDA_LAYERKERNELS_H

#include "tweedie/module/DeviceKernels.h"

#include "mlir/IR/BuiltinOps.h"

namespace tweedie {

/// Adds each of `kernels` that `module` lacks, marked as generated kernels
/// with C interfaces.
void addLayerKernels(mlir::ModuleOp module, llvm::ArrayRef<module::LayerKernel> kernels);

} // namespace tweedie

#endif
