//===- LikelihoodTest.cpp - log p(x) along the probability flow ----------===//
//
// sampler.likelihood compiled by the real pipeline and run by the runtime on
// the analytic Gaussian models, whose every marginal is known in closed form:
// N(alpha mu, alpha^2 s^2 + sigma^2). Along the exact flow each coordinate's
// standardised value is constant, and log p_eps(x) = log p_T(x_T) + l_T with
// l the integrated (exact) divergence: both are checked point by point, and
// the API's log p, which takes the prior N(0, s_T^2 I) for p_T, against the
// closed form within the prior's own mismatch.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "tweedie/Numerics/Processes.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

using namespace tweedie::testing;

namespace {

const std::vector<double> kMu = {0.7, -0.4}, kStd = {0.5, 0.8};

struct FlowCase {
  const char *name, *model, *schedule;
  tweedie::numerics::Process process;
  double tMin, tMax, priorStd;
  const char *divergence = ""; // exact, or "hutchinson K rademacher|gaussian"
};

/// log N(x; alpha mu, alpha^2 s^2 + sigma^2) at time t, per point.
double exactLogDensity(const FlowCase &c, double t, const float *x) {
  const double a = c.process.alpha(t), s = c.process.sigma(t);
  double logP = 0;
  for (int j = 0; j < 2; ++j) {
    const double var = a * a * kStd[j] * kStd[j] + s * s, diff = x[j] - a * kMu[j];
    logP += -0.5 * diff * diff / var - 0.5 * std::log(2 * std::numbers::pi * var);
  }
  return logP;
}

/// The model with a likelihood entry (rows [x, l]).
std::string likelihoodModel(const FlowCase &c) {
  std::ifstream in(std::string(TWEEDIE_MODELS_DIR) + "/analytic/" + c.model + ".mlir");
  std::stringstream text;
  text << in.rdbuf()
       << "func.func @likelihood(%xl: tensor<?x3xf32>, %seed: i64, %first: index) -> "
          "tensor<?x3xf32> {\n"
          "  %r = sampler.likelihood @score(%xl, %seed, %first) schedule "
       << c.schedule << " prediction score " << c.divergence
       << " {rtol = 1.0e-6 : f64, atol = 1.0e-6 : f64} : tensor<?x3xf32>\n"
          "  return %r : tensor<?x3xf32>\n}\n";
  return writeTemp(std::string(c.name) + "-likelihood.mlir", text.str());
}

class Likelihood : public ::testing::TestWithParam<FlowCase> {};

TEST_P(Likelihood, FollowsTheExactFlowAndDensity) {
  const FlowCase &c = GetParam();
  constexpr int64_t n = 256;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::vector<float> data(2 * n), rows(3 * n, 0.0f);
  const double a0 = c.process.alpha(c.tMin), s0 = c.process.sigma(c.tMin);
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < 2; ++j) {
      const double sd = std::sqrt(a0 * a0 * kStd[j] * kStd[j] + s0 * s0);
      data[2 * i + j] = static_cast<float>(a0 * kMu[j] + sd * normal(rng));
      rows[3 * i + j] = data[2 * i + j];
    }

  std::vector<std::byte> image = compileImage(likelihoodModel(c));
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, image, &status);
  ASSERT_NE(mod, nullptr) << tweedie_status_message(status);
  EXPECT_DOUBLE_EQ(tweedie_module_likelihood_prior_std(mod), c.priorStd);
  tweedie_session *session = nullptr;
  tweedie_session_options options{"cpu", 2};
  ASSERT_EQ(tweedie_session_create(mod, &options, &session), nullptr);

  // The raw flow: rows [x, 0] -> [x_T, l].
  std::vector<float> out(3 * n);
  tweedie_sample_request flow{};
  flow.num_samples = n;
  flow.initial_noise = rows.data();
  flow.output = out.data();
  ASSERT_EQ(tweedie_session_sample(session, &flow), nullptr);
  const double a1 = c.process.alpha(c.tMax), s1 = c.process.sigma(c.tMax);
  double worstMap = 0, worstDensity = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < 2; ++j) {
      const double sd0 = std::sqrt(a0 * a0 * kStd[j] * kStd[j] + s0 * s0);
      const double sd1 = std::sqrt(a1 * a1 * kStd[j] * kStd[j] + s1 * s1);
      const double mapped = a1 * kMu[j] + sd1 * (data[2 * i + j] - a0 * kMu[j]) / sd0;
      worstMap = std::max(worstMap, std::abs(out[3 * i + j] - mapped) / sd1);
    }
    const double viaFlow = exactLogDensity(c, c.tMax, &out[3 * i]) + out[3 * i + 2];
    worstDensity =
        std::max(worstDensity, std::abs(viaFlow - exactLogDensity(c, c.tMin, &data[2 * i])));
  }

  // The API's log p takes N(0, s_T^2 I) for p_T, as every flow likelihood does.
  std::vector<double> logP(n);
  tweedie_likelihood_request request{n, data.data(), logP.data(), nullptr, nullptr};
  ASSERT_EQ(tweedie_session_log_likelihood(session, &request), nullptr);
  double worstApi = 0, worstMismatch = 0;
  for (int64_t i = 0; i < n; ++i) {
    double prior = 0, exactPrior = exactLogDensity(c, c.tMax, &out[3 * i]);
    for (int j = 0; j < 2; ++j)
      prior += -0.5 * out[3 * i + j] * out[3 * i + j] / (c.priorStd * c.priorStd) -
               0.5 * std::log(2 * std::numbers::pi * c.priorStd * c.priorStd);
    worstApi = std::max(worstApi, std::abs(logP[i] - (prior + out[3 * i + 2])));
    worstMismatch = std::max(worstMismatch, std::abs(prior - exactPrior));
  }
  std::printf("%-14s flow map %.2e (in stds), log p via the flow %.2e nats, API vs flow "
              "%.2e, prior mismatch up to %.2e nats\n",
              c.name, worstMap, worstDensity, worstApi, worstMismatch);
  EXPECT_LT(worstMap, 1e-4);
  EXPECT_LT(worstDensity, 1e-4);
  EXPECT_LT(worstApi, 1e-4);
  EXPECT_LT(worstMismatch, 0.05);

  // A sampler is not a likelihood module, and says so.
  std::vector<std::byte> samplerImage =
      compileImage(std::string(TWEEDIE_MODELS_DIR) + "/analytic/" + c.model + ".mlir", "rk45");
  tweedie_module *sampler = load(instance, samplerImage, &status);
  ASSERT_NE(sampler, nullptr);
  EXPECT_EQ(tweedie_module_likelihood_prior_std(sampler), 0.0);
  tweedie_session *samplerSession = nullptr;
  ASSERT_EQ(tweedie_session_create(sampler, &options, &samplerSession), nullptr);
  tweedie_status *refused = tweedie_session_log_likelihood(samplerSession, &request);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(std::string(tweedie_status_message(refused)).find("is a sampler"), std::string::npos);
  tweedie_status_free(refused);
  tweedie_session_destroy(samplerSession);
  tweedie_module_destroy(sampler);
  tweedie_session_destroy(session);
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
}

using tweedie::numerics::Process;
INSTANTIATE_TEST_SUITE_P(
    AnalyticGaussians, Likelihood,
    ::testing::Values(FlowCase{"vp_exact", "gaussian_vp", "#sampler.vp<>", Process::vp(0.1, 20.0),
                               1e-3, 1.0, 1.0},
                      FlowCase{"ve_exact", "gaussian_ve",
                               "#sampler.ve<sigma_min = 0.01, sigma_max = 50.0>",
                               Process::ve(0.01, 50.0), 1e-5, 1.0, 50.0},
                      // The Gaussian's Jacobian is diagonal and a Rademacher probe has
                      // v_j^2 = 1: one probe gives the exact trace, so the same bounds hold.
                      FlowCase{"vp_hutchinson_rademacher", "gaussian_vp", "#sampler.vp<>",
                               Process::vp(0.1, 20.0), 1e-3, 1.0, 1.0, "hutchinson 1 rademacher"}),
    [](const auto &info) { return std::string(info.param.name); });

// Gaussian probes are unbiased but noisy: per point the estimate scatters
// around the exact log-density, and over many points the mean agrees.
TEST(Likelihood, HutchinsonWithGaussianProbesIsUnbiased) {
  constexpr int64_t n = 1000;
  auto logDensities = [&](const char *name, const char *divergence) {
    FlowCase c{name, "gaussian_vp", "#sampler.vp<>", Process::vp(0.1, 20.0), 1e-3,
               1.0,  1.0,           divergence};
    std::vector<std::byte> image = compileImage(likelihoodModel(c));
    tweedie_instance *instance = nullptr;
    EXPECT_EQ(tweedie_instance_create(&instance), nullptr);
    tweedie_status *status = nullptr;
    tweedie_module *mod = load(instance, image, &status);
    EXPECT_NE(mod, nullptr);
    tweedie_session *session = nullptr;
    tweedie_session_options options{"cpu", 2};
    EXPECT_EQ(tweedie_session_create(mod, &options, &session), nullptr);
    std::mt19937_64 rng(9);
    std::normal_distribution<double> normal;
    std::vector<float> data(2 * n);
    for (int64_t i = 0; i < n; ++i)
      for (int j = 0; j < 2; ++j)
        data[2 * i + j] = static_cast<float>(kMu[j] + kStd[j] * normal(rng));
    std::vector<double> logP(n);
    tweedie_likelihood_request request{n, data.data(), logP.data(), nullptr, nullptr};
    EXPECT_EQ(tweedie_session_log_likelihood(session, &request), nullptr);
    tweedie_session_destroy(session);
    tweedie_module_destroy(mod);
    tweedie_instance_destroy(instance);
    return logP;
  };
  const std::vector<double> exact = logDensities("vp_exact_reference", "");
  const std::vector<double> estimated = logDensities("vp_gaussian_probes", "hutchinson 4 gaussian");
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = estimated[i] - exact[i];
    sum += d;
    squares += d * d;
  }
  const double mean = sum / n, spread = std::sqrt(squares / n - mean * mean);
  const double standardError = spread / std::sqrt(static_cast<double>(n));
  std::printf("Hutchinson, 4 Gaussian probes: per-point spread %.3f nats, mean difference "
              "%.4f (%.2f standard errors)\n",
              spread, mean, mean / standardError);
  EXPECT_GT(spread, 0.05);                      // the probes are random...
  EXPECT_LT(std::abs(mean), 5 * standardError); // ...and unbiased
}

// The mixture's score is not linear in x, and its divergence comes from the
// reverse pass through the softmax: in the tails, where one component's
// weight underflows, the gradient must stay finite (it was NaN while the
// model's exp could overflow) and log p must match the closed form.
TEST(Likelihood, GaussianMixtureMatchesItsClosedFormIntoTheTails) {
  const std::vector<double> weights = {0.5, 0.3, 0.2}, stds = {0.3, 0.5, 0.4};
  const std::vector<std::array<double, 2>> means = {{-1.5, 0.0}, {1.5, 1.0}, {0.5, -2.0}};
  const Process process = Process::vp(0.1, 20.0);
  const double tMin = 1e-3, a = process.alpha(tMin), s = process.sigma(tMin);
  auto exactLogP = [&](const float *x) {
    double p = 0;
    for (size_t k = 0; k < weights.size(); ++k) {
      const double var = a * a * stds[k] * stds[k] + s * s;
      const double d0 = x[0] - a * means[k][0], d1 = x[1] - a * means[k][1];
      p += weights[k] * std::exp(-(d0 * d0 + d1 * d1) / (2 * var)) /
           (2 * std::numbers::pi * var);
    }
    return std::log(p);
  };
  // Points of each component, then the tails (far from two of the three).
  std::vector<float> data;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  for (size_t k = 0; k < weights.size(); ++k)
    for (int i = 0; i < 20; ++i)
      for (int j = 0; j < 2; ++j)
        data.push_back(static_cast<float>(a * means[k][j] +
                                          std::sqrt(a * a * stds[k] * stds[k] + s * s) *
                                              normal(rng)));
  for (float v : {2.70f, 1.19f, 3.5f, 2.5f, -3.0f, -1.0f, 1.0f, -3.5f})
    data.push_back(v);
  const int64_t n = static_cast<int64_t>(data.size() / 2);

  FlowCase c{"mixture_vp", "mixture_vp", "#sampler.vp<>", process, tMin, 1.0, 1.0};
  std::vector<std::byte> image = compileImage(likelihoodModel(c));
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, image, &status);
  ASSERT_NE(mod, nullptr) << tweedie_status_message(status);
  tweedie_session *session = nullptr;
  tweedie_session_options options{"cpu", 2};
  ASSERT_EQ(tweedie_session_create(mod, &options, &session), nullptr);
  std::vector<double> logP(n);
  tweedie_likelihood_request request{n, data.data(), logP.data(), nullptr, nullptr};
  tweedie_status *failed = tweedie_session_log_likelihood(session, &request);
  ASSERT_EQ(failed, nullptr) << tweedie_status_message(failed);
  // The float32 divergence integral errs more where |log p| is large (measured
  // on hand-picked points: 1e-3 nats near the means, 1e-2 at log p = -18), so
  // the tolerance is 5e-3 nats plus 5e-4 |log p|. The API takes N(0, I) for
  // p_1, the mixture shrunk by alpha(1) = 0.0066.
  double worst = 0, worstShare = 0; // the largest error, and of the tolerance
  for (int64_t i = 0; i < n; ++i) {
    const double exact = exactLogP(&data[2 * i]), error = std::abs(logP[i] - exact);
    worst = std::max(worst, error);
    worstShare = std::max(worstShare, error / (5e-3 + 5e-4 * std::abs(exact)));
  }
  std::printf("mixture_vp: log p within %.2e nats of the closed form over %lld points, "
              "tails included (%.0f%% of the tolerance)\n",
              worst, static_cast<long long>(n), 100 * worstShare);
  EXPECT_LT(worstShare, 1.0);
  tweedie_session_destroy(session);
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
}

} // namespace
