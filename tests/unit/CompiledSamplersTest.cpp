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
#include "tweedie/Noise.h"
#include "tweedie/Numerics/Processes.h"
#include "tweedie/Reference/SamplerSteps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>

using namespace tweedie::testing;

namespace {

/// An analytic model: models/analytic/<file>.mlir, the exact score of
/// N(mu, diag s^2) (the same numbers generate_analytic.py writes).
struct Model {
  std::vector<double> mu, std;
};

Model modelOf(const std::string &file) {
  if (file != "gaussian64_ve")
    return {{0.7, -0.4}, {0.5, 0.8}};
  Model m;
  for (int i = 0; i < 64; ++i) {
    m.mu.push_back(std::round(0.7 * std::cos(0.37 * i) * 1e6) / 1e6);
    m.std.push_back(0.4 + 0.1 * (i % 5));
  }
  return m;
}

std::string modelPath(const std::string &file) {
  return std::string(TWEEDIE_MODELS_DIR) + "/analytic/" + file + ".mlir";
}

/// What the samples should follow, per coordinate: N(mean, std^2).
struct Target {
  std::vector<double> mean, std;
};

/// The marginal at the last time, N(alpha mu, alpha^2 s^2 + sigma^2), or
/// after denoise_final the law of E[x0 | x]: mean mu, std alpha s^2 / sd.
Target targetOf(const Model &m, double alpha, double sigma, bool denoised) {
  Target t;
  for (size_t d = 0; d < m.mu.size(); ++d) {
    const double sd = std::sqrt(alpha * alpha * m.std[d] * m.std[d] + sigma * sigma);
    t.mean.push_back(denoised ? m.mu[d] : alpha * m.mu[d]);
    t.std.push_back(denoised ? alpha * m.std[d] * m.std[d] / sd : sd);
  }
  return t;
}

std::vector<double> exactSamples(const Target &target, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const size_t dims = target.mean.size();
  std::vector<double> x(dims * n);
  for (int64_t i = 0; i < n; ++i)
    for (size_t d = 0; d < dims; ++d)
      x[dims * i + d] = target.mean[d] + target.std[d] * normal(rng);
  return x;
}

// The two-sample check compares this many compiled samples with as many
// exact ones; 200 permutations resolve p-values down to 0.005.
constexpr int64_t kTwoSampleSize = 600;
constexpr int kPermutations = 200;
constexpr double kMinPValue = 0.01;

struct Case {
  const char *name;
  const char *model;   // models/analytic/<model>.mlir
  const char *sampler; // tweedie-compile --sampler
  double endSigma;     // sigma at the last time
  double biasAllowed;  // relative, on the standard deviation
  double endAlpha = 1; // alpha at the last time
  bool denoised = false;
};

class CompiledSamplers : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledSamplers, MatchTheExactMarginal) {
  const Case &c = GetParam();
  const Model model = modelOf(c.model);
  const Target target = targetOf(model, c.endAlpha, c.endSigma, c.denoised);
  const size_t dims = model.mu.size();
  const int64_t n = 4000;
  std::vector<float> x =
      compiledSamples(modelPath(c.model), n, /*seed=*/11, /*threads=*/2, c.sampler);
  ASSERT_EQ(x.size(), dims * n);
  double worstMean = 0, worstStd = 0;
  for (size_t d = 0; d < dims; ++d) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += x[dims * i + d];
      squares += static_cast<double>(x[dims * i + d]) * x[dims * i + d];
    }
    const double mean = sum / n, std = std::sqrt(squares / n - mean * mean);
    const double sd = target.std[d];
    worstMean = std::max(worstMean, std::abs(mean - target.mean[d]) / (sd / std::sqrt(n)));
    worstStd = std::max(worstStd, std::abs(std / sd - 1));
    EXPECT_NEAR(mean, target.mean[d], 5 * sd / std::sqrt(n)) << c.name << " dim " << d;
    // The standard error of a Gaussian sample's std is std / sqrt(2n).
    EXPECT_NEAR(std, sd, 5 * sd / std::sqrt(2.0 * n) + c.biasAllowed * sd)
        << c.name << " dim " << d;
  }
  // The whole distribution, not just two moments: energy distance against
  // exact samples, permutation p-value.
  std::vector<double> compiled(x.begin(), x.begin() + dims * kTwoSampleSize);
  TwoSampleResult test = energyDistanceTest(compiled, exactSamples(target, kTwoSampleSize, 5),
                                            static_cast<int>(dims), kPermutations, 7);
  std::printf("%-24s worst mean error %.2f SE, worst std error %.2f%%, energy distance "
              "%.5f (p = %.3f)\n",
              c.name, worstMean, 100 * worstStd, test.energyDistance, test.pValue);
  EXPECT_GT(test.pValue, kMinPValue) << c.name << ": energy distance " << test.energyDistance;
}

const tweedie::numerics::Process kVP = tweedie::numerics::Process::vp(0.1, 20.0);
/// sqrt(1 - abar_0) = sqrt(beta_1) of the DDPM schedules.
const double kDdpmFirstSigma = std::sqrt(1.0e-4);

INSTANTIATE_TEST_SUITE_P(
    Analytic, CompiledSamplers,
    ::testing::Values(
        Case{"vp_euler_maruyama", "gaussian_vp", "euler_maruyama(steps=500)", 0.0105, 0.01},
        Case{"subvp_euler_maruyama", "gaussian_subvp", "euler_maruyama(steps=500)", 0.0001,
             0.01},
        Case{"ve_euler_maruyama", "gaussian_ve", "euler_maruyama(steps=500)", 0.01, 0.01},
        Case{"vp_ode_euler", "gaussian_vp", "euler(steps=200)", 0.0105, 0.02},
        Case{"vp_ode_heun", "gaussian_vp", "heun(steps=50)", 0.0105, 0.01},
        Case{"vp_ode_rk4", "gaussian_vp", "rk4(steps=25)", 0.0105, 0.01},
        Case{"vp_dpm_solver_2", "gaussian_vp", "dpm_solver_2(steps=25)", 0.0105, 0.01},
        Case{"vp_dpm_solver_3", "gaussian_vp", "dpm_solver_3(steps=20)", 0.0105, 0.01},
        Case{"vp_dpm_solver_pp_2m", "gaussian_vp", "dpm_solver_pp_2m(steps=15, spacing=logsnr)",
             0.0105, 0.01},
        Case{"vp_dpm_solver_pp_2s", "gaussian_vp", "dpm_solver_pp_2s(steps=20, spacing=logsnr)",
             0.0105, 0.01},
        Case{"karras_heun", "gaussian_sigma", "heun(steps=40)", 0.0, 0.01},
        Case{"karras_heun_churn", "gaussian_sigma", "heun(steps=80, churn=40)", 0.0, 0.01},
        Case{"karras_euler_maruyama", "gaussian_sigma", "euler_maruyama(steps=200)", 0.0, 0.02},
        Case{"vp_reverse_diffusion", "gaussian_vp",
             "pc(steps=500, predictor=reverse_diffusion, corrector_steps=0)", 0.0105, 0.01},
        Case{"ve_ancestral", "gaussian_ve", "pc(steps=500, predictor=ancestral, corrector_steps=0)",
             0.01, 0.01},
        // The SNR rule assumes |z| / |s| concentrates: 64 dimensions. The
        // corrector's known upward bias of the spread stays under 5 %.
        Case{"ve64_predictor_corrector", "gaussian64_ve", "pc(steps=500)", 0.01, 0.05},
        Case{"vp_denoise_final", "gaussian_vp",
             "euler_maruyama(steps=500, denoise_final=true, schedule=vp(t_min=0.1))",
             kVP.sigma(0.1), 0.01, kVP.alpha(0.1), true},
        Case{"ncsn_annealed_langevin", "gaussian_sigma",
             "annealed_langevin(steps=10, steps_per_level=100, delta=2.0e-5, "
             "schedule=ncsn(sigma_min=0.01, sigma_max=1.0, levels=10))",
             0.01, 0.02},
        Case{"karras_langevin", "gaussian_sigma", "langevin(steps=1500, step_size=4.0e-3)",
             0.002, 0.02},
        // Energy networks (gaussian_energy: E whose -grad_x is the score
        // above) through the autodiff: MALA at a step where unadjusted
        // Langevin's spread is 6-12 % too wide, Langevin at a small step, and
        // the probability-flow ODE.
        Case{"energy_mala", "gaussian_energy", "mala(steps=500, step_size=0.1)", 0.01, 0.0},
        Case{"energy_langevin", "gaussian_energy", "langevin(steps=1500, step_size=4.0e-3)",
             0.01, 0.02},
        Case{"energy_karras_heun", "gaussian_energy", "heun(steps=40, schedule=karras())", 0.0,
             0.01},
        Case{"vp_rk45", "gaussian_vp", "rk45", 0.0105, 0.01},
        Case{"subvp_rk45", "gaussian_subvp", "rk45(rtol=1.0e-4, atol=1.0e-4)", 0.0001, 0.01},
        Case{"ve_rk45", "gaussian_ve", "rk45", 0.01, 0.01},
        Case{"karras_rk45", "gaussian_sigma", "rk45", 0.002, 0.01},
        // rk45 then Tweedie's formula through one more velocity evaluation.
        Case{"vp_rk45_denoise_final", "gaussian_vp",
             "rk45(denoise_final=true, schedule=vp(t_min=0.1))", kVP.sigma(0.1), 0.01,
             kVP.alpha(0.1), true},
        Case{"karras_rk45_denoise_final", "gaussian_sigma",
             "rk45(denoise_final=true, schedule=karras(sigma_min=0.5))", 0.5, 0.01, 1.0, true},
        // Networks sampled on a schedule they were not trained on, through
        // the adapter (--tweedie-adapt-network-schedule): Karras sigmas on a
        // VP and a VE network (the sigma range taken from the network), and
        // DDIM's steps on a VP and a sigma network. DDIM ends with its x0
        // estimate at the first step, E[x0 | x], hence `denoised`.
        Case{"vp_network_karras_heun", "gaussian_vp", "heun(steps=40, schedule=karras())", 0.0,
             0.01},
        Case{"ve_network_karras_heun", "gaussian_ve", "heun(steps=40, schedule=karras())", 0.0,
             0.01},
        Case{"vp_network_karras_rk45", "gaussian_vp", "rk45(schedule=karras())", 0.002, 0.01},
        Case{"vp_network_ddim", "gaussian_vp",
             "ddim(steps=100, schedule=ddpm_linear(beta_end=0.019))", kDdpmFirstSigma, 0.01,
             std::sqrt(1 - kDdpmFirstSigma * kDdpmFirstSigma), true},
        Case{"sigma_network_ddim", "gaussian_sigma", "ddim(steps=100, schedule=ddpm_linear())",
             kDdpmFirstSigma, 0.01, std::sqrt(1 - kDdpmFirstSigma * kDdpmFirstSigma), true}),
    [](const auto &info) { return std::string(info.param.name); });

// The Gaussian mixture (models/analytic/mixture_*.mlir): a score that is not
// linear in x, so samplers must get more than a linear flow right. Its
// marginal at time t is the mixture of N(alpha mu_k, (alpha^2 s_k^2 +
// sigma^2) I) with the same weights.
struct Mixture {
  std::vector<double> weights = {0.5, 0.3, 0.2};
  std::vector<std::array<double, 2>> means = {{-1.5, 0.0}, {1.5, 1.0}, {0.5, -2.0}};
  std::vector<double> stds = {0.3, 0.5, 0.4};

  std::vector<double> draw(double alpha, double sigma, int64_t n, uint64_t seed) const {
    std::mt19937_64 rng(seed);
    std::discrete_distribution<int> component(weights.begin(), weights.end());
    std::normal_distribution<double> normal;
    std::vector<double> x(2 * n);
    for (int64_t i = 0; i < n; ++i) {
      const int k = component(rng);
      const double sd = std::sqrt(alpha * alpha * stds[k] * stds[k] + sigma * sigma);
      for (int d = 0; d < 2; ++d)
        x[2 * i + d] = alpha * means[k][d] + sd * normal(rng);
    }
    return x;
  }
};

struct MixtureCase {
  const char *name;
  const char *model;
  const char *sampler;
  double endAlpha, endSigma;
  double biasAllowed; // relative, on the standard deviation
};

class MixtureSamplers : public ::testing::TestWithParam<MixtureCase> {};

TEST_P(MixtureSamplers, MatchTheExactMixture) {
  const MixtureCase &c = GetParam();
  const Mixture mixture;
  const int64_t n = 4000;
  std::vector<float> x = compiledSamples(modelPath(c.model), n, /*seed=*/13, 2, c.sampler);
  ASSERT_EQ(x.size(), static_cast<size_t>(2 * n));
  // Moments and their standard errors from a large exact draw (the mixture
  // is not Gaussian: the std's error needs the fourth moment).
  const int64_t big = 400000;
  std::vector<double> exact = mixture.draw(c.endAlpha, c.endSigma, big, 17);
  for (int d = 0; d < 2; ++d) {
    double mean = 0, var = 0, m4 = 0, sampleMean = 0, sampleVar = 0;
    for (int64_t i = 0; i < big; ++i)
      mean += exact[2 * i + d] / big;
    for (int64_t i = 0; i < big; ++i) {
      const double e = exact[2 * i + d] - mean;
      var += e * e / big;
      m4 += e * e * e * e / big;
    }
    for (int64_t i = 0; i < n; ++i)
      sampleMean += x[2 * i + d] / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i)
      sampleVar += (x[2 * i + d] - sampleMean) * (x[2 * i + d] - sampleMean) / n;
    const double sd = std::sqrt(var);
    const double stdError = std::sqrt((m4 - var * var) / n) / (2 * sd);
    EXPECT_NEAR(sampleMean, mean, 5 * sd / std::sqrt(n)) << c.name << " dim " << d;
    EXPECT_NEAR(std::sqrt(sampleVar), sd, 5 * stdError + c.biasAllowed * sd)
        << c.name << " dim " << d;
  }
  std::vector<double> compiled(x.begin(), x.begin() + 2 * kTwoSampleSize);
  TwoSampleResult test =
      energyDistanceTest(compiled, mixture.draw(c.endAlpha, c.endSigma, kTwoSampleSize, 5), 2,
                         kPermutations, 7);
  std::printf("%-24s energy distance %.5f (p = %.3f)\n", c.name, test.energyDistance,
              test.pValue);
  EXPECT_GT(test.pValue, kMinPValue) << c.name << ": energy distance " << test.energyDistance;
}

INSTANTIATE_TEST_SUITE_P(
    Analytic, MixtureSamplers,
    ::testing::Values(
        MixtureCase{"vp_rk45", "mixture_vp", "rk45", kVP.alpha(1e-3), kVP.sigma(1e-3), 0.01},
        MixtureCase{"vp_euler_maruyama", "mixture_vp", "euler_maruyama(steps=500)",
                    kVP.alpha(1e-3), kVP.sigma(1e-3), 0.02},
        MixtureCase{"vp_dpm_solver_pp_2m", "mixture_vp",
                    "dpm_solver_pp_2m(steps=25, spacing=logsnr)", kVP.alpha(1e-3),
                    kVP.sigma(1e-3), 0.02},
        MixtureCase{"vp_dpm_solver_pp_2s", "mixture_vp",
                    "dpm_solver_pp_2s(steps=15, spacing=logsnr)", kVP.alpha(1e-3),
                    kVP.sigma(1e-3), 0.02},
        MixtureCase{"karras_heun", "mixture_sigma", "heun(steps=40)", 1.0, 0.0, 0.02},
        MixtureCase{"karras_rk45", "mixture_sigma", "rk45", 1.0, 0.002, 0.01}),
    [](const auto &info) { return std::string(info.param.name); });

// DDIM with eta = 1 is DDPM ancestral sampling with the posterior variance
// beta~ (Song et al. 2021, sec. 4.1): the same noise draws, so the compiled
// samplers agree to float32 rounding.
TEST(SamplerIdentities, DdimWithEtaOneIsDdpmWithPosteriorVariance) {
  const std::string mlp2d = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir";
  std::vector<float> ddim = compiledSamples(mlp2d, 256, 3, 1, "ddim(steps=25, eta=1)");
  std::vector<float> ddpm = compiledSamples(mlp2d, 256, 3, 1, "ddpm(steps=25)");
  std::vector<double> reference(ddpm.begin(), ddpm.end());
  const double error = relativeError(ddim, reference);
  std::printf("ddim(eta=1) vs ddpm: relative difference %.2e\n", error);
  EXPECT_LT(error, 1e-5);
  // And they differ from DDPM with the beta_t variance, which is not the same.
  std::vector<float> beta = compiledSamples(mlp2d, 256, 3, 1, "ddpm(steps=25, variance=beta)");
  EXPECT_GT(relativeError(beta, reference), 1e-3);
}

// An energy network samples as its score: gaussian_energy's -grad_x E, built
// by the autodiff and compiled, is gaussian_sigma's analytic score, so every
// method gives the same samples from the same noise up to float32 rounding.
TEST(SamplerIdentities, AnEnergyNetworkSamplesAsItsScore) {
  for (const char *sampler :
       {"langevin(steps=200, step_size=4.0e-3, schedule=ncsn())",
        "heun(steps=20, schedule=karras())", "euler_maruyama(steps=100, schedule=karras())",
        "rk45(schedule=karras())"}) {
    std::vector<float> energy = compiledSamples(modelPath("gaussian_energy"), 256, 3, 1, sampler);
    std::vector<float> score = compiledSamples(modelPath("gaussian_sigma"), 256, 3, 1, sampler);
    const double error = relativeError(energy, std::vector<double>(score.begin(), score.end()));
    std::printf("%-56s energy vs score: relative difference %.2e\n", sampler, error);
    EXPECT_LT(error, 1e-5) << sampler;
  }
}

// rk45 against the exact probability-flow map of the Gaussian: the
// standardised coordinate (x - alpha mu) / sqrt(alpha^2 s^2 + sigma^2) is
// constant along the flow, so each sample's end point is known from its prior
// noise. The error must shrink with the tolerance.
struct FlowCase {
  const char *model;
  tweedie::numerics::Process process;
  double tStart, tEnd, priorStd;
};

double worstFlowError(const FlowCase &c, const std::string &sampler, int64_t n) {
  const Model model = modelOf(c.model);
  const size_t dims = model.mu.size();
  std::vector<float> x = compiledSamples(modelPath(c.model), n, /*seed=*/4, 1, sampler);
  tweedie::reference::Tensor noise = tweedie::reference::standardNormal(
      {n, static_cast<int64_t>(dims)}, 4, 0, tweedie::kPriorStep, 0);
  auto marginal = [&](double t, size_t d) {
    const double a = c.process.alpha(t), s = c.process.sigma(t);
    return std::pair{a * model.mu[d], std::sqrt(a * a * model.std[d] * model.std[d] + s * s)};
  };
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    for (size_t d = 0; d < dims; ++d) {
      auto [m0, s0] = marginal(c.tStart, d);
      auto [m1, s1] = marginal(c.tEnd, d);
      const double start = c.priorStd * static_cast<float>(noise.data[i * dims + d]);
      const double exact = m1 + s1 * (start - m0) / s0;
      worst = std::max(worst, std::abs(x[i * dims + d] - exact));
    }
  return worst;
}

TEST(AdaptiveRK45, FollowsTheExactFlowToItsTolerance) {
  using tweedie::numerics::Process;
  for (const FlowCase &c : {FlowCase{"gaussian_vp", Process::vp(0.1, 20), 1.0, 1e-3, 1.0},
                            FlowCase{"gaussian_ve", Process::ve(0.01, 50), 1.0, 1e-5, 50.0},
                            FlowCase{"gaussian_sigma", Process::sigmaTime(), 80, 0.002, 80}}) {
    const double loose = worstFlowError(c, "rk45(rtol=1.0e-3, atol=1.0e-3)", 256);
    const double tight = worstFlowError(c, "rk45(rtol=1.0e-6, atol=1.0e-6)", 256);
    std::printf("rk45 on %-15s worst end-point error: tol 1e-3 %.2e, tol 1e-6 %.2e\n",
                c.model, loose, tight);
    EXPECT_LT(tight, 1e-4) << c.model;
    EXPECT_LT(loose, 0.5) << c.model;
    EXPECT_LT(tight, loose / 10) << c.model;
  }
}

// Each sample has its own step size: a sample drawn alone is bit-identical
// to the same sample drawn among 63 others.
// A trained network conditions on its time through an embedding, which a
// fixed-step loop hoists into tables but an adaptive body evaluates at each
// sample's own time: rk45 must land where a fine fixed-step RK4 does.
TEST(AdaptiveRK45, EmbedsEachSamplesOwnTime) {
  const std::string mlp2d = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir";
  const std::string weights = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.safetensors";
  std::vector<float> adaptive = compiledSamples(
      mlp2d, 128, 2, 2, "rk45(schedule=vp(), rtol=1e-6, atol=1e-6)", weights);
  std::vector<float> fixed = compiledSamples(mlp2d, 128, 2, 2, "rk4(steps=400, schedule=vp())",
                                             weights);
  ASSERT_EQ(adaptive.size(), fixed.size());
  double worst = 0;
  for (size_t i = 0; i < fixed.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::abs(adaptive[i] - fixed[i])));
  std::printf("rk45 vs 400-step rk4 on mlp2d: largest difference %.2e\n", worst);
  EXPECT_LT(worst, 5e-3);
}

TEST(AdaptiveRK45, ASampleDoesNotDependOnItsBatch) {
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, compileImage(modelPath("gaussian_ve"), "rk45"), &status);
  ASSERT_NE(mod, nullptr);
  std::vector<float> batch = sampleRange(mod, 0, 64, 9, 1);
  for (int64_t i : {0, 5, 63}) {
    std::vector<float> alone = sampleRange(mod, i, 1, 9, 1);
    EXPECT_EQ(alone[0], batch[2 * i]) << "sample " << i;
    EXPECT_EQ(alone[1], batch[2 * i + 1]) << "sample " << i;
  }
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
}

// The ODE solvers on a DDPM-trained model (mlp2d, ddpm_linear, eps; its
// weights synthetic): they integrate DPM-Solver's continuous form of the
// schedule, whose probability-flow ODE DDIM(eta = 0) also discretises. So
// they converge to DDIM with all 1000 steps, and the DPM-Solvers get there
// in far fewer steps than DDIM itself.
TEST(SamplerIdentities, OdeSolversOnADdpmModelConvergeToFullDdim) {
  const std::string mlp2d = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir";
  std::vector<float> full = compiledSamples(mlp2d, 256, 3, 1, "ddim(steps=1000)");
  const std::vector<double> reference(full.begin(), full.end());
  auto distance = [&](const char *sampler) {
    const double d = relativeError(compiledSamples(mlp2d, 256, 3, 1, sampler), reference);
    std::printf("%-45s vs ddim(steps=1000): %.2e\n", sampler, d);
    return d;
  };
  const double pp10 = distance("dpm_solver_pp_2m(steps=10, spacing=logsnr)");
  const double pp25 = distance("dpm_solver_pp_2m(steps=25, spacing=logsnr)");
  const double pp100 = distance("dpm_solver_pp_2m(steps=100, spacing=logsnr)");
  EXPECT_LT(pp25, pp10 / 2);
  EXPECT_LT(pp100, pp25 / 2);
  EXPECT_LT(pp100, 1e-3);
  const double ddim10 = distance("ddim(steps=10)");
  EXPECT_LT(distance("dpm_solver_3(steps=10, spacing=logsnr)"), ddim10 / 10);
}

// x0 clipping (diffusers' clip_sample): the last DDIM or DDPM step returns the
// clipped x0 estimate, so every sample lies in [-r, r], where the unclipped
// sampler's do not; a range never reached changes nothing but rounding.
TEST(SamplerIdentities, ClippedX0StaysInItsRange) {
  const std::string mlp2d = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir";
  const std::string weights = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.safetensors";
  auto largest = [](const std::vector<float> &x) {
    float m = 0;
    for (float v : x)
      m = std::max(m, std::abs(v));
    return m;
  };
  for (const std::string method : {"ddim(steps=20", "ddpm(steps=50"}) {
    const std::vector<float> plain = compiledSamples(mlp2d, 512, 3, 1, method + ")", weights);
    const std::vector<float> clipped =
        compiledSamples(mlp2d, 512, 3, 1, method + ", clip_x0=1.0)", weights);
    const std::vector<float> loose =
        compiledSamples(mlp2d, 512, 3, 1, method + ", clip_x0=100.0)", weights);
    EXPECT_GT(largest(plain), 1.5f) << method;
    EXPECT_LE(largest(clipped), 1.0f + 1e-5f) << method;
    const double d = relativeError(loose, std::vector<double>(plain.begin(), plain.end()));
    EXPECT_LT(d, 1e-5) << method;
  }
}

// The two-sample check can fail: it rejects samples whose mean is off by
// 0.3 standard deviations, and accepts a second exact draw.
TEST(EnergyDistance, RejectsAShiftedSampleAndAcceptsAnExactOne) {
  const Target target = targetOf(modelOf("gaussian_vp"), 1.0, 0.0, false);
  std::vector<double> reference = exactSamples(target, kTwoSampleSize, 5);
  std::vector<double> shifted = exactSamples(target, kTwoSampleSize, 6);
  for (int64_t i = 0; i < kTwoSampleSize; ++i)
    shifted[2 * i] += 0.3 * target.std[0];
  EXPECT_LE(energyDistanceTest(shifted, reference, 2, kPermutations, 7).pValue, kMinPValue);
  EXPECT_GT(energyDistanceTest(exactSamples(target, kTwoSampleSize, 6), reference, 2,
                               kPermutations, 7)
                .pValue,
            kMinPValue);
}

} // namespace
