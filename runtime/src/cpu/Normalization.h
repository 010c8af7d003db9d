//===- Normalization.h - group and layer normalisation on the CPU --------===//
#ifndef TWEEDIE_RUNTIME_CPU_NORMALIZATION_H
#define TWEEDIE_RUNTIME_CPU_NORMALIZATION_H

#include "cpu/CpuContext.h"

#include <cstdint>
#include <span>
#include <vector>

namespace tweedie::cpu {

/// GroupNorm over [N, C, spatial] with an optional fused activation. oneDNN 2.6
/// has no group normalisation; statistics accumulate in double so the result
/// does not depend on how a batch is split (each group is summed in one order).
/// Group normalisation of [batch, channels, spatial] x with per-channel
/// gamma and beta read at call time (a training step's weights change).
void groupNorm(int64_t batch, int64_t channels, int64_t spatial, int64_t groups, double epsilon,
               const float *gamma, const float *beta, Activation activation, const float *x,
               float *y);

/// The same on channels-last [batch, spatial, channels] data; each sample's
/// sums are taken per channel across its pixels (another order of the same
/// additions: results agree with groupNorm's to rounding).
void groupNormChannelsLast(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                           double epsilon, const float *gamma, const float *beta,
                           Activation activation, const float *x, float *y);

/// The cotangents of groupNorm (no activation) for the result's cotangent dz:
/// dx [batch, channels, spatial] and dgamma, dbeta [channels] (each may be
/// null: not wanted), the statistics recomputed from x. Sums are in double
/// and the batch's per-channel terms are added in row order, so the weight
/// cotangents do not depend on the thread count.
void groupNormGrad(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                   double epsilon, const float *gamma, const float *x, const float *dz,
                   float *dx, float *dgamma, float *dbeta);

/// The same on channels-last data.
void groupNormGradChannelsLast(int64_t batch, int64_t channels, int64_t spatial,
                               int64_t groups, double epsilon, const float *gamma,
                               const float *x, const float *dz, float *dx, float *dgamma,
                               float *dbeta);

class GroupNormLayer {
public:
  GroupNormLayer(int64_t channels, int64_t groups, double epsilon,
                 std::span<const float> gamma, std::span<const float> beta,
                 Activation activation = Activation::None);
  void run(CpuContext &context, int64_t batch, int64_t spatial, const float *x, float *y,
           bool channelsLast = false);

private:
  int64_t channels_, groups_;
  double epsilon_;
  std::vector<float> gamma_, beta_;
  EltwiseActivation activation_;
};

/// LayerNorm over the last axis of [rows, features] on oneDNN.
class LayerNormLayer {
public:
  LayerNormLayer(CpuContext &context, int64_t features, double epsilon,
                 std::span<const float> gamma, std::span<const float> beta);
  void run(CpuContext &context, int64_t rows, const float *x, float *y);

private:
  int64_t features_;
  float epsilon_;
  dnnl::memory scale_, shift_;
  PrimitiveCache<dnnl::layer_normalization_forward> primitives_;
};

} // namespace tweedie::cpu

#endif
