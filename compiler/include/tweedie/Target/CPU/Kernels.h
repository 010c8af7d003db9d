//===- Kernels.h - generated elementwise kernels: names and codegen -*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_KERNELS_H
#define TWEEDIE_TRANSFORMS_KERNELS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <string>
#include <vector>

namespace tweedie {

/// On a step op: the kernel (a func symbol) that computes it.
inline constexpr llvm::StringLiteral kKernelAttr = "sampler.kernel";
/// On a kernel function.
inline constexpr llvm::StringLiteral kKernelMarkerAttr = "sampler.generated_kernel";
inline constexpr llvm::StringLiteral kAffineKernelXYZ = "tweedie_affine_xyz";
inline constexpr llvm::StringLiteral kAffineKernelXY = "tweedie_affine_xy";

/// The instruction-set level generated code targets: "x86-64", "x86-64-v2",
/// "x86-64-v3" (AVX2) or "x86-64-v4" (AVX-512). `native` is the host's level.
std::string resolveTargetCpu(llvm::StringRef requested);

/// A new module holding copies of `module`'s kernel functions, lowered to the
/// LLVM dialect (linalg -> loops -> cf -> llvm). Null (with a diagnostic) on
/// failure; an empty module when there are no kernels.
mlir::OwningOpRef<mlir::ModuleOp> lowerKernelsToLLVM(mlir::ModuleOp module);

/// Compiles an LLVM-dialect kernel module for `cpu` at -O3 into a shared
/// object, linked by the system C compiler driver (`cc`, or $CC). Returns the
/// shared object's bytes, or an error message in `error`.
bool emitKernelLibrary(mlir::ModuleOp llvmModule, llvm::StringRef cpu,
                       std::vector<std::byte> &sharedObject, std::string &error);

} // namespace tweedie

#endif
