//===- OnnxImport.h - an ONNX score network -> the score dialect -*- C++ -*-===//
//
// `tweedie-import model.onnx -o model.mlir --weights-out model.safetensors`:
// the network a user trained in PyTorch and exported with torch.onnx.export
// becomes a score-dialect function (x [B, ...], t [B]) -> [B, ...] whose
// weights are score.param ops, written beside it as safetensors, so every
// Tweedie sampler, tweedie-compile and tweedie-train take it like a native
// network. Shape computations (Shape, Gather, Concat, Unsqueeze, ...) and
// arithmetic on constants fold at import; the patterns PyTorch exports for
// SiLU and the sinusoidal time embedding become their score ops. An op
// without a rule is an error naming it, its node and the opset.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_IMPORT_ONNXIMPORT_H
#define TWEEDIE_IMPORT_ONNXIMPORT_H

#include "tweedie/Import/OnnxModel.h"

#include <string>
#include <vector>

namespace tweedie {

struct OnnxImportOptions {
  /// The graph inputs holding the noisy sample and the time (or noise
  /// level); empty: the sample is the one input of rank >= 2, the time the
  /// one of rank 1 (or names such as "timestep", "t", "sigma").
  std::string sampleInput, timeInput;
  /// The function's name.
  std::string network = "net";
  /// What the network was trained on and predicts, as sampler attributes
  /// (`sampler.schedule`, `sampler.prediction`); empty: not recorded.
  std::string scheduleAttr, prediction;
};

struct ImportedWeight {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct OnnxImportResult {
  std::string mlir; ///< the module's text
  std::vector<ImportedWeight> weights;
  int64_t nodes = 0, folded = 0; ///< ONNX nodes read; those folded at import
};

/// On failure `error` names the problem (an unsupported op with its node
/// name and the opset, a shape that cannot be followed, ...).
bool importOnnx(const onnx::Model &model, const OnnxImportOptions &options,
                OnnxImportResult &result, std::string &error);

} // namespace tweedie

#endif
