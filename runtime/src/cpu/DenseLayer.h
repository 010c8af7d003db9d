//===- DenseLayer.h - y = act(x W + b) + residual on oneDNN matmul -------===//
#ifndef TWEEDIE_RUNTIME_CPU_DENSELAYER_H
#define TWEEDIE_RUNTIME_CPU_DENSELAYER_H

#include "cpu/CpuContext.h"

#include <span>

namespace tweedie::cpu {

/// A dense layer with its weights prepacked once into the layout oneDNN chose
/// (format_tag::any). Primitives are built per row count on first use and
/// cached; every one of them reads the same packed weights.
class DenseLayer {
public:
  /// `weights` is [in, out] row-major, `bias` [out] or empty.
  DenseLayer(CpuContext &context, int64_t in, int64_t out, std::span<const float> weights,
             std::span<const float> bias, Epilogue epilogue);

  /// y[rows, out] = act(x[rows, in] W + b) (+ residual[rows, out]).
  void run(CpuContext &context, int64_t rows, const float *x, float *y,
           const float *residual = nullptr, const float *bias = nullptr);

  int64_t inputs() const { return in_; }
  int64_t outputs() const { return out_; }

private:

  int64_t in_, out_;
  Epilogue epilogue_;
  dnnl::memory packedWeights_, bias_;
  PrimitiveCache<dnnl::matmul> primitives_;

};

} // namespace tweedie::cpu

#endif
