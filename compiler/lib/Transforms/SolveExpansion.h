//===- SolveExpansion.h - pieces the solve expansions share -----*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H
#define TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H

#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <vector>

namespace tweedie {

/// The prior: standard normal `noise` times `std` (a score.mul by a scalar
/// constant, the form the CPU backend reads as the module's prior scale), or
/// `noise` itself when std is 1.
mlir::Value scalePrior(mlir::OpBuilder &b, mlir::Location loc, mlir::Value noise, double std);

/// abar_t of a discrete variance-preserving schedule (ddpm_linear,
/// ddpm_cosine), t = 0 .. T-1; nullopt for any other schedule.
std::optional<std::vector<double>> discreteAlphaBars(sampler::ScheduleAttrInterface schedule);

} // namespace tweedie

#endif
