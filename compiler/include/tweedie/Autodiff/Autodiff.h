//===- Autodiff.h - reverse-mode differentiation as a utility -*- C++ -*-===//
//
// What --tweedie-autodiff runs, for passes that need a gradient function of
// their own (the objective expansion builds an energy network's score,
// -grad_x E, this way).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRANSFORMS_AUTODIFF_H
#define TWEEDIE_TRANSFORMS_AUTODIFF_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace tweedie {

/// Adds `@<fn>_grad` after `fn`: it returns fn's result L, then (with
/// `params`) the gradient of sum(L) with respect to every score.param (by
/// name, in order of first use), then with respect to arguments `args`.
/// Only values that depend on what is differentiated get cotangents, so ops
/// without a rule (noise draws, table reads) may feed the loss. Errors are
/// diagnostics at the offending op.
mlir::FailureOr<mlir::func::FuncOp> createGradientFunction(mlir::func::FuncOp fn, bool params,
                                                          llvm::ArrayRef<int64_t> args);

} // namespace tweedie

#endif
