//===- NoiseConditioningTest.cpp - a network's conditioning under another schedule -===//
//
// The match of a sampler's coordinate to a network's trained conditioning
// (NoiseConditioning.h) against independent float64 references: k-diffusion's
// sigma_to_t written out as it does it (a scan over the log sigmas), the VP
// process's quadratic log alpha solved in closed form, VE's geometric
// sigmas, and the identity x_n = (alpha_n / alpha_s) x_s at equal sigma/alpha.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Numerics/DiscreteSchedules.h"
#include "tweedie/Numerics/NoiseConditioning.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace tweedie::numerics;

namespace {

std::vector<double> ddpmLinear() { return alphaBars(linearBetas(1000, 1e-4, 0.02)); }

/// k-diffusion's DiscreteSchedule.sigma_to_t, with its own clamping: the
/// last step whose log sigma is at most log s, and the weight to the next.
double kDiffusionSigmaToT(const std::vector<double> &abar, double s) {
  std::vector<double> logSigmas;
  for (double a : abar)
    logSigmas.push_back(std::log(std::sqrt((1 - a) / a)));
  const double logS = std::log(s);
  int64_t low = 0;
  for (size_t i = 0; i < logSigmas.size(); ++i)
    if (logSigmas[i] <= logS)
      low = static_cast<int64_t>(i);
  low = std::min<int64_t>(low, static_cast<int64_t>(logSigmas.size()) - 2);
  const double w = (logSigmas[low] - logS) / (logSigmas[low] - logSigmas[low + 1]);
  return static_cast<double>(low) + std::clamp(w, 0.0, 1.0);
}

TEST(NoiseConditioning, DdpmNetworkTakesKDiffusionsFractionalStep) {
  const std::vector<double> abar = ddpmLinear();
  const Process network = Process::discreteVP(abar);
  const NoiseSpan span = trainedNoiseSpan(network);
  EXPECT_NEAR(span.lo, std::sqrt((1 - abar[0]) / abar[0]), 1e-15);
  EXPECT_NEAR(span.hi, std::sqrt((1 - abar[999]) / abar[999]), 1e-9);
  // At the training steps' own sigmas: the step itself, exactly.
  for (int n : {0, 1, 17, 500, 998, 999}) {
    const double s = std::sqrt((1 - abar[n]) / abar[n]);
    EXPECT_NEAR(networkPointAt(network, s).conditioning, n, 1e-9) << n;
  }
  // Between them and beyond the ends (clamped), as k-diffusion.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> logS(std::log(0.005), std::log(300.0));
  for (int i = 0; i < 200; ++i) {
    const double s = std::exp(logS(rng));
    const NetworkPoint p = networkPointAt(network, s);
    EXPECT_NEAR(p.conditioning, kDiffusionSigmaToT(abar, s), 1e-9) << "s = " << s;
    EXPECT_NEAR(p.alpha * p.alpha + p.sigma * p.sigma, 1.0, 1e-14);
    EXPECT_NEAR(p.sigma / p.alpha, s, 1e-12 * s);
  }
}

TEST(NoiseConditioning, ContinuousNetworksInvertTheirOwnNoise) {
  // VP: -2 log alpha = beta0 t + (beta1 - beta0) t^2 / 2 = log(1 + s^2).
  const double b0 = 0.1, b1 = 20.0;
  const Process vp = Process::vp(b0, b1);
  // VE: s = sigma_min (sigma_max / sigma_min)^t.
  const Process ve = Process::ve(0.01, 50.0);
  for (double s : {0.02, 0.3, 1.0, 7.5, 49.0}) {
    const double l = std::log1p(s * s);
    const double tVP = (-b0 + std::sqrt(b0 * b0 + 2 * (b1 - b0) * l)) / (b1 - b0);
    const NetworkPoint p = networkPointAt(vp, s);
    EXPECT_NEAR(p.conditioning, tVP, 1e-12) << s;
    EXPECT_NEAR(p.alpha, 1 / std::sqrt(1 + s * s), 1e-12) << s;
    const NetworkPoint q = networkPointAt(ve, s);
    EXPECT_NEAR(q.conditioning, std::log(s / 0.01) / std::log(5000.0), 1e-12) << s;
    EXPECT_EQ(q.alpha, 1.0);
    EXPECT_NEAR(q.sigma, s, 1e-12 * s);
    EXPECT_EQ(networkPointAt(Process::sigmaTime(), s).conditioning, s);
  }
}

TEST(NoiseConditioning, TablesMatchThePointwiseMapAndScaleTheState) {
  const std::vector<double> abar = ddpmLinear();
  const Process network = Process::discreteVP(abar);
  const Process sigma = Process::sigmaTime();
  const NoiseSpan span = trainedNoiseSpan(network);
  const ConditioningMap map = conditioningMap(sigma, network, span.lo, span.hi, 4097);
  ASSERT_EQ(map.conditioning.size(), 4097u);
  EXPECT_TRUE(map.logarithmic);
  EXPECT_FALSE(map.unitScale());
  // Read as the runtime reads them (linear between entries): within 2e-3 of
  // a training step of the exact fractional step, and the state's scale is
  // the VP network's alpha = 1 / sqrt(1 + sigma^2).
  double worst = 0;
  for (int i = 0; i <= 1000; ++i) {
    const double s = std::exp(std::log(span.lo) + i / 1000.0 * std::log(span.hi / span.lo));
    const double position = map.positionOf(s) * 4096;
    const int64_t k = std::min<int64_t>(static_cast<int64_t>(position), 4095);
    const double w = position - static_cast<double>(k);
    auto read = [&](const std::vector<double> &table) {
      return table[k] + w * (table[k + 1] - table[k]);
    };
    worst = std::max(worst, std::abs(read(map.conditioning) - kDiffusionSigmaToT(abar, s)));
    EXPECT_NEAR(read(map.inputScale), 1 / std::sqrt(1 + s * s), 1e-5) << s;
  }
  std::printf("table vs exact fractional step: worst %.2e steps\n", worst);
  EXPECT_LT(worst, 2e-3);

  // A VP sampler on a VP-family network: same signal at the same noise, so
  // the state is not scaled; and the step index follows t.
  const Process vp = Process::vp(0.1, 20.0);
  const ConditioningMap vpMap = conditioningMap(vp, network, 1e-3, 1.0, 257);
  EXPECT_FALSE(vpMap.logarithmic);
  EXPECT_TRUE(vpMap.unitScale());
  for (size_t k = 1; k < vpMap.conditioning.size(); ++k)
    EXPECT_GT(vpMap.conditioning[k], vpMap.conditioning[k - 1]);

  // A DDPM sampler (step index c, its t = (c + 1) / N) on a sigma network:
  // x_n = x_s / alpha_s, the network fed sigma / alpha of the step.
  const ConditioningMap back = conditioningMap(network, sigma, 0.0, 999.0, 1000);
  for (int n : {0, 250, 999}) {
    const double s = std::sqrt((1 - abar[n]) / abar[n]);
    EXPECT_NEAR(back.conditioning[n], s, 1e-9 * s) << n;
    EXPECT_NEAR(back.inputScale[n], 1 / std::sqrt(abar[n]), 1e-9 / std::sqrt(abar[n])) << n;
  }
}

TEST(NoiseConditioning, SameProcessesNeedNoConversion) {
  const std::vector<double> abar = ddpmLinear();
  EXPECT_TRUE(sameConditioning(Process::vp(0.1, 20), Process::vp(0.1, 20)));
  EXPECT_FALSE(sameConditioning(Process::vp(0.1, 20), Process::vp(0.1, 19)));
  EXPECT_TRUE(sameConditioning(Process::sigmaTime(), Process::sigmaTime()));
  EXPECT_TRUE(sameConditioning(Process::discreteVP(abar), Process::discreteVP(abar)));
  EXPECT_FALSE(sameConditioning(Process::discreteVP(abar), Process::vp(0.1, 20)));
  EXPECT_FALSE(
      sameConditioning(Process::discreteVP(abar),
                       Process::discreteVP(alphaBars(linearBetas(1000, 1e-4, 0.019)))));
}

} // namespace
