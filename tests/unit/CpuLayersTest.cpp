//===- CpuLayersTest.cpp - CPU backend layers vs the float64 reference ---===//
//
// Every layer is compared with the reference kernels (which define the ops) at
// odd sizes, by relative error ||a - b|| / ||b||; float32 accumulation over a
// few hundred terms stays far below the 1e-5 bound.
//
//===----------------------------------------------------------------------===//
#include "cpu/AttentionLayer.h"
#include "cpu/Conv2DLayer.h"
#include "cpu/DenseLayer.h"
#include "cpu/Elementwise.h"
#include "cpu/Normalization.h"
#include "cpu/RowInvariantGemm.h"
#include "LayerTestSupport.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Reference/SamplerSteps.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace tweedie;
namespace ref = tweedie::reference;
using tweedie::testing::asTensor;
using tweedie::testing::pattern;
using tweedie::testing::relativeError;

namespace {

constexpr double kTolerance = 1e-5;

/// The reference epilogue: act(y) (+ residual).
ref::Tensor epilogue(ref::Tensor y, cpu::Activation a, const ref::Tensor *residual) {
  if (a != cpu::Activation::None)
    y = ref::activate(y, a); // the same enum: tweedie/Activation.h
  return residual ? ref::add(y, *residual).value() : y;
}

const cpu::Activation kActivations[] = {cpu::Activation::None, cpu::Activation::SiLU,
                                        cpu::Activation::GELU, cpu::Activation::ReLU,
                                        cpu::Activation::Tanh, cpu::Activation::Softplus,
                                        // defined everywhere, so fusable after any layer
                                        cpu::Activation::Exp, cpu::Activation::Square,
                                        cpu::Activation::Sigmoid};

TEST(CpuDense, MatchesReferenceForEveryEpilogue) {
  cpu::CpuContext context;
  const int64_t in = 37, out = 19;
  auto w = pattern(in * out, 0.7, 0.2), b = pattern(out, 1.3);
  for (cpu::Activation act : kActivations)
    for (bool residual : {false, true})
      for (int64_t rows : {1, 5, 64}) {
        cpu::DenseLayer layer(context, in, out, w, b, {act, residual});
        auto x = pattern(rows * in, 0.9), r = pattern(rows * out, 0.4);
        std::vector<float> y(rows * out);
        layer.run(context, rows, x.data(), y.data(), residual ? r.data() : nullptr);
        ref::Tensor rr = asTensor({rows, out}, r), bias = asTensor({out}, b);
        ref::Tensor expected = epilogue(
            ref::dense(asTensor({rows, in}, x), asTensor({in, out}, w), &bias).value(), act,
            residual ? &rr : nullptr);
        EXPECT_LT(relativeError(y, expected), kTolerance)
            << "activation " << int(act) << " residual " << residual << " rows " << rows;
      }
}

/// What the sampler's determinism rests on (Program::runChunk): every library call
/// sees the same micro-batch size M on one thread, and a sample always sits in the
/// same row; the other rows hold other samples or zero padding, depending on the
/// request. So at a fixed batch size on one thread, a row's bits must not depend on
/// what the other rows hold. (Across batch sizes or thread counts oneDNN may pick
/// other blockings and reduction orders, gemm:jit on AVX2 does: the design never
/// relies on that, and no test asserts it.)
template <typename RunLayer>
void expectRowsIndependentOfTheirNeighbours(int64_t batch, int64_t inWidth, int64_t outWidth,
                                            RunLayer run) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  auto x = pattern(batch * inWidth, 0.77);
  std::vector<float> full(batch * outWidth), padded(batch * outWidth);
  run(x.data(), full.data());
  for (int64_t row : {int64_t{0}, batch / 3, batch - 1}) {
    // The row alone among zero padding, as the first or last sample of a request.
    std::vector<float> alone(batch * inWidth, 0.0f);
    std::copy_n(x.data() + row * inWidth, inWidth, alone.data() + row * inWidth);
    run(alone.data(), padded.data());
    EXPECT_EQ(std::memcmp(padded.data() + row * outWidth, full.data() + row * outWidth,
                          outWidth * sizeof(float)),
              0)
        << "row " << row << " of " << batch;
  }
  omp_set_num_threads(saved);
}

TEST(CpuDense, ARowDependsOnlyOnItselfAtAFixedBatch) {
  cpu::CpuContext context;
  const int64_t in = 256, out = 256;
  auto w = pattern(in * out, 0.31, 0.06), b = pattern(out, 0.5);
  cpu::DenseLayer layer(context, in, out, w, b, {cpu::Activation::SiLU, false});
  for (int64_t batch : {1, 7, 64})
    expectRowsIndependentOfTheirNeighbours(batch, in, out, [&](const float *x, float *y) {
      layer.run(context, batch, x, y);
    });
}

/// The ISAs this machine runs, up to the one oneDNN's cap allows.
std::vector<cpu::GemmIsa> runnableIsas() {
  std::vector<cpu::GemmIsa> isas{cpu::GemmIsa::Baseline};
  if (cpu::gemmIsa() != cpu::GemmIsa::Baseline)
    isas.push_back(cpu::GemmIsa::Avx2);
  if (cpu::gemmIsa() == cpu::GemmIsa::Avx512)
    isas.push_back(cpu::GemmIsa::Avx512);
  return isas;
}

TEST(CpuRowInvariantGemm, MatchesFloat64AndARowIgnoresTheRowsBesideIt) {
  // Shapes with ragged panels (37, 2 columns) and short reductions (2, 19).
  const int64_t shapes[][2] = {{256, 256}, {19, 37}, {2, 256}, {256, 2}};
  const int64_t full = 64;
  for (cpu::GemmIsa isa : runnableIsas())
    for (const auto &[k, n] : shapes) {
      SCOPED_TRACE(std::string(cpu::gemmIsaName(isa)) + " " + std::to_string(k) + "x" +
                   std::to_string(n));
      auto w = pattern(k * n, 0.23, 0.1), bias = pattern(n, 0.7), x = pattern(full * k, 0.41);
      cpu::PackedGemmWeights packed(w, k, n, isa);
      std::vector<float> y(full * n);
      cpu::rowInvariantGemm(packed, full, x.data(), y.data(), bias.data());
      // Against float64: x W + b.
      double worst = 0, scale = 0;
      for (int64_t m = 0; m < full; ++m)
        for (int64_t j = 0; j < n; ++j) {
          double exact = bias[j];
          for (int64_t i = 0; i < k; ++i)
            exact += static_cast<double>(x[m * k + i]) * w[i * n + j];
          worst = std::max(worst, std::abs(y[m * n + j] - exact));
          scale = std::max(scale, std::abs(exact));
        }
      EXPECT_LT(worst / scale, 1e-5);
      // Any row count, any position, any share of the columns: the same bits.
      for (int64_t rows : {1, 2, 3, 5, 7, 8, 9, 13, 31, 63})
        for (int64_t first : {int64_t{0}, full - rows}) {
          std::vector<float> part(rows * n, -7.0f);
          cpu::rowInvariantGemm(packed, rows, x.data() + first * k, part.data(), bias.data());
          ASSERT_EQ(0, std::memcmp(part.data(), y.data() + first * n, part.size() * 4))
              << rows << " rows from row " << first;
        }
      const int64_t half = packed.panels() / 2;
      std::vector<float> split(full * n, -7.0f);
      cpu::rowInvariantGemm(packed, full, x.data(), split.data(), bias.data(), 0, half);
      cpu::rowInvariantGemm(packed, full, x.data(), split.data(), bias.data(), half);
      EXPECT_EQ(0, std::memcmp(split.data(), y.data(), y.size() * 4)) << "split columns";
    }
}

TEST(CpuDense, ARowIsBitIdenticalWhateverTheRowCount) {
  // The sampler sizes micro-batches to the request: a row must not change
  // with the number of rows in its call, activation and residual included.
  cpu::CpuContext context;
  const int64_t in = 256, out = 256, full = 64;
  auto w = pattern(in * out, 0.31, 0.06), b = pattern(out, 0.5);
  auto x = pattern(full * in, 0.43), r = pattern(full * out, 0.19);
  cpu::DenseLayer layer(context, in, out, w, b, {cpu::Activation::SiLU, true});
  std::vector<float> y(full * out);
  layer.run(context, full, x.data(), y.data(), r.data());
  for (int64_t rows : {1, 2, 3, 17, 63}) {
    std::vector<float> part(rows * out);
    const int64_t first = full - rows;
    layer.run(context, rows, x.data() + first * in, part.data(), r.data() + first * out);
    EXPECT_EQ(0, std::memcmp(part.data(), y.data() + first * out, part.size() * 4)) << rows;
  }
}

TEST(CpuConv2D, MatchesReferenceWithStrideGroupsAndEpilogue) {
  cpu::CpuContext context;
  struct Case {
    cpu::Conv2DShape shape;
    cpu::Activation act;
    bool residual;
  };
  const Case cases[] = {
      {{4, 6, 9, 7, 3, 3, {1, 1}, {1, 1}, 1}, cpu::Activation::SiLU, true},
      {{4, 6, 9, 7, 3, 3, {2, 2}, {1, 1}, 2}, cpu::Activation::None, false},
      {{1, 32, 28, 28, 3, 3, {1, 1}, {1, 1}, 1}, cpu::Activation::GELU, false},
      {{8, 8, 6, 6, 1, 1, {1, 1}, {0, 0}, 8}, cpu::Activation::ReLU, true},
  };
  for (const Case &c : cases) {
    const cpu::Conv2DShape &s = c.shape;
    auto w = pattern(s.outChannels * (s.inChannels / s.groups) * s.kernelH * s.kernelW, 0.61,
                     0.3);
    auto b = pattern(s.outChannels, 0.2);
    cpu::Conv2DLayer layer(context, s, w, b, {c.act, c.residual}, 2);
    const int64_t batch = 3, outSize = batch * s.outChannels * s.outHeight() * s.outWidth();
    auto x = pattern(batch * s.inChannels * s.height * s.width, 0.43);
    auto r = pattern(outSize, 0.17);
    std::vector<float> y(outSize);
    layer.run(context, batch, x.data(), y.data(), c.residual ? r.data() : nullptr);
    ref::Tensor rr = asTensor({batch, s.outChannels, s.outHeight(), s.outWidth()}, r);
    ref::Tensor bias = asTensor({s.outChannels}, b);
    ref::Tensor expected = epilogue(
        ref::conv2d(asTensor({batch, s.inChannels, s.height, s.width}, x),
                    asTensor({s.outChannels, s.inChannels / s.groups, s.kernelH, s.kernelW}, w),
                    &bias, s.stride, s.padding, s.groups)
            .value(),
        c.act, c.residual ? &rr : nullptr);
    EXPECT_LT(relativeError(y, expected), kTolerance)
        << s.inChannels << "->" << s.outChannels << " groups " << s.groups;
  }
}

TEST(CpuConv2D, ASampleDependsOnlyOnItselfAtAFixedBatch) {
  cpu::CpuContext context;
  cpu::Conv2DShape s{32, 32, 14, 14, 3, 3, {1, 1}, {1, 1}, 1};
  auto w = pattern(32 * 32 * 9, 0.29, 0.05);
  cpu::Conv2DLayer layer(context, s, w, {}, {cpu::Activation::SiLU, false}, 2);
  const int64_t per = 32 * 14 * 14;
  for (int64_t batch : {1, 7})
    expectRowsIndependentOfTheirNeighbours(batch, per, per, [&](const float *x, float *y) {
      layer.run(context, batch, x, y);
    });
}

TEST(CpuNormalization, GroupNormMatchesReferenceAndFusesTheActivation) {
  const int64_t batch = 2, channels = 12, spatial = 5 * 3;
  auto gamma = pattern(channels, 0.8), beta = pattern(channels, 1.9);
  auto x = pattern(batch * channels * spatial, 0.37, 4.0);
  cpu::CpuContext context;
  for (cpu::Activation act : {cpu::Activation::None, cpu::Activation::SiLU}) {
    cpu::GroupNormLayer layer(channels, 4, 1e-5, gamma, beta, act);
    std::vector<float> y(x.size());
    layer.run(context, batch, spatial, x.data(), y.data());
    ref::Tensor expected =
        epilogue(ref::groupNorm(asTensor({batch, channels, 5, 3}, x),
                                asTensor({channels}, gamma), asTensor({channels}, beta), 4,
                                1e-5)
                     .value(),
                 act, nullptr);
    EXPECT_LT(relativeError(y, expected), kTolerance);
  }
}

TEST(CpuNormalization, LayerNormMatchesReference) {
  cpu::CpuContext context;
  const int64_t rows = 49, features = 64;
  auto gamma = pattern(features, 0.8), beta = pattern(features, 1.9);
  auto x = pattern(rows * features, 0.37, 3.0);
  cpu::LayerNormLayer layer(context, features, 1e-5, gamma, beta);
  std::vector<float> y(x.size());
  layer.run(context, rows, x.data(), y.data());
  ref::Tensor expected = ref::layerNorm(asTensor({rows, features}, x),
                                        asTensor({features}, gamma),
                                        asTensor({features}, beta), 1e-5)
                             .value();
  EXPECT_LT(relativeError(y, expected), kTolerance);
}

TEST(CpuAttention, MatchesReferenceWithFourHeads) {
  const int64_t batch = 2, length = 49, source = 49, features = 64, heads = 4;
  auto q = pattern(batch * length * features, 0.13), k = pattern(batch * source * features, 0.29);
  auto v = pattern(batch * source * features, 0.71);
  std::vector<float> out(batch * length * features);
  cpu::attention(batch, length, source, features, features, heads, q.data(), k.data(),
                 v.data(), out.data());
  ref::Tensor expected = ref::attention(asTensor({batch, length, features}, q),
                                        asTensor({batch, source, features}, k),
                                        asTensor({batch, source, features}, v), heads)
                             .value();
  EXPECT_LT(relativeError(out, expected), kTolerance);
  // The sampler's layer on oneDNN: strided heads, the scale in the matmul.
  cpu::CpuContext context;
  cpu::AttentionLayer layer(length, source, features, features, heads);
  std::vector<float> sampled(out.size(), -3.0f);
  layer.run(context, batch, q.data(), k.data(), v.data(), sampled.data());
  EXPECT_LT(relativeError(sampled, expected), kTolerance);
}

TEST(CpuAttention, TheSamplersLayerTakesKeysOfAnotherLengthAndValuesOfAnotherWidth) {
  const int64_t batch = 3, length = 5, source = 9, features = 12, values = 8, heads = 2;
  auto q = pattern(batch * length * features, 0.17), k = pattern(batch * source * features, 0.23);
  auto v = pattern(batch * source * values, 0.53);
  cpu::CpuContext context;
  cpu::AttentionLayer layer(length, source, features, values, heads);
  std::vector<float> out(batch * length * values);
  layer.run(context, batch, q.data(), k.data(), v.data(), out.data());
  ref::Tensor expected = ref::attention(asTensor({batch, length, features}, q),
                                        asTensor({batch, source, features}, k),
                                        asTensor({batch, source, values}, v), heads)
                             .value();
  EXPECT_LT(relativeError(out, expected), kTolerance);
}

TEST(CpuUpsample, RepeatsEachPixelAsTheReferenceDoes) {
  // Scale 2 has its own loop; 3 takes the general one. Copies must be exact.
  for (int64_t scale : {2, 3}) {
    const int64_t batch = 2, channels = 3, h = 5, w = 7;
    auto x = pattern(batch * channels * h * w, 0.37);
    std::vector<float> out(batch * channels * h * w * scale * scale, -1.0f);
    cpu::upsampleNearest(x.data(), batch * channels, h, w, scale, out.data());
    ref::Tensor expected =
        ref::upsampleNearest(asTensor({batch, channels, h, w}, x), scale).value();
    ASSERT_EQ(static_cast<int64_t>(out.size()), expected.numel());
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_EQ(out[i], static_cast<float>(expected[i])) << "scale " << scale << " at " << i;
  }
}

TEST(CpuMALAStep, AcceptsAndRejectsAsTheReferenceDoes) {
  // 512 samples of 3 values with energies and uniforms spread so that about
  // half the proposals pass: every sample's choice must be the reference's.
  const int64_t samples = 512, width = 3;
  const double eta = 0.05;
  auto x = pattern(samples * width, 0.37), y = pattern(samples * width, 0.53);
  auto sx = pattern(samples * width, 0.71, 2.0), sy = pattern(samples * width, 0.19, 2.0);
  auto ex = pattern(samples, 0.11), ey = pattern(samples, 0.23);
  std::vector<float> u(samples);
  for (int64_t r = 0; r < samples; ++r)
    u[r] = static_cast<float>((r * 0.618034 - static_cast<int64_t>(r * 0.618034)) * 0.98 + 0.01);
  std::vector<float> out(samples * width);
  cpu::malaStep(x.data(), y.data(), ex.data(), ey.data(), sx.data(), sy.data(), u.data(),
                out.data(), samples, width, eta);
  ref::Tensor expected =
      ref::malaStep(asTensor({samples, width}, x), asTensor({samples, width}, y),
                    asTensor({samples}, ex), asTensor({samples}, ey),
                    asTensor({samples, width}, sx), asTensor({samples, width}, sy),
                    asTensor({samples}, u), eta)
          .value();
  int64_t accepted = 0;
  for (int64_t r = 0; r < samples; ++r) {
    accepted += out[r * width] == y[r * width];
    for (int64_t j = 0; j < width; ++j)
      ASSERT_EQ(out[r * width + j], expected[r * width + j]) << "sample " << r;
  }
  EXPECT_GT(accepted, samples / 5);
  EXPECT_LT(accepted, samples * 4 / 5);
}

TEST(CpuLayers, RejectWeightsThatDoNotFit) {
  cpu::CpuContext context;
  std::vector<float> w(10);
  EXPECT_THROW(cpu::DenseLayer(context, 3, 4, w, {}, {}), std::invalid_argument);
  EXPECT_THROW(cpu::Conv2DLayer(context, {3, 4, 5, 5, 3, 3}, w, {}, {}, 1),
               std::invalid_argument);
  EXPECT_THROW(cpu::GroupNormLayer(10, 3, 1e-5, w, w), std::invalid_argument);
}

} // namespace
