//===- TimeEmbedding.cpp - sinusoidal and Gaussian Fourier features -------===//
#include "tweedie/Reference/Kernels.h"

#include <cmath>

namespace tweedie::reference {

Result sinusoidalEmbedding(const Tensor &t, int64_t dim, double maxPeriod) {
  if (t.rank() != 1 || dim < 2 || dim % 2)
    return Result::error("time_embedding: needs [B] times and an even dim");
  const int64_t batch = t.shape[0], half = dim / 2;
  Tensor out({batch, dim});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < half; ++k) {
      // f_k = maxPeriod^(-k / half): periods from 2 pi to 2 pi maxPeriod.
      double angle = t[b] * std::exp(-std::log(maxPeriod) * k / half);
      out[b * dim + k] = std::sin(angle);
      out[b * dim + half + k] = std::cos(angle);
    }
  return out;
}

Result fourierEmbedding(const Tensor &t, const Tensor &frequencies) {
  if (t.rank() != 1 || frequencies.rank() != 1)
    return Result::error("time_embedding: needs [B] times and [F] frequencies");
  const int64_t batch = t.shape[0], half = frequencies.shape[0], dim = 2 * half;
  Tensor out({batch, dim});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < half; ++k) {
      double angle = 2.0 * M_PI * t[b] * frequencies[k];
      out[b * dim + k] = std::sin(angle);
      out[b * dim + half + k] = std::cos(angle);
    }
  return out;
}

} // namespace tweedie::reference
