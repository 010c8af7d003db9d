//===- Metrics.h - how close samples are to data -------------------------===//
#ifndef TWEEDIE_TRAIN_METRICS_H
#define TWEEDIE_TRAIN_METRICS_H

#include <cstdint>
#include <span>
#include <vector>

namespace tweedie::train {

/// The kernel bandwidths mmd() sums over by default (2-D data of unit scale).
inline const std::vector<double> kDefaultBandwidths = {0.1, 0.3, 1.0, 3.0};

/// Maximum mean discrepancy between rows of a [n, dim] and b [m, dim]: the
/// square root of the biased (V-statistic) MMD^2 under the sum of Gaussian
/// kernels exp(-|x - y|^2 / (2 h^2)). Never negative, so the distance of
/// two independent draws of the data is a meaningful floor to compare with.
double mmd(std::span<const float> a, std::span<const float> b, int64_t dim,
           const std::vector<double> &bandwidths = kDefaultBandwidths);

/// Sliced 1-Wasserstein distance between equally many rows of a and b:
/// the mean over `projections` random directions (Philox, `seed`) of the
/// W1 distance of the sorted projections.
double slicedWasserstein(std::span<const float> a, std::span<const float> b, int64_t dim,
                         int64_t projections = 256, uint64_t seed = 0);

} // namespace tweedie::train

#endif
