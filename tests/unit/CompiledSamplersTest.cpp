//===- CompiledSamplersTest.cpp - every compiled sampler reaches the data -===//
//
// The analytic Gaussian models (models/analytic/gaussian_*.mlir: the exact
// score of N(mu, diag s^2) under each process, written in the score dialect)
// compiled with each sampler by the real pipeline and run by the runtime:
// the samples' per-coordinate mean and standard deviation must match the
// exact marginal at the sampler's last time within bounds set by the sample
// size (5 standard errors) plus the method's known discretisation bias.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace tweedie::testing;

namespace {

const double kMu[2] = {0.7, -0.4}, kStd[2] = {0.5, 0.8};

std::string analyticModel(const std::string &process, const std::string &schedule,
                          const std::string &method, int steps) {
  std::ifstream in(std::string(TWEEDIE_MODELS_DIR) + "/analytic/gaussian_" + process + ".mlir");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  size_t at = text.find("      schedule ");
  size_t end = text.find(" : tensor", at);
  EXPECT_NE(at, std::string::npos);
  std::string replacement = "      schedule ";
  replacement += schedule.empty() ? text.substr(at + 15, text.find('\n', at) - at - 15)
                                  : schedule;
  replacement += "\n      method " + method + " prediction score steps " +
                 std::to_string(steps);
  text.replace(at, end - at, replacement);
  return text;
}

struct Case {
  const char *name;
  const char *process;
  const char *schedule; // empty: the model's own
  const char *method;
  int steps;
  double endSigma;    // sigma at the last time (the marginal is N(mu, s^2 + sigma^2))
  double biasAllowed; // relative, on the standard deviation
};

class CompiledSamplers : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledSamplers, MatchTheExactMarginal) {
  const Case &c = GetParam();
  std::string path = writeTemp(std::string("analytic-") + c.name + ".mlir",
                               analyticModel(c.process, c.schedule, c.method, c.steps));
  const int64_t n = 4000;
  std::vector<float> x = compiledSamples(path, n, /*seed=*/11, /*threads=*/2);
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
}

INSTANTIATE_TEST_SUITE_P(
    Analytic, CompiledSamplers,
    ::testing::Values(
        Case{"vp_euler_maruyama", "vp", "", "#sampler.euler_maruyama", 500, 0.0105, 0.01},
        Case{"subvp_euler_maruyama", "subvp", "", "#sampler.euler_maruyama", 500, 0.0001, 0.01},
        Case{"ve_euler_maruyama", "ve", "", "#sampler.euler_maruyama", 500, 0.01, 0.01},
        Case{"vp_ode_euler", "vp", "", "#sampler.ode<solver = euler>", 200, 0.0105, 0.02},
        Case{"vp_ode_heun", "vp", "", "#sampler.ode<solver = heun>", 50, 0.0105, 0.01},
        Case{"vp_ode_rk4", "vp", "", "#sampler.ode<solver = rk4>", 25, 0.0105, 0.01},
        Case{"vp_dpm_solver_2", "vp", "", "#sampler.ode<solver = dpm_solver_2>", 25, 0.0105, 0.01},
        Case{"vp_dpm_solver_3", "vp", "", "#sampler.ode<solver = dpm_solver_3>", 20, 0.0105, 0.01},
        Case{"karras_heun", "sigma", "", "#sampler.ode<solver = heun>", 40, 0.0, 0.01},
        Case{"karras_euler_maruyama", "sigma", "", "#sampler.euler_maruyama", 200, 0.0, 0.02},
        Case{"ncsn_annealed_langevin", "sigma",
             "#sampler.ncsn<sigma_min = 0.01, sigma_max = 1.0, levels = 10>",
             "#sampler.annealed_langevin<steps_per_level = 100, delta = 2.0e-5>", 10, 0.01,
             0.02},
        Case{"karras_langevin", "sigma", "", "#sampler.langevin<step_size = 4.0e-3>", 1500,
             0.002, 0.02}),
    [](const auto &info) { return std::string(info.param.name); });

} // namespace
