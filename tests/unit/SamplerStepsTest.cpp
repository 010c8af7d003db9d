//===- SamplerStepsTest.cpp - step formulas vs closed forms ---------------===//
//
// Gaussian data x_0 ~ N(0, s^2 I) has an exact noise prediction under the VP
// process x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps:
//   eps*(x, t) = sqrt(1 - abar) x / (abar s^2 + 1 - abar),
// and its probability-flow ODE maps x_T to x_0 = x_T s / sqrt(abar_T s^2 + 1 - abar_T).
// These give references that do not share code with the formulas under test.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Numerics/DiscreteSchedules.h"
#include "tweedie/Noise.h"
#include "tweedie/Reference/SamplerSteps.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tweedie::reference;
using namespace tweedie::numerics;

namespace {

constexpr double kDataStd = 0.5;

double exactEpsCoef(double abar) {
  return std::sqrt(1 - abar) / (abar * kDataStd * kDataStd + 1 - abar);
}

Tensor scaled(const Tensor &x, double c) {
  Tensor y = x;
  for (double &v : y.data)
    v *= c;
  return y;
}

/// One uniform per sample at a step, as sampler.rand_uniform draws them (draw 1).
Tensor uniforms(int64_t n, uint64_t seed, int64_t step) {
  Tensor u({n});
  for (int64_t i = 0; i < n; ++i)
    u[i] = tweedie::uniformAt(seed, static_cast<uint32_t>(i), static_cast<uint32_t>(step), 1);
  return u;
}

StepTables ddpmTables(int64_t steps) {
  return stepTables(alphaBars(linearBetas(1000, 1e-4, 0.02)),
                    samplingTimesteps(1000, steps, Spacing::Linspace));
}

/// Runs DDIM(eta = 0) with the exact eps from x_T = 1; returns x_0 / x_T.
double ddimFlowRatio(int64_t steps) {
  StepTables tables = ddpmTables(steps);
  Tensor x({1}, {1.0});
  for (int64_t i = 0; i < steps; ++i)
    x = ddimStep(x, scaled(x, exactEpsCoef(tables.alphaBar[i])), nullptr,
                 tables.alphaBar[i], tables.alphaBarPrev[i], 0.0)
            .value();
  return x[0];
}

TEST(SamplerSteps, DDIMWithoutNoiseIsAFirstOrderSolverOfTheFlow) {
  const double abarT = alphaBars(linearBetas(1000, 1e-4, 0.02))[999];
  const double exact = kDataStd / std::sqrt(abarT * kDataStd * kDataStd + 1 - abarT);
  const double e50 = std::abs(ddimFlowRatio(50) - exact);
  const double e100 = std::abs(ddimFlowRatio(100) - exact);
  const double e200 = std::abs(ddimFlowRatio(200) - exact);
  EXPECT_LT(e200 / exact, 2e-2);
  // Halving the step halves the error: log2(e_N / e_2N) ~ 1 (first order).
  EXPECT_NEAR(std::log2(e50 / e100), 1.0, 0.3);
  EXPECT_NEAR(std::log2(e100 / e200), 1.0, 0.3);
}

TEST(SamplerSteps, DDIMWithEtaOneIsDDPMAncestralWithPosteriorVariance) {
  StepTables tables = ddpmTables(20);
  Tensor x({3}, {0.3, -1.2, 2.0}), eps({3}, {1.0, 0.5, -0.7}), z({3}, {-0.4, 0.9, 0.1});
  for (size_t i = 0; i < 20; ++i) {
    Tensor ddim =
        ddimStep(x, eps, &z, tables.alphaBar[i], tables.alphaBarPrev[i], 1.0).value();
    Tensor ddpm =
        ancestralStep(x, eps, z, tables.alphaBar[i], tables.alphaBarPrev[i], true).value();
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(ddim[k], ddpm[k], 1e-12 * (1 + std::abs(ddpm[k]))) << "step " << i;
  }
}

TEST(SamplerSteps, DDPMAncestralVarianceFollowsItsRecursion) {
  // With the exact eps every step is x' = k x + s z, so Var' = k^2 Var + s^2.
  // Sample 20000 chains with the runtime's noise and compare.
  const int64_t n = 20000, steps = 100;
  StepTables tables = ddpmTables(steps);
  Tensor x = standardNormal({n, 1}, 11, 0, tweedie::kPriorStep, 0);
  double variance = 1.0;
  for (int64_t i = 0; i < steps; ++i) {
    const double ab = tables.alphaBar[i], abp = tables.alphaBarPrev[i];
    const double c = exactEpsCoef(ab);
    Tensor z = standardNormal({n, 1}, 11, 0, i, 0);
    x = ancestralStep(x, scaled(x, c), z, ab, abp, true).value();
    // The same step on a unit input gives k; on (0, 0, z = 1) it gives s.
    Tensor one({1}, {1.0}), zero({1}, {0.0});
    const double k = ancestralStep(one, Tensor({1}, {c}), zero, ab, abp, true).value()[0];
    const double s = ancestralStep(zero, zero, one, ab, abp, true).value()[0];
    variance = k * k * variance + s * s;
  }
  double sum = 0, sq = 0;
  for (double v : x.data) {
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n, empirical = sq / n - mean * mean;
  // Standard error of a sample variance: var sqrt(2 / n), about 1% here.
  EXPECT_NEAR(empirical, variance, 5 * variance * std::sqrt(2.0 / n));
  EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(variance / n));
}

/// The variance DDPM's linear recursion ends with (see above), per variance choice.
double ancestralFinalVariance(int64_t steps, bool posterior) {
  StepTables tables = ddpmTables(steps);
  Tensor one({1}, {1.0}), zero({1}, {0.0});
  double variance = 1.0;
  for (int64_t i = 0; i < steps; ++i) {
    const double ab = tables.alphaBar[i], abp = tables.alphaBarPrev[i];
    const double k =
        ancestralStep(one, Tensor({1}, {exactEpsCoef(ab)}), zero, ab, abp, posterior)
            .value()[0];
    const double s = ancestralStep(zero, zero, one, ab, abp, posterior).value()[0];
    variance = k * k * variance + s * s;
  }
  return variance;
}

TEST(SamplerSteps, PosteriorAndBetaVariancesBracketTheData) {
  // Ho et al. (2020, sec. 3.2): beta~ and beta are the lower and upper bounds of
  // the reverse-step variance; with an exact model they under- and over-disperse.
  const double data = kDataStd * kDataStd;
  for (int64_t steps : {100, 1000}) {
    EXPECT_LT(ancestralFinalVariance(steps, true), data) << steps << " steps";
    EXPECT_GT(ancestralFinalVariance(steps, false), data) << steps << " steps";
  }
  // More steps, less bias: all 1000 steps land within 2% of the data variance.
  EXPECT_LT(std::abs(ancestralFinalVariance(1000, true) - data),
            std::abs(ancestralFinalVariance(100, true) - data));
  EXPECT_NEAR(ancestralFinalVariance(1000, true), data, 0.02 * data);
}

TEST(SamplerSteps, UnadjustedLangevinReachesItsStationaryVariance) {
  // Target N(0, s^2): score = -x / s^2. ULA is x' = (1 - eta/s^2) x + sqrt(2 eta) z,
  // whose stationary variance is s^2 / (1 - eta / (2 s^2)), not s^2 (the bias
  // an unadjusted chain has).
  const int64_t n = 20000;
  const double s2 = 0.25, eta = 0.05;
  Tensor x({n, 1}, 0.0);
  for (int64_t i = 0; i < 200; ++i)
    x = langevinStep(x, scaled(x, -1 / s2), standardNormal({n, 1}, 3, 0, i, 0), eta)
            .value();
  double sq = 0;
  for (double v : x.data)
    sq += v * v;
  const double stationary = s2 / (1 - eta / (2 * s2));
  EXPECT_NEAR(sq / n, stationary, 5 * stationary * std::sqrt(2.0 / n));
}

TEST(SamplerSteps, MALAIsExactWhereUnadjustedLangevinIsBiased) {
  // The same target and a step so large that ULA's variance is 25 % off:
  // the Metropolis-Hastings correction makes exp(-E) stationary for any step.
  const int64_t n = 20000;
  const double s2 = 0.25, eta = 0.1;
  auto energyOf = [&](const Tensor &x) {
    Tensor e({n});
    for (int64_t i = 0; i < n; ++i)
      e[i] = 0.5 * x[i] * x[i] / s2;
    return e;
  };
  Tensor x = standardNormal({n, 1}, 5, 0, tweedie::kPriorStep, 0);
  for (int64_t i = 0; i < 300; ++i) {
    Tensor score = scaled(x, -1 / s2);
    Tensor y = langevinStep(x, score, standardNormal({n, 1}, 5, 0, i, 0), eta).value();
    Tensor u = uniforms(n, 5, i);
    x = malaStep(x, y, energyOf(x), energyOf(y), score, scaled(y, -1 / s2), u, eta).value();
  }
  double sq = 0;
  for (double v : x.data)
    sq += v * v;
  EXPECT_NEAR(sq / n, s2, 5 * s2 * std::sqrt(2.0 / n));
  EXPECT_GT(std::abs(s2 / (1 - eta / (2 * s2)) - s2), 20 * s2 * std::sqrt(2.0 / n));
}

TEST(SamplerSteps, MALAAcceptsByTheMetropolisHastingsRatio) {
  // x = 0, y = 1 in one dim, eta = 0.5, s(x) = 1, s(y) = -1, E(x) = 0, E(y) = 0.25:
  // |y - x - eta s(x)|^2 = 0.25, |x - y - eta s(y)|^2 = 0.25, so
  // log a = 0 - 0.25 + (0.25 - 0.25) / 2 = -0.25: u below e^-0.25 accepts.
  const double threshold = std::exp(-0.25);
  Tensor x({2, 1}, {0.0, 0.0}), y({2, 1}, {1.0, 1.0});
  Tensor sx({2, 1}, {1.0, 1.0}), sy({2, 1}, {-1.0, -1.0});
  Tensor ex({2}, {0.0, 0.0}), ey({2}, {0.25, 0.25});
  Tensor u({2}, {threshold * 0.999, threshold * 1.001});
  Tensor out = malaStep(x, y, ex, ey, sx, sy, u, 0.5).value();
  EXPECT_EQ(out[0], 1.0);
  EXPECT_EQ(out[1], 0.0);
  // A non-finite proposal energy is a rejection, not a NaN state.
  Tensor inf({2}, {INFINITY, NAN});
  Tensor kept = malaStep(x, y, ex, inf, sx, sy, u, 0.5).value();
  EXPECT_EQ(kept[0], 0.0);
  EXPECT_EQ(kept[1], 0.0);
}

TEST(SamplerSteps, CorrectorStepFollowsTheSNRRule) {
  // One sample: ||z|| = 5, ||s|| = 10, snr 0.2, alpha 0.5 -> eps = 2 0.5 (0.2 * 0.5)^2 = 0.01.
  Tensor x({1, 2}, {1.0, 2.0}), s({1, 2}, {6.0, 8.0}), z({1, 2}, {3.0, 4.0});
  Tensor y = langevinCorrector(x, s, z, 0.5, 0.2).value();
  const double eps = 0.01, noise = std::sqrt(2 * eps);
  EXPECT_NEAR(y[0], 1.0 + eps * 6 + noise * 3, 1e-14);
  EXPECT_NEAR(y[1], 2.0 + eps * 8 + noise * 4, 1e-14);
}

TEST(SamplerSteps, ReparameterizationRoundTripsThroughEveryForm) {
  const double alpha = 0.6, sigma = 0.8; // VP: alpha^2 + sigma^2 = 1
  Tensor x({2}, {0.7, -1.1}), eps({2}, {0.2, 0.9});
  for (Prediction p : {Prediction::X0, Prediction::V, Prediction::Score}) {
    Tensor other = reparameterize(eps, x, Prediction::Eps, p, alpha, sigma).value();
    Tensor back = reparameterize(other, x, p, Prediction::Eps, alpha, sigma).value();
    for (int k = 0; k < 2; ++k)
      EXPECT_NEAR(back[k], eps[k], 1e-14);
  }
  // x0 from eps is (x - sigma eps) / alpha; v = alpha eps - sigma x0.
  Tensor x0 = reparameterize(eps, x, Prediction::Eps, Prediction::X0, alpha, sigma).value();
  EXPECT_NEAR(x0[0], (0.7 - 0.8 * 0.2) / 0.6, 1e-15);
  Tensor v = reparameterize(eps, x, Prediction::Eps, Prediction::V, alpha, sigma).value();
  EXPECT_NEAR(v[1], 0.6 * 0.9 - 0.8 * x0[1], 1e-15);
  // VE (alpha = 1): v = eps - sigma x0 still inverts.
  Tensor ve = reparameterize(eps, x, Prediction::Eps, Prediction::V, 1.0, 3.0).value();
  Tensor veBack = reparameterize(ve, x, Prediction::V, Prediction::Eps, 1.0, 3.0).value();
  EXPECT_NEAR(veBack[0], eps[0], 1e-14);
}

TEST(SamplerSteps, NoiseRowsAreSamplesWhateverTheBatch) {
  Tensor big = standardNormal({5, 3}, 9, 10, 4, 2);
  Tensor tail = standardNormal({2, 3}, 9, 13, 4, 2);
  for (int k = 0; k < 6; ++k)
    EXPECT_EQ(big[9 + k], tail[k]);
}

} // namespace
