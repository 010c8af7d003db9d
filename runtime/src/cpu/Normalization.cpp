//===- Normalization.cpp ----------------------------------------------------===//
#include "cpu/Normalization.h"
#include "cpu/Elementwise.h"

#include <cmath>
#include <stdexcept>
#include <string>
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

/// Channels last: one sample's [spatial, channels] elements. Per-channel
/// sums in double, vectorized across the channels, then each group's mean
/// and inverse deviation from its channels' sums (two passes, as above).
std::vector<GroupStatistics> statisticsChannelsLast(const float *x, int64_t spatial,
                                                    int64_t channels, int64_t groups,
                                                    double epsilon,
                                                    std::vector<double> &perChannel) {
  const int64_t perGroup = channels / groups;
  const double count = static_cast<double>(perGroup * spatial);
  std::vector<GroupStatistics> stats(static_cast<size_t>(groups));
  perChannel.assign(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < spatial; ++i)
    for (int64_t c = 0; c < channels; ++c)
      perChannel[c] += x[i * channels + c];
  std::vector<double> mean(static_cast<size_t>(channels));
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
  return stats;
}

} // namespace

void groupNormChannelsLast(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                           double epsilon, const float *gamma, const float *beta,
                           Activation activation, const float *x, float *y) {
  const int64_t perGroup = channels / groups;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    const float *in = x + n * spatial * channels;
    float *out = y + n * spatial * channels;
    std::vector<double> scratch;
    const std::vector<GroupStatistics> stats =
        statisticsChannelsLast(in, spatial, channels, groups, epsilon, scratch);
    std::vector<float> scale(static_cast<size_t>(channels)), shift(scale.size());
    for (int64_t c = 0; c < channels; ++c) {
      const GroupStatistics &g = stats[c / perGroup];
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
} // namespace

void groupNormGrad(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                   double epsilon, const float *gamma, const float *x, const float *dz,
                   float *dx, float *dgamma, float *dbeta) {
  // With x_hat = (x - mean) rstd over a group of m terms and g = dz gamma:
  //   dx = rstd (g - mean(g) - x_hat mean(g x_hat)),
  // and per channel, sum dz x_hat = rstd (sum dz x - mean sum dz). One pass
  // for the statistics, one for the sums, one writing dx.
  const int64_t perGroup = channels / groups, count = perGroup * spatial;
  // [batch, channels] of (sum dz, sum dz x_hat), reduced over rows after.
  std::vector<double> sums(static_cast<size_t>(batch * channels)),
      projections(static_cast<size_t>(batch * channels));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (n * channels + g * perGroup) * spatial;
      const GroupStatistics stats = statistics(x + base, count, epsilon);
      double meanG = 0, meanGXhat = 0;
      for (int64_t c = 0; c < perGroup; ++c) {
        const int64_t channel = g * perGroup + c, at = base + c * spatial;
        const auto [sum, product] = cotangentSums(dz + at, x + at, spatial);
        const double projection = stats.inverseStd * (product - stats.mean * sum);
        sums[n * channels + channel] = sum;
        projections[n * channels + channel] = projection;
        meanG += gamma[channel] * sum;
        meanGXhat += gamma[channel] * projection;
      }
      if (!dx)
        continue;
      meanG /= count;
      meanGXhat /= count;
      // dx = rstd gamma dz - rstd^2 B x + rstd (mean rstd B - A), per channel
      // an affine map of (dz, x) in float.
      const double r = stats.inverseStd;
      const auto onX = static_cast<float>(-r * r * meanGXhat);
      const auto shift = static_cast<float>(r * (stats.mean * r * meanGXhat - meanG));
      for (int64_t c = 0; c < perGroup; ++c) {
        const int64_t at = base + c * spatial;
        const auto onDz = static_cast<float>(r * gamma[g * perGroup + c]);
        const float *in = x + at, *grad = dz + at;
        float *out = dx + at;
        for (int64_t i = 0; i < spatial; ++i)
          out[i] = onDz * grad[i] + onX * in[i] + shift;
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
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    const int64_t base = n * spatial * channels;
    std::vector<double> scratch, sum(static_cast<size_t>(channels)),
        product(static_cast<size_t>(channels));
    const std::vector<GroupStatistics> stats =
        statisticsChannelsLast(x + base, spatial, channels, groups, epsilon, scratch);
    for (int64_t i = 0; i < spatial; ++i) {
      const float *grad = dz + base + i * channels, *in = x + base + i * channels;
      for (int64_t c = 0; c < channels; ++c) {
        sum[c] += grad[c];
        product[c] += static_cast<double>(grad[c]) * in[c];
      }
    }
    std::vector<float> onDz(static_cast<size_t>(channels)), onX(onDz.size()),
        shift(onDz.size());
    for (int64_t g = 0; g < groups; ++g) {
      const GroupStatistics &st = stats[g];
      double meanG = 0, meanGXhat = 0;
      for (int64_t c = g * perGroup; c < (g + 1) * perGroup; ++c) {
        const double projection = st.inverseStd * (product[c] - st.mean * sum[c]);
        sums[n * channels + c] = sum[c];
        projections[n * channels + c] = projection;
        meanG += gamma[c] * sum[c];
        meanGXhat += gamma[c] * projection;
      }
      meanG /= count;
      meanGXhat /= count;
      const double r = st.inverseStd;
      for (int64_t c = g * perGroup; c < (g + 1) * perGroup; ++c) {
        onDz[c] = static_cast<float>(r * gamma[c]);
        onX[c] = static_cast<float>(-r * r * meanGXhat);
        shift[c] = static_cast<float>(r * (st.mean * r * meanGXhat - meanG));
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
