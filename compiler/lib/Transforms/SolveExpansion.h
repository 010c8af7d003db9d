//===- SolveExpansion.h - pieces the solve expansions share -----*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H
#define TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H

#include "mlir/IR/Builders.h"

namespace tweedie {

/// The prior: standard normal `noise` times `std` (a score.mul by a scalar
/// constant, the form the CPU backend reads as the module's prior scale), or
/// `noise` itself when std is 1.
mlir::Value scalePrior(mlir::OpBuilder &b, mlir::Location loc, mlir::Value noise, double std);

} // namespace tweedie

#endif
