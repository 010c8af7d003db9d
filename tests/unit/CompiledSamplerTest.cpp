//===- CompiledSamplerTest.cpp - compiled samplers vs the float64 oracle --===//
//
// Each case compiles a bundled model's sampler with the real pipeline
// (tweedie-compile's driver, generated kernels included), loads the module
// through the C API and samples; the reference interpreter runs the *input*
// IR in float64 on the same prior noise (the runtime's Philox stream). The
// relative error ||a - b|| / ||b|| over all samples must stay within the
// issue's bounds. Weights are the deterministic synthetic ones.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace tweedie::testing;

namespace {

struct Case {
  const char *model;
  const char *method;
  int steps;
  int64_t count;
  double tolerance;
  /// Auto follows the target; unet28 also runs channels last everywhere.
  tweedie::ActivationLayout layout = tweedie::ActivationLayout::Auto;
};

class CompiledVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledVsReference, SamplesMatchTheFloat64Interpreter) {
  const Case &c = GetParam();
  std::string path = writeTemp(std::string(c.model) + "-" + std::to_string(c.steps) + ".mlir",
                               withSampler(c.model, c.method, c.steps));
  const uint64_t seed = 2024;
  std::vector<float> compiled = compiledSamples(path, c.count, seed, 1, "", "", c.layout);
  std::vector<double> reference =
      referenceSamples(path, priorNoise(path, c.count, seed), seed);
  double error = relativeError(compiled, reference);
  std::printf("%s %s %d steps: relative error %.3g\n", c.model, c.method, c.steps, error);
  EXPECT_LE(error, c.tolerance);
  EXPECT_GT(error, 0.0) << "float32 execution cannot match float64 exactly";
}

INSTANTIATE_TEST_SUITE_P(
    Models, CompiledVsReference,
    ::testing::Values(
        Case{"mlp2d", "#sampler.ddpm<variance = posterior>", 100, 64, 1e-4},
        Case{"mlp2d", "#sampler.ddim<eta = 0.0>", 20, 64, 1e-4},
        Case{"unet28", "#sampler.ddpm<variance = posterior>", 100, 2, 1e-3},
        Case{"unet28", "#sampler.ddim<eta = 0.0>", 20, 2, 1e-3},
        Case{"unet28", "#sampler.ddim<eta = 0.0>", 20, 2, 1e-3,
             tweedie::ActivationLayout::ChannelsLast}),
    [](const auto &info) {
      return std::string(info.param.model) + "_" +
             (std::string(info.param.method).find("ddim") != std::string::npos ? "DDIM"
                                                                               : "DDPM") +
             std::to_string(info.param.steps) +
             (info.param.layout == tweedie::ActivationLayout::ChannelsLast ? "_NHWC" : "");
    });

/// Same seed: one batch, several batches of other sizes, 1..4 threads give
/// bit-identical samples (a sample's arithmetic depends on nothing else).
void expectBatchAndThreadInvariance(
    const std::string &model, const std::string &method, int steps, int64_t count,
    const std::vector<int64_t> &pieces,
    tweedie::ActivationLayout layout = tweedie::ActivationLayout::Auto) {
  std::string path = writeTemp(model + "-invariance.mlir", withSampler(model, method, steps));
  std::vector<std::byte> image = compileImage(path, "", "", layout);
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, image, &status);
  ASSERT_NE(mod, nullptr) << tweedie_status_message(status);
  const uint64_t seed = 99;
  std::vector<float> whole = sampleRange(mod, 0, count, seed, 1);
  for (int threads : {2, 4})
    EXPECT_EQ(sampleRange(mod, 0, count, seed, threads), whole) << threads << " threads";
  std::vector<float> pieced;
  int64_t first = 0;
  for (int64_t piece : pieces) {
    std::vector<float> part = sampleRange(mod, first, piece, seed, 3);
    pieced.insert(pieced.end(), part.begin(), part.end());
    first += piece;
  }
  ASSERT_EQ(first, count);
  EXPECT_EQ(pieced, whole) << "batches of other sizes";
  EXPECT_NE(sampleRange(mod, 0, count, seed + 1, 1), whole) << "the seed must matter";
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
}

TEST(CompiledDeterminism, Mlp2dBatchesAndThreadsAreBitIdentical) {
  expectBatchAndThreadInvariance("mlp2d", "#sampler.ddpm<variance = posterior>", 100, 150,
                                 {1, 63, 86});
}

TEST(CompiledDeterminism, Unet28BatchesAndThreadsAreBitIdentical) {
  for (auto layout : {tweedie::ActivationLayout::Plain, tweedie::ActivationLayout::ChannelsLast})
    expectBatchAndThreadInvariance("unet28", "#sampler.ddpm<variance = posterior>", 4, 9,
                                   {1, 2, 6}, layout);
}

/// Every flipped byte and every truncation of a real module is an
/// INVALID_MODULE status naming the problem, never a crash (the header CRC
/// catches the payload; the verifier the rest). Offsets: every header byte,
/// then a stride through the payload.
TEST(ModuleCorruption, FlippedBytesAndTruncationsAreErrors) {
  std::string path = writeTemp("mlp2d-corrupt.mlir",
                               withSampler("mlp2d", "#sampler.ddim<eta = 0.0>", 10));
  std::vector<std::byte> image = compileImage(path);
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  std::vector<size_t> offsets;
  for (size_t i = 0; i < 64; ++i)
    offsets.push_back(i);
  for (size_t i = 64; i < image.size(); i += image.size() / 997 + 1)
    offsets.push_back(i);
  offsets.push_back(image.size() - 1);
  int checked = 0;
  for (size_t offset : offsets) {
    for (bool truncate : {false, true}) {
      std::vector<std::byte> bad(image.begin(),
                                 truncate ? image.begin() + offset : image.end());
      if (!truncate)
        bad[offset] ^= std::byte{0x5A};
      tweedie_status *status = nullptr;
      tweedie_module *mod = load(instance, bad, &status);
      EXPECT_EQ(mod, nullptr) << (truncate ? "truncated at " : "flipped at ") << offset;
      EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_INVALID_MODULE) << offset;
      EXPECT_NE(std::string(tweedie_status_message(status)).find("Tweedie module"),
                std::string::npos)
          << tweedie_status_message(status);
      tweedie_status_free(status);
      tweedie_module_destroy(mod);
      ++checked;
    }
  }
  std::printf("%d corrupted images rejected\n", checked);
  tweedie_instance_destroy(instance);
}

} // namespace
