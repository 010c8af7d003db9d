//===- Normalization.cpp - group and layer normalisation ------------------===//
#include "tweedie/Reference/Kernels.h"

#include <cmath>

namespace tweedie::reference {

/// Normalises `count` elements starting at `offset` with stride 1, then applies
/// the per-feature affine gamma[f] x + beta[f], feature f = (i / inner) % F.
static void normalize(const Tensor &x, Tensor &y, int64_t offset, int64_t count,
                      double epsilon, const Tensor &gamma, const Tensor &beta,
                      int64_t firstFeature, int64_t inner) {
  double mean = 0;
  for (int64_t i = 0; i < count; ++i)
    mean += x[offset + i];
  mean /= count;
  double var = 0; // biased, as PyTorch and oneDNN use
  for (int64_t i = 0; i < count; ++i)
    var += (x[offset + i] - mean) * (x[offset + i] - mean);
  var /= count;
  const double inv = 1.0 / std::sqrt(var + epsilon);
  for (int64_t i = 0; i < count; ++i) {
    int64_t f = firstFeature + i / inner;
    y[offset + i] = (x[offset + i] - mean) * inv * gamma[f] + beta[f];
  }
}

Result groupNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 int64_t groups, double epsilon) {
  if (x.rank() < 2 || groups < 1 || x.shape[1] % groups ||
      gamma.shape != Shape{x.shape[1]} || beta.shape != Shape{x.shape[1]})
    return Result::error("group_norm: input " + formatShape(x.shape) + ", gamma " +
                         formatShape(gamma.shape) + " and beta " +
                         formatShape(beta.shape) + " do not agree for groups = " +
                         std::to_string(groups));
  const int64_t n = x.shape[0], c = x.shape[1], spatial = x.numel() / (n * c);
  const int64_t perGroup = c / groups;
  Tensor y(x.shape);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t g = 0; g < groups; ++g)
      normalize(x, y, (b * c + g * perGroup) * spatial, perGroup * spatial, epsilon,
                gamma, beta, g * perGroup, spatial);
  return y;
}

Result layerNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 double epsilon) {
  if (x.rank() < 1 || gamma.shape != Shape{x.shape.back()} ||
      beta.shape != Shape{x.shape.back()})
    return Result::error("layer_norm: input " + formatShape(x.shape) + ", gamma " +
                         formatShape(gamma.shape) + " and beta " +
                         formatShape(beta.shape) + " do not agree");
  const int64_t d = x.shape.back();
  Tensor y(x.shape);
  for (int64_t row = 0; row < x.numel() / d; ++row)
    normalize(x, y, row * d, d, epsilon, gamma, beta, 0, 1);
  return y;
}

} // namespace tweedie::reference
