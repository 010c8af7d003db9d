//===- CompiledSamplersTest.cpp - every compiled sampler reaches the data -===//
//
// The analytic Gaussian models (models/analytic/gaussian_*.mlir: the exact
// score of N(mu, diag s^2) under each process, written in the score dialect)
// compiled with each sampler by the real pipeline and run by the runtime:
// the samples' per-coordinate mean and standard deviation must match the
// exact marginal at the sampler's last time within bounds set by the sample
// size (5 standard errors) plus the method's known discretisation bias, and
// an energy-distance two-sample test against exact draws must not reject.
// The models are networks only: each case's sampler comes from its
// `tweedie-compile --sampler` spec.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "EnergyDistance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

using namespace tweedie::testing;

namespace {

const double kMu[2] = {0.7, -0.4}, kStd[2] = {0.5, 0.8};

std::string analyticModel(const std::string &process) {
  return std::string(TWEEDIE_MODELS_DIR) + "/analytic/gaussian_" + process + ".mlir";
}

/// Exact draws of N(mu, diag(s^2 + sigma^2)), the marginal at noise sigma.
std::vector<double> exactSamples(int64_t n, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(2 * n);
  for (int64_t i = 0; i < n; ++i)
    for (int d = 0; d < 2; ++d)
      x[2 * i + d] = kMu[d] + std::sqrt(kStd[d] * kStd[d] + sigma * sigma) * normal(rng);
  return x;
}

// The two-sample check compares this many compiled samples with as many
// exact ones; 200 permutations resolve p-values down to 0.005.
constexpr int64_t kTwoSampleSize = 600;
constexpr int kPermutations = 200;
constexpr double kMinPValue = 0.01;

struct Case {
  const char *name;
  const char *process; // models/analytic/gaussian_<process>.mlir
  const char *sampler; // tweedie-compile --sampler
  double endSigma;     // sigma at the last time (the marginal is N(mu, s^2 + sigma^2))
  double biasAllowed;  // relative, on the standard deviation
};

class CompiledSamplers : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledSamplers, MatchTheExactMarginal) {
  const Case &c = GetParam();
  const int64_t n = 4000;
  std::vector<float> x =
      compiledSamples(analyticModel(c.process), n, /*seed=*/11, /*threads=*/2, c.sampler);
  ASSERT_EQ(x.size(), static_cast<size_t>(2 * n));
  for (int d = 0; d < 2; ++d) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += x[2 * i + d];
      squares += static_cast<double>(x[2 * i + d]) * x[2 * i + d];
    }
    const double mean = sum / n, std = std::sqrt(squares / n - mean * mean);
    const double target = std::sqrt(kStd[d] * kStd[d] + c.endSigma * c.endSigma);
    std::printf("%-22s dim %d: mean %+.4f (exact %+.4f)  std %.4f (exact %.4f)\n", c.name, d,
                mean, kMu[d], std, target);
    EXPECT_NEAR(mean, kMu[d], 5 * target / std::sqrt(n)) << c.name << " dim " << d;
    // The standard error of a Gaussian sample's std is std / sqrt(2n).
    EXPECT_NEAR(std, target, 5 * target / std::sqrt(2.0 * n) + c.biasAllowed * target)
        << c.name << " dim " << d;
  }
  // The whole distribution, not just two moments: energy distance against
  // exact samples, permutation p-value.
  std::vector<double> compiled(x.begin(), x.begin() + 2 * kTwoSampleSize);
  TwoSampleResult test = energyDistanceTest(
      compiled, exactSamples(kTwoSampleSize, c.endSigma, 5), 2, kPermutations, 7);
  std::printf("%-22s energy distance %.5f, p = %.3f\n", c.name, test.energyDistance,
              test.pValue);
  EXPECT_GT(test.pValue, kMinPValue) << c.name << ": energy distance " << test.energyDistance;
}

INSTANTIATE_TEST_SUITE_P(
    Analytic, CompiledSamplers,
    ::testing::Values(
        Case{"vp_euler_maruyama", "vp", "euler_maruyama(steps=500)", 0.0105, 0.01},
        Case{"subvp_euler_maruyama", "subvp", "euler_maruyama(steps=500)", 0.0001, 0.01},
        Case{"ve_euler_maruyama", "ve", "euler_maruyama(steps=500)", 0.01, 0.01},
        Case{"vp_ode_euler", "vp", "euler(steps=200)", 0.0105, 0.02},
        Case{"vp_ode_heun", "vp", "heun(steps=50)", 0.0105, 0.01},
        Case{"vp_ode_rk4", "vp", "rk4(steps=25)", 0.0105, 0.01},
        Case{"vp_dpm_solver_2", "vp", "dpm_solver_2(steps=25)", 0.0105, 0.01},
        Case{"vp_dpm_solver_3", "vp", "dpm_solver_3(steps=20)", 0.0105, 0.01},
        Case{"karras_heun", "sigma", "heun(steps=40)", 0.0, 0.01},
        Case{"karras_euler_maruyama", "sigma", "euler_maruyama(steps=200)", 0.0, 0.02},
        Case{"ncsn_annealed_langevin", "sigma",
             "annealed_langevin(steps=10, steps_per_level=100, delta=2.0e-5, "
             "schedule=ncsn(sigma_min=0.01, sigma_max=1.0, levels=10))",
             0.01, 0.02},
        Case{"karras_langevin", "sigma", "langevin(steps=1500, step_size=4.0e-3)", 0.002,
             0.02}),
    [](const auto &info) { return std::string(info.param.name); });

// The two-sample check can fail: it rejects samples whose mean is off by
// 0.3 standard deviations, and accepts a second exact draw.
TEST(EnergyDistance, RejectsAShiftedSampleAndAcceptsAnExactOne) {
  std::vector<double> reference = exactSamples(kTwoSampleSize, 0.0, 5);
  std::vector<double> shifted = exactSamples(kTwoSampleSize, 0.0, 6);
  for (int64_t i = 0; i < kTwoSampleSize; ++i)
    shifted[2 * i] += 0.3 * kStd[0];
  EXPECT_LE(energyDistanceTest(shifted, reference, 2, kPermutations, 7).pValue, kMinPValue);
  EXPECT_GT(energyDistanceTest(exactSamples(kTwoSampleSize, 0.0, 6), reference, 2,
                               kPermutations, 7)
                .pValue,
            kMinPValue);
}

} // namespace
