//===- SamplerSpec.h - a `--sampler NAME(k=v)` spec -> sampler.solve ------===//
#ifndef TWEEDIE_DRIVER_SAMPLERSPEC_H
#define TWEEDIE_DRIVER_SAMPLERSPEC_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tweedie {

/// Gives `module` the sampler `spec` names (see SamplerCatalog.h): the one
/// sampler.solve is rewritten in place, or a network-only model gains
/// `func.func @sample(%noise, %seed, %first)`. The network is the solve's, the
/// function `network` names, or the model's only function shaped like one.
/// Schedule and prediction default to the solve's, then to the network's
/// `sampler.schedule` / `sampler.prediction` attributes. On failure `error`
/// says what is missing or wrong.
mlir::LogicalResult applySamplerSpec(mlir::ModuleOp module, const std::string &spec,
                                     const std::string &network, std::string &error);

} // namespace tweedie

#endif
