//===- Normalization.cpp ----------------------------------------------------===//
#include "cpu/Normalization.h"
#include "cpu/Elementwise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tweedie::cpu {


using dnnl::memory;
constexpr auto f32 = memory::data_type::f32;

GroupNormLayer::GroupNormLayer(int64_t channels, int64_t groups, double epsilon,
                               std::span<const float> gamma, std::span<const float> beta,
                               Activation activation)
    : channels_(channels), groups_(groups), epsilon_(epsilon),
      gamma_(gamma.begin(), gamma.end()), beta_(beta.begin(), beta.end()),
      activation_(activation) {
  if (groups < 1 || channels % groups || static_cast<int64_t>(gamma.size()) != channels ||
      static_cast<int64_t>(beta.size()) != channels)
    throw std::invalid_argument("group_norm layer: " + std::to_string(channels) +
                                " channels, " + std::to_string(groups) + " groups, " +
                                std::to_string(gamma.size()) + " gammas do not agree");
}

namespace {

/// Lanes of the squared deviations' sum, as laneSum's for the mean: each adds
/// every kLanes-th term in double, then the lanes are added in a fixed order.
constexpr int64_t kLanes = 8;

struct GroupStatistics {
  double mean, inverseStd;
};

/// Two passes in double, as the reference: no cancellation for large means.
GroupStatistics statistics(const float *x, int64_t count, double epsilon) {
  const double mean = laneSum(x, count) / count;
  const int64_t whole = count / kLanes * kLanes;
  double squares[kLanes] = {};
  for (int64_t i = 0; i < whole; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      const double d = x[i + l] - mean;
      squares[l] += d * d;
    }
  double total = 0;
  for (int64_t i = whole; i < count; ++i)
    total += (x[i] - mean) * (x[i] - mean);
  for (double lane : squares)
    total += lane;
  return {mean, 1.0 / std::sqrt(total / count + epsilon)};
}

/// What one thread reuses from sample to sample on channels-last data.
struct ChannelsLastScratch {
  std::vector<double> perChannel, mean;
  std::vector<GroupStatistics> stats;
};

/// Channels last: one sample's [spatial, channels] elements into
/// `scratch.stats`. Per-channel sums in double, vectorized across the
/// channels, then each group's mean and inverse deviation from its channels'
/// sums (two passes, as above).
void statisticsChannelsLast(const float *x, int64_t spatial, int64_t channels, int64_t groups,
                            double epsilon, ChannelsLastScratch &scratch) {
  const int64_t perGroup = channels / groups;
  const double count = static_cast<double>(perGroup * spatial);
  std::vector<double> &perChannel = scratch.perChannel, &mean = scratch.mean;
  std::vector<GroupStatistics> &stats = scratch.stats;
  stats.resize(static_cast<size_t>(groups));
  mean.resize(static_cast<size_t>(channels));
  perChannel.assign(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < spatial; ++i)
    for (int64_t c = 0; c < channels; ++c)
      perChannel[c] += x[i * channels + c];
  for (int64_t g = 0; g < groups; ++g) {
    double sum = 0;
    for (int64_t c = g * perGroup; c < (g + 1) * perGroup; ++c)
      sum += perChannel[c];
    stats[g].mean = sum / count;
    for (int64_t c = g * perGroup; c < (g + 1) * perGroup; ++c)
      mean[c] = stats[g].mean;
  }
  perChannel.assign(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < spatial; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      const double d = x[i * channels + c] - mean[c];
      perChannel[c] += d * d;
    }
  for (int64_t g = 0; g < groups; ++g) {
    double squares = 0;
    for (int64_t c = g * perGroup; c < (g + 1) * perGroup; ++c)
      squares += perChannel[c];
    stats[g].inverseStd = 1.0 / std::sqrt(squares / count + epsilon);
  }
}

} // namespace

void groupNormChannelsLast(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                           double epsilon, const float *gamma, const float *beta,
                           Activation activation, const float *x, float *y) {
  const int64_t perGroup = channels / groups;
#pragma omp parallel
  {
    ChannelsLastScratch scratch;
    std::vector<float> scale(static_cast<size_t>(channels)), shift(scale.size());
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      const float *in = x + n * spatial * channels;
      float *out = y + n * spatial * channels;
      statisticsChannelsLast(in, spatial, channels, groups, epsilon, scratch);
      for (int64_t c = 0; c < channels; ++c) {
        const GroupStatistics &g = scratch.stats[c / perGroup];
        scale[c] = static_cast<float>(g.inverseStd * gamma[c]);
        shift[c] = static_cast<float>(beta[c] - g.mean * g.inverseStd * gamma[c]);
      }
      for (int64_t i = 0; i < spatial; ++i) {
        const float *row = in + i * channels;
        float *dst = out + i * channels;
        if (activation == Activation::None)
          for (int64_t c = 0; c < channels; ++c)
            dst[c] = row[c] * scale[c] + shift[c];
        else
          for (int64_t c = 0; c < channels; ++c)
            dst[c] = activate(row[c] * scale[c] + shift[c], activation);
      }
    }
  }
}

void groupNorm(int64_t batch, int64_t channels, int64_t spatial, int64_t groups, double epsilon,
               const float *gamma, const float *beta, Activation activation, const float *x,
               float *y) {
  const int64_t perGroup = channels / groups, count = perGroup * spatial;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (n * channels + g * perGroup) * spatial;
      const GroupStatistics stats = statistics(x + base, count, epsilon);
      for (int64_t c = 0; c < perGroup; ++c) {
        const int64_t channel = g * perGroup + c;
        const float scale = static_cast<float>(stats.inverseStd * gamma[channel]);
        const float shift =
            static_cast<float>(beta[channel] - stats.mean * stats.inverseStd * gamma[channel]);
        const float *in = x + base + c * spatial;
        float *out = y + base + c * spatial;
        if (activation == Activation::None) // the vectorized form
          for (int64_t i = 0; i < spatial; ++i)
            out[i] = in[i] * scale + shift;
        else
          for (int64_t i = 0; i < spatial; ++i)
            out[i] = activate(in[i] * scale + shift, activation);
      }
    }
}

namespace {
/// d gamma and d beta: the rows' per-channel terms added in row order, so
/// they do not depend on the thread count.
void reduceRowsInOrder(int64_t batch, int64_t channels, const std::vector<double> &sums,
                       const std::vector<double> &projections, float *dgamma, float *dbeta) {
  for (int64_t channel = 0; channel < channels; ++channel) {
    double sum = 0, projection = 0;
    for (int64_t n = 0; n < batch; ++n) {
      sum += sums[n * channels + channel];
      projection += projections[n * channels + channel];
    }
    if (dgamma)
      dgamma[channel] = static_cast<float>(projection);
    if (dbeta)
      dbeta[channel] = static_cast<float>(sum);
  }
}

/// sum dz and sum dz x over `count` terms, in kLanes double lanes.
std::pair<double, double> cotangentSums(const float *dz, const float *x, int64_t count) {
  double sums[kLanes] = {}, products[kLanes] = {};
  const int64_t whole = count / kLanes * kLanes;
  for (int64_t i = 0; i < whole; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      sums[l] += dz[i + l];
      products[l] += static_cast<double>(dz[i + l]) * x[i + l];
    }
  double sum = 0, product = 0;
  for (int64_t i = whole; i < count; ++i) {
    sum += dz[i];
    product += static_cast<double>(dz[i]) * x[i];
  }
  for (int64_t l = 0; l < kLanes; ++l) {
    sum += sums[l];
    product += products[l];
  }
  return {sum, product};
}

/// One group's dx as an affine map of (dz, x) in float: dx = onDz[c] dz +
/// onX x + shift, onDz[c] = rstd gamma[c] (the caller's). With x_hat =
/// (x - mean) rstd over the group's `count` terms and g = dz gamma,
///   dx = rstd (g - mean(g) - x_hat mean(g x_hat)),
/// and per channel sum dz x_hat = rstd (sum dz x - mean sum dz). From the
/// group's channels' `sum` (dz) and `product` (dz x); records each channel's
/// sum dz and sum dz x_hat in `sums` and `projections` (d beta, d gamma).
struct GroupDxMap {
  float onX, shift;
};
GroupDxMap groupDxMap(const GroupStatistics &stats, const double *sum, const double *product,
                      const float *gamma, int64_t perGroup, int64_t count, double *sums,
                      double *projections) {
  double meanG = 0, meanGXhat = 0;
  for (int64_t c = 0; c < perGroup; ++c) {
    const double projection = stats.inverseStd * (product[c] - stats.mean * sum[c]);
    sums[c] = sum[c];
    projections[c] = projection;
    meanG += gamma[c] * sum[c];
    meanGXhat += gamma[c] * projection;
  }
  meanG /= count;
  meanGXhat /= count;
  const double r = stats.inverseStd;
  return {static_cast<float>(-r * r * meanGXhat),
          static_cast<float>(r * (stats.mean * r * meanGXhat - meanG))};
}
} // namespace

void groupNormGrad(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                   double epsilon, const float *gamma, const float *x, const float *dz,
                   float *dx, float *dgamma, float *dbeta) {
  // One pass for the statistics, one for the sums, one writing dx.
  const int64_t perGroup = channels / groups, count = perGroup * spatial;
  // [batch, channels] of (sum dz, sum dz x_hat), reduced over rows after.
  std::vector<double> sums(static_cast<size_t>(batch * channels)),
      projections(static_cast<size_t>(batch * channels));
#pragma omp parallel
  {
    std::vector<double> sum(static_cast<size_t>(perGroup)), product(sum.size());
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t first = g * perGroup, base = (n * channels + first) * spatial;
        const GroupStatistics stats = statistics(x + base, count, epsilon);
        for (int64_t c = 0; c < perGroup; ++c)
          std::tie(sum[c], product[c]) =
              cotangentSums(dz + base + c * spatial, x + base + c * spatial, spatial);
        const int64_t row = n * channels + first;
        const GroupDxMap map = groupDxMap(stats, sum.data(), product.data(), gamma + first,
                                          perGroup, count, sums.data() + row,
                                          projections.data() + row);
        if (!dx)
          continue;
        for (int64_t c = 0; c < perGroup; ++c) {
          const int64_t at = base + c * spatial;
          const auto onDz = static_cast<float>(stats.inverseStd * gamma[first + c]);
          const float *in = x + at, *grad = dz + at;
          float *out = dx + at;
          for (int64_t i = 0; i < spatial; ++i)
            out[i] = onDz * grad[i] + map.onX * in[i] + map.shift;
        }
      }
  }
  reduceRowsInOrder(batch, channels, sums, projections, dgamma, dbeta);
}

void groupNormGradChannelsLast(int64_t batch, int64_t channels, int64_t spatial,
                               int64_t groups, double epsilon, const float *gamma,
                               const float *x, const float *dz, float *dx, float *dgamma,
                               float *dbeta) {
  // groupNormGrad's algebra, with every sum taken per channel across the
  // pixels (vectorized over the channels) and then per group.
  const int64_t perGroup = channels / groups, count = perGroup * spatial;
  std::vector<double> sums(static_cast<size_t>(batch * channels)),
      projections(static_cast<size_t>(batch * channels));
#pragma omp parallel
  {
    ChannelsLastScratch scratch;
    std::vector<double> sum(static_cast<size_t>(channels)), product(sum.size());
    std::vector<float> onDz(sum.size()), onX(sum.size()), shift(sum.size());
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t base = n * spatial * channels;
      statisticsChannelsLast(x + base, spatial, channels, groups, epsilon, scratch);
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(product.begin(), product.end(), 0.0);
      for (int64_t i = 0; i < spatial; ++i) {
        const float *grad = dz + base + i * channels, *in = x + base + i * channels;
        for (int64_t c = 0; c < channels; ++c) {
          sum[c] += grad[c];
          product[c] += static_cast<double>(grad[c]) * in[c];
        }
      }
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t first = g * perGroup;
        const GroupStatistics &stats = scratch.stats[g];
        const GroupDxMap map = groupDxMap(stats, sum.data() + first, product.data() + first,
                                          gamma + first, perGroup, count,
                                          sums.data() + n * channels + first,
                                          projections.data() + n * channels + first);
        for (int64_t c = first; c < first + perGroup; ++c) {
          onDz[c] = static_cast<float>(stats.inverseStd * gamma[c]);
          onX[c] = map.onX;
          shift[c] = map.shift;
        }
      }
      if (!dx)
        continue;
      for (int64_t i = 0; i < spatial; ++i) {
        const int64_t at = base + i * channels;
        for (int64_t c = 0; c < channels; ++c)
          dx[at + c] = onDz[c] * dz[at + c] + onX[c] * x[at + c] + shift[c];
      }
    }
  }
  reduceRowsInOrder(batch, channels, sums, projections, dgamma, dbeta);
}

void GroupNormLayer::run(CpuContext &context, int64_t batch, int64_t spatial, const float *x,
                         float *y, bool channelsLast) {
  // The normalisation, then the activation in place as one oneDNN eltwise
  // (vectorized exp), while y is still in cache.
  (channelsLast ? groupNormChannelsLast : groupNorm)(batch, channels_, spatial, groups_,
                                                     epsilon_, gamma_.data(), beta_.data(),
                                                     Activation::None, x, y);
  if (activation_.activation() != Activation::None)
    activation_.run(context, y, y, batch * channels_ * spatial);
}

LayerNormLayer::LayerNormLayer(CpuContext &context, int64_t features, double epsilon,
                               std::span<const float> gamma, std::span<const float> beta)
    : features_(features), epsilon_(static_cast<float>(epsilon)) {
  if (static_cast<int64_t>(gamma.size()) != features ||
      static_cast<int64_t>(beta.size()) != features)
    throw std::invalid_argument("layer_norm layer: gamma/beta do not have " +
                                std::to_string(features) + " entries");
  const memory::desc vector({features}, f32, memory::format_tag::x);
  scale_ = ownedCopy(context, vector, gamma);
  shift_ = ownedCopy(context, vector, beta);
}

void LayerNormLayer::run(CpuContext &context, int64_t rows, const float *x, float *y) {
  memory::desc desc({rows, features_}, f32, memory::format_tag::ab);
  auto &primitive = primitives_.get(rows, [&] {
    dnnl::layer_normalization_forward::desc d(
        dnnl::prop_kind::forward_inference, desc, epsilon_,
        dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift);
    return dnnl::layer_normalization_forward::primitive_desc(d, withUserScratchpad(),
                                                             context.engine);
  });
  context.execute(primitive, {{DNNL_ARG_SRC, memory(desc, context.engine, const_cast<float *>(x))},
                              {DNNL_ARG_DST, memory(desc, context.engine, y)},
                              {DNNL_ARG_SCALE, scale_},
                              {DNNL_ARG_SHIFT, shift_}});
}

} // namespace tweedie::cpu
