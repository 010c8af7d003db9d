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
#include "tweedie/Driver/Compile.h"
#include "tweedie/InitAll.h"
#include "tweedie/Noise.h"
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/Reference/SamplerSteps.h"
#include "tweedie/Transforms/Passes.h"
#include "tweedie/tweedie.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace mlir;
using namespace tweedie;

namespace {

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The bundled model with its sampler's method and step count replaced.
std::string withSampler(const std::string &model, const std::string &method, int steps) {
  std::string text = readText(std::string(TWEEDIE_MODELS_DIR) + "/" + model + ".mlir");
  size_t at = text.find("method ");
  size_t end = text.find(" : tensor", at);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, end - at, "method " + method + " prediction eps steps " +
                                 std::to_string(steps));
  return text;
}

std::string writeTemp(const std::string &name, const std::string &text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

/// The module image tweedie-compile would write for `irPath`.
std::vector<std::byte> compileImage(const std::string &irPath) {
  CompileOptions options;
  options.input = irPath;
  CompileResult result;
  EXPECT_TRUE(compileSampler(options, result));
  return module::serializeModule(result.module);
}

/// Loads an image through the C API; null (and the status in `status`) on failure.
tweedie_module *load(tweedie_instance *instance, const std::vector<std::byte> &image,
                     tweedie_status **status) {
  tweedie_module *mod = nullptr;
  *status = tweedie_module_load_memory(instance, image.data(), image.size(), &mod);
  return mod;
}

/// Samples [first, first + count) of the seed's stream from a loaded module.
std::vector<float> sampleRange(tweedie_module *mod, int64_t first, int64_t count,
                               uint64_t seed, int threads) {
  tweedie_session *session = nullptr;
  tweedie_session_options sessionOptions{"cpu", threads};
  EXPECT_EQ(tweedie_session_create(mod, &sessionOptions, &session), nullptr);
  std::vector<float> out(count * tweedie_module_sample_size(mod));
  tweedie_sample_request request{};
  request.num_samples = count;
  request.seed = seed;
  request.first_sample = first;
  request.output = out.data();
  tweedie_status *status = tweedie_session_sample(session, &request);
  EXPECT_EQ(status, nullptr) << tweedie_status_message(status);
  tweedie_status_free(status);
  tweedie_session_destroy(session);
  return out;
}

/// Samples from the compiled module (through serialise + load + C API).
std::vector<float> compiledSamples(const std::string &irPath, int64_t count, uint64_t seed,
                                   int threads = 1) {
  std::vector<std::byte> image = compileImage(irPath);
  tweedie_instance *instance = nullptr;
  EXPECT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, image, &status);
  EXPECT_NE(mod, nullptr) << tweedie_status_message(status);
  std::vector<float> out = mod ? sampleRange(mod, 0, count, seed, threads) : std::vector<float>();
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
  return out;
}

/// The float64 interpreter on the expanded input IR, fed the same prior noise.
std::vector<double> referenceSamples(const std::string &irPath, int64_t count, uint64_t seed) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(irPath, &context);
  EXPECT_TRUE(module);
  // The oracle runs the solve as expanded (float64 tables, step ops, no fusion,
  // no hoisting, the network as a call).
  PassManager pm(&context);
  pm.addPass(createTweedieExpandSolve());
  EXPECT_TRUE(succeeded(pm.run(*module)));
  auto entry = module->lookupSymbol<func::FuncOp>("sample");
  auto type = cast<RankedTensorType>(entry.getArgument(0).getType());
  reference::Shape shape(type.getShape().begin(), type.getShape().end());
  shape[0] = count;
  reference::Tensor noise = reference::standardNormal(shape, seed, 0, kPriorStep, 0);
  reference::Interpreter interpreter(*module, reference::syntheticParams(0));
  auto results = interpreter.run(
      entry, {noise, static_cast<int64_t>(seed), static_cast<int64_t>(0)});
  EXPECT_TRUE(succeeded(results));
  return succeeded(results) ? (*results)[0].data : std::vector<double>();
}

double relativeError(const std::vector<float> &a, const std::vector<double> &b) {
  double diff = 0, norm = 0;
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(diff / norm);
}

struct Case {
  const char *model;
  const char *method;
  int steps;
  int64_t count;
  double tolerance;
};

class CompiledVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledVsReference, SamplesMatchTheFloat64Interpreter) {
  const Case &c = GetParam();
  std::string path = writeTemp(std::string(c.model) + "-" + std::to_string(c.steps) + ".mlir",
                               withSampler(c.model, c.method, c.steps));
  const uint64_t seed = 2024;
  std::vector<float> compiled = compiledSamples(path, c.count, seed);
  std::vector<double> reference = referenceSamples(path, c.count, seed);
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
        Case{"unet28", "#sampler.ddim<eta = 0.0>", 20, 2, 1e-3}),
    [](const auto &info) {
      return std::string(info.param.model) + "_" +
             (std::string(info.param.method).find("ddim") != std::string::npos ? "DDIM"
                                                                               : "DDPM") +
             std::to_string(info.param.steps);
    });

/// Same seed: one batch, several batches of other sizes, 1..4 threads give
/// bit-identical samples (a sample's arithmetic depends on nothing else).
void expectBatchAndThreadInvariance(const std::string &model, const std::string &method,
                                    int steps, int64_t count,
                                    const std::vector<int64_t> &pieces) {
  std::string path = writeTemp(model + "-invariance.mlir", withSampler(model, method, steps));
  std::vector<std::byte> image = compileImage(path);
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
  expectBatchAndThreadInvariance("unet28", "#sampler.ddpm<variance = posterior>", 4, 9,
                                 {1, 2, 6});
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
