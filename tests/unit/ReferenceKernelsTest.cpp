//===- ReferenceKernelsTest.cpp - float64 kernels vs hand-computed values -===//
#include "tweedie/Reference/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tweedie::reference;

namespace {

void expectNear(const Tensor &actual, const Shape &shape,
                const std::vector<double> &expected, double tol = 1e-12) {
  ASSERT_EQ(actual.shape, shape);
  ASSERT_EQ(actual.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual.data[i], expected[i], tol) << "at flat index " << i;
}

TEST(ReferenceDense, MatrixTimesWeightsPlusBias) {
  Tensor x({2, 3}, {1, 2, 3, 0, -1, 2});
  Tensor w({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor b({2}, {10, 20});
  expectNear(dense(x, w, &b).value(), {2, 2}, {14, 25, 12, 21});
  expectNear(dense(x, w, nullptr).value(), {2, 2}, {4, 5, 2, 1});
}

TEST(ReferenceDense, RejectsMismatchedInnerDim) {
  Result r = dense(Tensor({2, 3}), Tensor({4, 2}), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("[2, 3]"), std::string::npos) << r.error();
}

TEST(ReferenceConv2D, BoxFilterWithPaddingSumsNeighbourhoods) {
  Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w({1, 1, 3, 3}, 1.0);
  expectNear(conv2d(x, w, nullptr, {1, 1}, {1, 1}, 1).value(), {1, 1, 3, 3},
             {12, 21, 16, 27, 45, 33, 24, 39, 28});
}

TEST(ReferenceConv2D, AsymmetricKernelIsCrossCorrelationNotConvolution) {
  // A kernel that picks the right neighbour: y[i] = x[i+1] (zero past the edge).
  Tensor x({1, 1, 1, 3}, {1, 2, 3});
  Tensor w({1, 1, 1, 3}, {0, 0, 1});
  expectNear(conv2d(x, w, nullptr, {1, 1}, {0, 1}, 1).value(), {1, 1, 1, 3},
             {2, 3, 0});
}

TEST(ReferenceConv2D, StrideAndMultipleChannelsAndBias) {
  // Two input channels summed by an all-ones 1x1 kernel, stride 2, bias 0.5.
  Tensor x({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  Tensor w({1, 2, 1, 1}, {1, 1});
  Tensor b({1}, {0.5});
  expectNear(conv2d(x, w, &b, {2, 2}, {0, 0}, 1).value(), {1, 1, 1, 1}, {11.5});
}

TEST(ReferenceConv2D, GroupsKeepChannelsApart) {
  // Depthwise: output channel c sees only input channel c.
  Tensor x({1, 2, 1, 2}, {1, 2, -1, 2});
  Tensor w({2, 1, 1, 1}, {3, 4});
  expectNear(conv2d(x, w, nullptr, {1, 1}, {0, 0}, 2).value(), {1, 2, 1, 2},
             {3, 6, -4, 8});
}

TEST(ReferenceGroupNorm, NormalisesEachGroupOverChannelsAndSpace) {
  Tensor x({1, 2, 1, 2}, {1, 3, 5, 7});
  Tensor gamma({2}, {1, 2}), beta({2}, {0, 1});
  // groups = 1: mean 4, biased variance 5.
  const double inv = 1.0 / std::sqrt(5.0 + 1e-5);
  expectNear(groupNorm(x, gamma, beta, 1, 1e-5).value(), {1, 2, 1, 2},
             {-3 * inv, -1 * inv, 1 * inv * 2 + 1, 3 * inv * 2 + 1});
  // groups = 2: each channel alone, mean 2 / 6, variance 1.
  const double one = 1.0 / std::sqrt(1.0 + 1e-5);
  expectNear(groupNorm(x, gamma, beta, 2, 1e-5).value(), {1, 2, 1, 2},
             {-one, one, -2 * one + 1, 2 * one + 1});
}

TEST(ReferenceGroupNorm, OutputHasZeroMeanUnitVariancePerGroup) {
  Tensor x({2, 4, 3, 3});
  for (int64_t i = 0; i < x.numel(); ++i)
    x[i] = std::sin(0.37 * i) * (1 + i % 5);
  Tensor ones({4}, 1.0), zeros({4}, 0.0);
  Tensor y = groupNorm(x, ones, zeros, 2, 0.0).value();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t g = 0; g < 2; ++g) {
      double mean = 0, sq = 0;
      for (int64_t i = 0; i < 18; ++i) {
        double v = y[(n * 4 + g * 2) * 9 + i];
        mean += v;
        sq += v * v;
      }
      EXPECT_NEAR(mean / 18, 0.0, 1e-12);
      EXPECT_NEAR(sq / 18, 1.0, 1e-12);
    }
}

TEST(ReferenceLayerNorm, NormalisesLastAxis) {
  Tensor x({1, 3}, {1, 2, 4});
  Tensor gamma({3}, {1, 2, 3}), beta({3}, {0, 0, 1});
  const double mean = 7.0 / 3, var = ((1 - mean) * (1 - mean) + (2 - mean) * (2 - mean) +
                                      (4 - mean) * (4 - mean)) / 3;
  const double inv = 1.0 / std::sqrt(var + 1e-5);
  expectNear(layerNorm(x, gamma, beta, 1e-5).value(), {1, 3},
             {(1 - mean) * inv, (2 - mean) * inv * 2, (4 - mean) * inv * 3 + 1});
}

TEST(ReferenceActivations, MatchClosedForms) {
  EXPECT_NEAR(activate(1.0, Activation::SiLU), 1.0 / (1.0 + std::exp(-1.0)), 1e-15);
  EXPECT_NEAR(activate(1.0, Activation::GELU), 0.8413447460685429, 1e-15);
  EXPECT_EQ(activate(-2.0, Activation::ReLU), 0.0);
  EXPECT_NEAR(activate(0.0, Activation::Softplus), std::log(2.0), 1e-15);
  // Softplus stays finite and accurate far from zero in both directions.
  EXPECT_NEAR(activate(800.0, Activation::Softplus), 800.0, 1e-12);
  EXPECT_NEAR(activate(-40.0, Activation::Softplus), std::exp(-40.0), 1e-30);
  EXPECT_NEAR(activate(0.5, Activation::Tanh), std::tanh(0.5), 1e-15);
}

TEST(ReferenceActivations, SiLUDerivativeMatchesFiniteDifference) {
  // d/dx x s(x) = s(x) (1 + x (1 - s(x))): a check on the formula, not just values.
  for (double x : {-3.0, -0.5, 0.0, 0.7, 4.0}) {
    const double h = 1e-6, s = 1.0 / (1.0 + std::exp(-x));
    const double fd = (activate(x + h, Activation::SiLU) -
                       activate(x - h, Activation::SiLU)) / (2 * h);
    EXPECT_NEAR(fd, s * (1 + x * (1 - s)), 1e-8) << "x = " << x;
  }
}

TEST(ReferenceBroadcast, RowVectorAndOuterProduct) {
  Tensor x({2, 3}, {1, 2, 3, 4, 5, 6});
  expectNear(add(x, Tensor({3}, {10, 20, 30})).value(), {2, 3},
             {11, 22, 33, 14, 25, 36});
  expectNear(mul(Tensor({2, 1}, {1, 2}), Tensor({1, 3}, {1, 2, 3})).value(), {2, 3},
             {1, 2, 3, 2, 4, 6});
}

TEST(ReferenceBroadcast, RuntimeMismatchIsAnErrorNotACrash) {
  // Two dynamic batch dims that the IR could not compare, bound to 4 and 3.
  Result r = add(Tensor({4, 2}), Tensor({3, 2}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("[4, 2] and [3, 2]"), std::string::npos) << r.error();
}

TEST(ReferenceAttention, OneHeadHandComputed) {
  Tensor q({1, 1, 2}, {1, 0}), k({1, 2, 2}, {1, 0, 0, 1}), v({1, 2, 2}, {1, 2, 3, 4});
  const double p0 = std::exp(1 / std::sqrt(2.0)) / (std::exp(1 / std::sqrt(2.0)) + 1);
  expectNear(attention(q, k, v, 1).value(), {1, 1, 2},
             {p0 * 1 + (1 - p0) * 3, p0 * 2 + (1 - p0) * 4});
}

TEST(ReferenceAttention, EqualKeysAverageTheValues) {
  Tensor q({1, 2, 2}, {5, -3, 0.5, 9}), k({1, 3, 2}, 1.0);
  Tensor v({1, 3, 2}, {1, 10, 2, 20, 6, 60});
  expectNear(attention(q, k, v, 2).value(), {1, 2, 2}, {3, 30, 3, 30});
}

TEST(ReferenceAttention, HeadsAreIndependentSlices) {
  // Two heads over features [a | b] equal two one-head runs on a and on b.
  Tensor q({1, 2, 4}), k({1, 3, 4}), v({1, 3, 4});
  for (int64_t i = 0; i < 8; ++i)
    q[i] = std::cos(1.3 * i);
  for (int64_t i = 0; i < 12; ++i) {
    k[i] = std::sin(0.7 * i);
    v[i] = 0.1 * i * i;
  }
  Tensor both = attention(q, k, v, 2).value();
  for (int head = 0; head < 2; ++head) {
    auto slice = [&](const Tensor &t) {
      Tensor s({t.shape[0], t.shape[1], 2});
      for (int64_t r = 0; r < t.shape[1]; ++r)
        for (int64_t j = 0; j < 2; ++j)
          s[r * 2 + j] = t[r * 4 + head * 2 + j];
      return s;
    };
    Tensor one = attention(slice(q), slice(k), slice(v), 1).value();
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t j = 0; j < 2; ++j)
        EXPECT_NEAR(both[r * 4 + head * 2 + j], one[r * 2 + j], 1e-14);
  }
}

} // namespace
