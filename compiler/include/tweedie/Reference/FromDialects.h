//===- FromDialects.h - the dialects' enums as the reference kernels' ----===//
#ifndef TWEEDIE_REFERENCE_FROMDIALECTS_H
#define TWEEDIE_REFERENCE_FROMDIALECTS_H

#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Reference/SamplerSteps.h"

namespace tweedie::reference {

// The dialect's ActKind is declared in ODS (ScoreBase.td) case for case as
// tweedie/Activations.def lists the activations, numbered alike: a mismatch
// does not compile.
#define TWEEDIE_ACTIVATION(Enum, name)                                                        \
  static_assert(static_cast<int>(score::ActKind::name) == static_cast<int>(Activation::Enum), \
                "score::ActKind::" #name " and tweedie::Activation::" #Enum " differ");
#include "tweedie/Activations.def"
static_assert(static_cast<int>(score::getMaxEnumValForActKind()) + 1 == kNumActivations,
              "score::ActKind and tweedie/Activations.def list different activations");

inline Activation toActivation(score::ActKind kind) {
  return static_cast<Activation>(static_cast<int>(kind));
}

/// An epilogue's activation: None when the op has none.
inline Activation toActivation(std::optional<score::ActKind> kind) {
  return kind ? toActivation(*kind) : Activation::None;
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
