//===- ReferenceLayoutTest.cpp - layout kernels and time embeddings -------===//
#include "tweedie/Reference/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tweedie::reference;

namespace {

TEST(ReferenceLayout, ConcatAlongInnerAxisInterleavesRows) {
  Tensor a({2, 2}, {1, 2, 3, 4}), b({2, 1}, {5, 6});
  Tensor y = concat({&a, &b}, 1).value();
  EXPECT_EQ(y.shape, (Shape{2, 3}));
  EXPECT_EQ(y.data, (std::vector<double>{1, 2, 5, 3, 4, 6}));
}

TEST(ReferenceLayout, TransposeTwiceIsIdentityAndMovesElements) {
  Tensor x({2, 3, 4});
  for (int64_t i = 0; i < x.numel(); ++i)
    x[i] = i;
  Tensor t = transpose(x, {2, 0, 1}).value();
  EXPECT_EQ(t.shape, (Shape{4, 2, 3}));
  // t[k][i][j] = x[i][j][k]
  EXPECT_EQ(t[(3 * 2 + 1) * 3 + 2], x[(1 * 3 + 2) * 4 + 3]);
  Tensor back = transpose(t, {1, 2, 0}).value();
  EXPECT_EQ(back.shape, x.shape);
  EXPECT_EQ(back.data, x.data);
}

TEST(ReferenceLayout, ReshapeChecksElementCount) {
  EXPECT_EQ(reshape(Tensor({2, 3}, 1.0), {3, 2}).value().shape, (Shape{3, 2}));
  Result bad = reshape(Tensor({2, 3}), {4, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("needs 8"), std::string::npos) << bad.error();
}

TEST(ReferenceLayout, UpsampleRepeatsAndAvgPoolAverages) {
  Tensor x({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor up = upsampleNearest(x, 2).value();
  EXPECT_EQ(up.data, (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  Tensor down = avgPool2d(up, {2, 2}, {2, 2}).value();
  EXPECT_EQ(down.data, x.data);
  Tensor ramp({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor overlapping = avgPool2d(ramp, {2, 2}, {1, 1}).value();
  EXPECT_EQ(overlapping.data, (std::vector<double>{3, 4, 6, 7}));
}

TEST(ReferenceTimeEmbedding, SinusoidalFrequenciesAndPhases) {
  Tensor e = sinusoidalEmbedding(Tensor({2}, {0.0, 2.0}), 6, 10000.0).value();
  ASSERT_EQ(e.shape, (Shape{2, 6}));
  // t = 0: sines 0, cosines 1.
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(e[k], 0.0);
    EXPECT_EQ(e[3 + k], 1.0);
  }
  // f_k = 10000^(-k/3).
  for (int k = 0; k < 3; ++k) {
    const double f = std::pow(10000.0, -k / 3.0);
    EXPECT_NEAR(e[6 + k], std::sin(2.0 * f), 1e-14);
    EXPECT_NEAR(e[6 + 3 + k], std::cos(2.0 * f), 1e-14);
  }
}

TEST(ReferenceTimeEmbedding, FourierFeaturesUseTwoPi) {
  Tensor e = fourierEmbedding(Tensor({1}, {0.25}), Tensor({2}, {1.0, 2.0})).value();
  EXPECT_NEAR(e[0], 1.0, 1e-15);  // sin(pi/2)
  EXPECT_NEAR(e[1], 0.0, 1e-15);  // sin(pi)
  EXPECT_NEAR(e[2], 0.0, 1e-15);  // cos(pi/2)
  EXPECT_NEAR(e[3], -1.0, 1e-15); // cos(pi)
}

} // namespace
