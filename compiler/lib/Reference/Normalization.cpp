//===- Normalization.cpp - group and layer normalisation ------------------===//
#include "tweedie/Reference/Kernels.h"

#include <cmath>
#include <vector>

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

std::array<Tensor, 3> groupNormGrad(const Tensor &x, const Tensor &gamma, const Tensor &grad,
                                    int64_t groups, double epsilon) {
  // With x_hat = (x - mean) rstd over a group of m elements and g = grad
  // gamma: dx = rstd (g - mean(g) - x_hat mean(g x_hat)); d gamma and d beta
  // sum grad x_hat and grad over the batch and the spatial axes.
  const int64_t n = x.shape[0], c = x.shape[1], spatial = x.numel() / (n * c);
  const int64_t perGroup = c / groups, m = perGroup * spatial;
  Tensor dx(x.shape), dgamma(gamma.shape), dbeta(gamma.shape);
  std::vector<double> xhat(static_cast<size_t>(m));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t offset = (b * c + g * perGroup) * spatial;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < m; ++i)
        mean += x[offset + i];
      mean /= m;
      for (int64_t i = 0; i < m; ++i)
        var += (x[offset + i] - mean) * (x[offset + i] - mean);
      const double rstd = 1.0 / std::sqrt(var / m + epsilon);
      double meanG = 0, meanGXhat = 0;
      for (int64_t i = 0; i < m; ++i) {
        const int64_t f = g * perGroup + i / spatial;
        xhat[i] = (x[offset + i] - mean) * rstd;
        const double gi = grad[offset + i] * gamma[f];
        meanG += gi / m;
        meanGXhat += gi * xhat[i] / m;
        dgamma[f] += grad[offset + i] * xhat[i];
        dbeta[f] += grad[offset + i];
      }
      for (int64_t i = 0; i < m; ++i) {
        const int64_t f = g * perGroup + i / spatial;
        dx[offset + i] = rstd * (grad[offset + i] * gamma[f] - meanG - xhat[i] * meanGXhat);
      }
    }
  return {std::move(dx), std::move(dgamma), std::move(dbeta)};
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
