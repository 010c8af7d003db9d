//===- ChannelsLastTest.cpp - CPU kernels on NHWC data vs the reference --===//
//
// The reference kernels define the ops on NCHW tensors; each channels-last
// kernel runs on the same data permuted to NHWC, and its result, permuted
// back, must match the reference (by relative error, or exactly for pure
// data movement). Sizes are odd so that no vector width divides them.
//
//===----------------------------------------------------------------------===//
#include "cpu/Conv2DLayer.h"
#include "cpu/Elementwise.h"
#include "cpu/GradientKernels.h"
#include "cpu/Normalization.h"
#include "LayerTestSupport.h"
#include "tweedie/Reference/Kernels.h"

#include <gtest/gtest.h>

using namespace tweedie;
namespace ref = tweedie::reference;
using tweedie::testing::asTensor;
using tweedie::testing::pattern;
using tweedie::testing::relativeError;

namespace {

constexpr double kTolerance = 1e-5;

/// [n, c, s] -> [n, s, c] (toLast) or back.
std::vector<float> permuted(const std::vector<float> &x, int64_t n, int64_t c, int64_t s,
                            bool toLast) {
  std::vector<float> out(x.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < s; ++i) {
        const int64_t planar = (b * c + k) * s + i, last = (b * s + i) * c + k;
        out[toLast ? last : planar] = x[toLast ? planar : last];
      }
  return out;
}

TEST(ChannelsLast, ConvolutionMatchesReferenceWithResidualStrideAndGroups) {
  cpu::CpuContext context;
  const cpu::Conv2DShape shapes[] = {{6, 10, 9, 7, 3, 3, {1, 1}, {1, 1}, 1},
                                     {8, 12, 11, 9, 3, 3, {2, 2}, {1, 1}, 2}};
  for (cpu::Conv2DShape s : shapes) {
    s.inputChannelsLast = s.outputChannelsLast = true;
    const int64_t batch = 3, inPlane = s.height * s.width,
                  outPlane = s.outHeight() * s.outWidth();
    auto w = pattern(s.outChannels * (s.inChannels / s.groups) * s.kernelH * s.kernelW, 0.61,
                     0.3);
    auto b = pattern(s.outChannels, 0.2);
    auto x = pattern(batch * s.inChannels * inPlane, 0.43);
    auto r = pattern(batch * s.outChannels * outPlane, 0.17);
    cpu::Conv2DLayer layer(context, s, w, b, {cpu::Activation::SiLU, true}, batch);
    std::vector<float> y(r.size());
    layer.run(context, batch, permuted(x, batch, s.inChannels, inPlane, true).data(), y.data(),
              permuted(r, batch, s.outChannels, outPlane, true).data());
    ref::Tensor bias = asTensor({s.outChannels}, b);
    ref::Tensor conv =
        ref::conv2d(asTensor({batch, s.inChannels, s.height, s.width}, x),
                    asTensor({s.outChannels, s.inChannels / s.groups, s.kernelH, s.kernelW}, w),
                    &bias, s.stride, s.padding, s.groups)
            .value();
    ref::Tensor expected =
        ref::add(ref::activate(conv, cpu::Activation::SiLU),
                 asTensor({batch, s.outChannels, s.outHeight(), s.outWidth()}, r))
            .value();
    EXPECT_LT(relativeError(permuted(y, batch, s.outChannels, outPlane, false), expected),
              kTolerance)
        << s.inChannels << " -> " << s.outChannels << " groups " << s.groups;
  }
}

TEST(ChannelsLast, GroupNormAndItsGradientMatchReference) {
  const int64_t batch = 3, channels = 12, groups = 4, h = 5, w = 3, spatial = h * w;
  auto gamma = pattern(channels, 0.8), beta = pattern(channels, 1.9);
  auto x = pattern(batch * channels * spatial, 0.37, 4.0);
  auto dz = pattern(x.size(), 0.91);
  const ref::Tensor rx = asTensor({batch, channels, h, w}, x);
  const ref::Tensor rgamma = asTensor({channels}, gamma);
  const ref::Tensor forward =
      ref::groupNorm(rx, rgamma, asTensor({channels}, beta), groups, 1e-5).value();
  const auto grads =
      ref::groupNormGrad(rx, rgamma, asTensor({batch, channels, h, w}, dz), groups, 1e-5);

  const std::vector<float> xl = permuted(x, batch, channels, spatial, true);
  const std::vector<float> dzl = permuted(dz, batch, channels, spatial, true);
  std::vector<float> y(x.size());
  cpu::groupNormChannelsLast(batch, channels, spatial, groups, 1e-5, gamma.data(), beta.data(),
                             cpu::Activation::None, xl.data(), y.data());
  EXPECT_LT(relativeError(permuted(y, batch, channels, spatial, false), forward), kTolerance);

  // Both layouts' gradient kernels; d gamma and d beta are layout-free.
  for (bool last : {false, true}) {
    std::vector<float> dx(x.size()), dgamma(channels), dbeta(channels);
    (last ? cpu::groupNormGradChannelsLast : cpu::groupNormGrad)(
        batch, channels, spatial, groups, 1e-5, gamma.data(), last ? xl.data() : x.data(),
        last ? dzl.data() : dz.data(), dx.data(), dgamma.data(), dbeta.data());
    EXPECT_LT(relativeError(last ? permuted(dx, batch, channels, spatial, false) : dx, grads[0]),
              kTolerance)
        << (last ? "channels last" : "plain");
    EXPECT_LT(relativeError(dgamma, grads[1]), kTolerance);
    EXPECT_LT(relativeError(dbeta, grads[2]), kTolerance);
  }
}

TEST(ChannelsLast, UpsampleRepeatsEachPixelExactly) {
  for (int64_t scale : {2, 3}) {
    const int64_t batch = 2, channels = 5, h = 3, w = 4;
    auto x = pattern(batch * channels * h * w, 0.37);
    std::vector<float> out(x.size() * scale * scale, -1.0f);
    cpu::upsampleNearestChannelsLast(permuted(x, batch, channels, h * w, true).data(), batch,
                                     h, w, channels, scale, out.data());
    const ref::Tensor expected =
        ref::upsampleNearest(asTensor({batch, channels, h, w}, x), scale).value();
    const std::vector<float> planar =
        permuted(out, batch, channels, h * w * scale * scale, false);
    for (size_t i = 0; i < planar.size(); ++i)
      ASSERT_EQ(planar[i], static_cast<float>(expected[i])) << "scale " << scale << " at " << i;
  }
}

TEST(ChannelsLast, TransposeFastPathsMoveEveryElementAsTheReferenceDoes) {
  // The identity (a layout change that moves nothing), a swap of the last two
  // axes with tiles that do not divide it, and a general permutation.
  const cpu::Dims shape = {2, 19, 37};
  auto x = pattern(2 * 19 * 37, 0.29);
  for (const cpu::Dims &permutation : {cpu::Dims{0, 1, 2}, cpu::Dims{0, 2, 1},
                                       cpu::Dims{1, 0, 2}}) {
    std::vector<float> out(x.size());
    cpu::transpose(x.data(), shape, permutation, out.data());
    const ref::Tensor expected =
        ref::transpose(asTensor({2, 19, 37}, x), {permutation.begin(), permutation.end()})
            .value();
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_EQ(out[i], static_cast<float>(expected[i])) << i;
  }
}

TEST(ChannelsLast, ColumnSumsMatchReference) {
  // A channels-last bias gradient: every axis but the last summed.
  const int64_t n = 3, h = 7, w = 5, c = 11;
  auto x = pattern(n * h * w * c, 0.53, 2.0);
  std::vector<float> out(c);
  cpu::reduceSumKeepDims(x.data(), {n, h, w, c}, {0, 1, 2}, out.data());
  const ref::Tensor expected = ref::reduceSum(asTensor({n, h, w, c}, x), {0, 1, 2}).value();
  EXPECT_LT(relativeError(out, expected), 1e-7);
}

} // namespace
