//===- NoiseKernels.h - the noise draws as generated kernels ----*- C++ -*-===//
//
// The randn, signs and rand_uniform ops' kernels (module/DeviceKernels.h) as
// func.func kernels of one elementwise linalg.generic, like the sampler's own
// generated kernels: --tweedie-kernels-to-gpu turns them into GPU kernels, and
// the CPU lowering compiles them for the host, which is how the tests check
// them against Noise.h without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_NOISEKERNELS_H
#define TWEEDIE_TARGET_CUDA_NOISEKERNELS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <array>

namespace tweedie {

/// Adds the kernels of module/DeviceKernels.h that `module` lacks, marked as
/// generated kernels. `float64` writes the draws unrounded into f64 buffers:
/// a form only the tests compile, to compare the arithmetic before the last
/// rounding hides a difference.
void addNoiseKernels(mlir::ModuleOp module, bool float64 = false);

/// {cos 2 pi t, sin 2 pi t} of a float64 t in [0, 1] at b's insertion point:
/// NoiseMath.h's cosSinTurns, the operations the noise's Box-Muller uses
/// (the time embedding's kernel evaluates its angles with them too).
std::array<mlir::Value, 2> buildCosSinTurns(mlir::OpBuilder &b, mlir::Location loc,
                                            mlir::Value t);

/// NoiseMath.h's logOfPositive of a positive normal float64 x (the
/// integrator's step-size control raises to fractional powers with it).
mlir::Value buildLogOfPositive(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

} // namespace tweedie

#endif
