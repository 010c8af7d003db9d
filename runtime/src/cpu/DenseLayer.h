//===- DenseLayer.h - y = act(x W + b) + residual, row by row ------------===//
#ifndef TWEEDIE_RUNTIME_CPU_DENSELAYER_H
#define TWEEDIE_RUNTIME_CPU_DENSELAYER_H

#include "cpu/CpuContext.h"
#include "cpu/RowInvariantGemm.h"

#include <span>

namespace tweedie::cpu {

/// The sampler's dense layer: the product is RowInvariantGemm's (each row's
/// result is the same whatever the row count), the activation one oneDNN
/// eltwise over the rows, the residual added last.
class DenseLayer {
public:
  /// `weights` is [in, out] row-major, `bias` [out] or empty.
  DenseLayer(CpuContext &context, int64_t in, int64_t out, std::span<const float> weights,
             std::span<const float> bias, Epilogue epilogue);

  /// y[rows, out] = act(x[rows, in] W + b) (+ residual[rows, out]); `bias`
  /// in place of the layer's own (a per-step table row) when given.
  void run(CpuContext &context, int64_t rows, const float *x, float *y,
           const float *residual = nullptr, const float *bias = nullptr);

  int64_t inputs() const { return weights_.k(); }
  int64_t outputs() const { return weights_.n(); }

private:
  Epilogue epilogue_;
  PackedGemmWeights weights_;
  std::vector<float> bias_;
  EltwiseActivation activation_;
};

} // namespace tweedie::cpu

#endif
