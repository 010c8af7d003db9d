//===- FromDialects.h - the dialects' enums as the reference kernels' ----===//
#ifndef TWEEDIE_REFERENCE_FROMDIALECTS_H
#define TWEEDIE_REFERENCE_FROMDIALECTS_H

#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Reference/SamplerSteps.h"

namespace tweedie::reference {

inline Activation toActivation(score::ActKind kind) {
  switch (kind) {
  case score::ActKind::silu:
    return Activation::SiLU;
  case score::ActKind::gelu:
    return Activation::GELU;
  case score::ActKind::relu:
    return Activation::ReLU;
  case score::ActKind::tanh:
    return Activation::Tanh;
  case score::ActKind::softplus:
    return Activation::Softplus;
  case score::ActKind::exp:
    return Activation::Exp;
  case score::ActKind::log:
    return Activation::Log;
  case score::ActKind::sqrt:
    return Activation::Sqrt;
  case score::ActKind::square:
    return Activation::Square;
  case score::ActKind::reciprocal:
    return Activation::Reciprocal;
  }
  return Activation::SiLU;
}

/// Pointwise parameterisations only: energy has no pointwise conversion (the
/// verifiers keep it out of every op that converts).
inline Prediction toPrediction(sampler::Parameterization p) {
  switch (p) {
  case sampler::Parameterization::x0:
    return Prediction::X0;
  case sampler::Parameterization::v:
    return Prediction::V;
  case sampler::Parameterization::score:
    return Prediction::Score;
  default:
    return Prediction::Eps;
  }
}

} // namespace tweedie::reference

#endif
