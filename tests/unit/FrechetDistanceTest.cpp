//===- FrechetDistanceTest.cpp - the Fréchet distance against closed forms ===//
#include "tweedie/Noise.h"
#include "tweedie/train/FrechetDistance.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tweedie::train;

namespace {

GaussianFit exactFit(std::vector<double> mean, std::vector<double> covariance) {
  GaussianFit f;
  f.dim = static_cast<int64_t>(mean.size());
  f.mean = std::move(mean);
  f.covariance = std::move(covariance);
  return f;
}

/// tr sqrt(M) of a 2x2 positive semi-definite M: sqrt(tr M + 2 sqrt(det M)).
double traceRoot2x2(double a, double b, double c, double d) {
  return std::sqrt(a + d + 2 * std::sqrt(a * d - b * c));
}

TEST(FrechetDistance, DiagonalCovariancesHaveTheirClosedForm) {
  // W2^2 = |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2.
  const int64_t d = 6;
  std::vector<double> ma(d), mb(d), ca(d * d, 0.0), cb(d * d, 0.0);
  double expected = 0;
  for (int64_t i = 0; i < d; ++i) {
    ma[i] = 0.3 * i;
    mb[i] = -0.1 * i;
    ca[i * d + i] = 1.0 + i;
    cb[i * d + i] = 0.25 * (i + 1);
    expected += std::pow(ma[i] - mb[i], 2) +
                std::pow(std::sqrt(ca[i * d + i]) - std::sqrt(cb[i * d + i]), 2);
  }
  EXPECT_NEAR(frechetDistance(exactFit(ma, ca), exactFit(mb, cb)), expected, 1e-12 * expected);
}

TEST(FrechetDistance, NonCommutingCovariancesIn2D) {
  // S_a^1/2 from the 2x2 formula (A + sqrt(det A) I) / sqrt(tr A + 2 sqrt(det A)),
  // then tr (S_a^1/2 S_b S_a^1/2)^1/2 from traceRoot2x2: nothing shared with
  // the Jacobi solver.
  const double a11 = 2.0, a12 = 0.7, a22 = 1.0;
  const double b11 = 0.5, b12 = -0.3, b22 = 1.5;
  const double s = std::sqrt(a11 * a22 - a12 * a12), t = std::sqrt(a11 + a22 + 2 * s);
  const double r11 = (a11 + s) / t, r12 = a12 / t, r22 = (a22 + s) / t;
  // M = R B R.
  const double x11 = r11 * b11 + r12 * b12, x12 = r11 * b12 + r12 * b22;
  const double x21 = r12 * b11 + r22 * b12, x22 = r12 * b12 + r22 * b22;
  const double m11 = x11 * r11 + x12 * r12, m12 = x11 * r12 + x12 * r22;
  const double m21 = x21 * r11 + x22 * r12, m22 = x21 * r12 + x22 * r22;
  const double expected = 1.0 + 0.25 + (a11 + a22) + (b11 + b22) -
                          2 * traceRoot2x2(m11, m12, m21, m22);
  const double got = frechetDistance(exactFit({1.0, 0.0}, {a11, a12, a12, a22}),
                                     exactFit({0.0, 0.5}, {b11, b12, b12, b22}));
  EXPECT_NEAR(got, expected, 1e-12);
  EXPECT_GT(expected, 0.1); // not the trivial case
  // A fit against itself is at distance 0.
  EXPECT_NEAR(frechetDistance(exactFit({1.0, 0.0}, {a11, a12, a12, a22}),
                              exactFit({1.0, 0.0}, {a11, a12, a12, a22})),
              0.0, 1e-12);
}

TEST(FrechetDistance, JacobiEigenReconstructsTheMatrix) {
  const int64_t d = 24;
  std::vector<double> g(d * d), a(d * d, 0.0);
  for (int64_t i = 0; i < d * d; ++i)
    g[i] = tweedie::noiseAt(3, 0, 0, 0, static_cast<uint64_t>(i));
  for (int64_t r = 0; r < d; ++r) // A = G G^T
    for (int64_t c = 0; c < d; ++c)
      for (int64_t k = 0; k < d; ++k)
        a[r * d + c] += g[r * d + k] * g[c * d + k];
  const SymmetricEigen e = symmetricEigen(a, d);
  double worst = 0;
  for (int64_t r = 0; r < d; ++r)
    for (int64_t c = 0; c < d; ++c) {
      double v = 0;
      for (int64_t j = 0; j < d; ++j)
        v += e.vectors[r * d + j] * e.values[j] * e.vectors[c * d + j];
      worst = std::max(worst, std::abs(v - a[r * d + c]));
    }
  EXPECT_LT(worst, 1e-10);
  for (int64_t j = 1; j < d; ++j)
    EXPECT_LE(e.values[j - 1], e.values[j]);
}

TEST(FrechetDistance, SampleFitsConvergeToTheExactDistance) {
  // 20000 draws of N(mu, diag(s^2)) in 4-D against the exact second fit.
  const int64_t n = 20000, d = 4;
  const std::vector<double> mu = {0.5, -1.0, 0.0, 2.0}, sd = {1.0, 0.5, 2.0, 1.5};
  std::vector<float> rows(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k)
      rows[i * d + k] = static_cast<float>(
          mu[k] + sd[k] * tweedie::noiseAt(7, static_cast<uint32_t>(i), 0, 0, k));
  const GaussianFit fit = fitGaussian(rows, d);
  std::vector<double> cov(d * d, 0.0);
  for (int64_t k = 0; k < d; ++k)
    cov[k * d + k] = 1.0;
  const GaussianFit standard = exactFit({0, 0, 0, 0}, cov);
  double expected = 0;
  for (int64_t k = 0; k < d; ++k)
    expected += mu[k] * mu[k] + (sd[k] - 1) * (sd[k] - 1);
  // Sampling error of the moments: about 1e-2 here.
  EXPECT_NEAR(frechetDistance(fit, standard), expected, 0.05);
}

} // namespace
