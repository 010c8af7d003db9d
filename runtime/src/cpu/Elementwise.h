//===- Elementwise.h - the data-movement and pointwise ops of a network ---===//
//
// What is left of a network once dense, conv and normalisation went to
// library calls: broadcasting add/mul, standalone activations, concatenation,
// resampling and transposes. All take row-major float tensors; shapes are full
// ([B, ...]). Each output element is computed by one fixed expression, so
// results do not depend on the batch split.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_ELEMENTWISE_H
#define TWEEDIE_RUNTIME_CPU_ELEMENTWISE_H

#include "cpu/CpuContext.h"
#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <span>
#include <vector>

namespace tweedie::cpu {

/// The highest full rank (batch included) a transpose handles.
inline constexpr size_t kMaxTransposeRank = 8;

using Dims = std::vector<int64_t>;

/// start + x[0] + ... + x[n-1] in double: the terms past the last multiple
/// of 8 first, then 8 interleaved lane sums (lane l holds every 8th term from
/// l), in that fixed order. Vectorizable without reassociation, and the same
/// bits wherever the terms sit (group norm statistics, reduce_sum).
inline double laneSum(const float *x, int64_t n, double start = 0.0) {
  constexpr int64_t kLanes = 8;
  double lanes[kLanes] = {};
  const int64_t whole = n / kLanes * kLanes;
  for (int64_t i = 0; i < whole; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      lanes[l] += x[i + l];
  double sum = start;
  for (int64_t i = whole; i < n; ++i)
    sum += x[i];
  for (double lane : lanes)
    sum += lane;
  return sum;
}

/// The product of shape[from:] (a full shape's elements, or a sample's).
inline int64_t product(const Dims &shape, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

enum class BinaryOp { Add, Mul };

/// out[outShape] = lhs op rhs with NumPy broadcasting (shapes right-aligned).
void broadcastBinary(BinaryOp op, const float *lhs, const Dims &lhsShape, const float *rhs,
                     const Dims &rhsShape, float *out, const Dims &outShape);

void activateAll(Activation activation, const float *x, float *y, int64_t count);

/// Concatenates along `axis` of the [B, ...] shapes.
void concat(std::span<const float *const> inputs, std::span<const Dims> shapes,
            int64_t axis, float *out);

/// Nearest-neighbour upsampling of [N, C, H, W] by `scale`.
void upsampleNearest(const float *x, int64_t planes, int64_t height, int64_t width,
                     int64_t scale, float *out);
/// The same on [batch, height, width, channels] (channels last).
void upsampleNearestChannelsLast(const float *x, int64_t batch, int64_t height, int64_t width,
                                 int64_t channels, int64_t scale, float *out);

/// Average pooling of [N, C, H, W] (no padding).
void avgPool(const float *x, int64_t planes, int64_t height, int64_t width, int64_t kh,
             int64_t kw, int64_t sh, int64_t sw, float *out);

/// out = x transposed by `permutation` (of the full shape, rank at most
/// kMaxTransposeRank).
void transpose(const float *x, const Dims &shape, const Dims &permutation, float *out);

/// x <- a x + b y + c z, the step arithmetic when no generated kernel is
/// available (a module compiled without a kernel library).
void affineStep(const float *x, const float *y, const float *z, float *out, int64_t count,
                float a, float b, float c);

/// The Langevin corrector with the signal-to-noise step rule, per sample of
/// `width` values: eps = 2 alpha (snr |z| / |s|)^2 (0 when s = 0),
/// out = x + eps s + sqrt(2 eps) z. Norms in double: they sum whole images.
void langevinCorrector(const float *x, const float *score, const float *z, float *out,
                       int64_t samples, int64_t width, double alpha, double snr);

/// Metropolis-adjusted Langevin, per sample of `width` values: out = y when
/// log u < E(x) - E(y) + (|y - x - eta s(x)|^2 - |x - y - eta s(y)|^2) / (4 eta),
/// else x. A non-finite ratio (E(y) overflowed) rejects. Sums in double.
void malaStep(const float *x, const float *y, const float *energy, const float *proposalEnergy,
              const float *score, const float *proposalScore, const float *uniform, float *out,
              int64_t samples, int64_t width, double eta);

} // namespace tweedie::cpu

#endif
