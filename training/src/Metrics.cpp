//===- Metrics.cpp ----------------------------------------------------------===//
#include "tweedie/train/Metrics.h"
#include "tweedie/Noise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tweedie::train {

namespace {

/// Mean of the kernel over all pairs of rows of x and y.
double meanKernel(std::span<const float> x, std::span<const float> y, int64_t dim,
                  const std::vector<double> &bandwidths) {
  const int64_t n = static_cast<int64_t>(x.size()) / dim, m = static_cast<int64_t>(y.size()) / dim;
  std::vector<double> scales;
  for (double h : bandwidths)
    scales.push_back(-0.5 / (h * h));
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      double d2 = 0.0;
      for (int64_t k = 0; k < dim; ++k) {
        const double d = static_cast<double>(x[i * dim + k]) - y[j * dim + k];
        d2 += d * d;
      }
      for (double s : scales)
        total += std::exp(s * d2);
    }
  return total / (static_cast<double>(n) * static_cast<double>(m));
}

} // namespace

double mmd(std::span<const float> a, std::span<const float> b, int64_t dim,
           const std::vector<double> &bandwidths) {
  if (dim < 1 || a.empty() || b.empty() || a.size() % dim || b.size() % dim)
    throw std::invalid_argument("mmd: both sets need whole rows of " + std::to_string(dim));
  const double squared = meanKernel(a, a, dim, bandwidths) + meanKernel(b, b, dim, bandwidths) -
                         2 * meanKernel(a, b, dim, bandwidths);
  return std::sqrt(std::max(squared, 0.0));
}

double slicedWasserstein(std::span<const float> a, std::span<const float> b, int64_t dim,
                         int64_t projections, uint64_t seed) {
  if (dim < 1 || a.size() != b.size() || a.empty() || a.size() % dim)
    throw std::invalid_argument("slicedWasserstein: two sets of equally many rows of " +
                                std::to_string(dim));
  const int64_t n = static_cast<int64_t>(a.size()) / dim;
  std::vector<double> pa(n), pb(n), direction(dim);
  double total = 0.0;
  for (int64_t p = 0; p < projections; ++p) {
    double norm = 0.0;
    for (int64_t k = 0; k < dim; ++k) {
      direction[k] = noiseAt(seed, static_cast<uint32_t>(p), 0, 0, k);
      norm += direction[k] * direction[k];
    }
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < n; ++i) {
      double sa = 0.0, sb = 0.0;
      for (int64_t k = 0; k < dim; ++k) {
        sa += direction[k] / norm * a[i * dim + k];
        sb += direction[k] / norm * b[i * dim + k];
      }
      pa[i] = sa;
      pb[i] = sb;
    }
    std::sort(pa.begin(), pa.end());
    std::sort(pb.begin(), pb.end());
    double w = 0.0;
    for (int64_t i = 0; i < n; ++i)
      w += std::abs(pa[i] - pb[i]);
    total += w / static_cast<double>(n);
  }
  return total / static_cast<double>(projections);
}

} // namespace tweedie::train
