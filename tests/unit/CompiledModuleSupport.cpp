//===- CompiledModuleSupport.cpp - compile bundled models for runtime tests ===//
#include "CompiledModuleSupport.h"

#include "tweedie/Driver/Compile.h"
#include "tweedie/InitAll.h"
#include "tweedie/Noise.h"
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/Reference/SamplerSteps.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace mlir;

namespace tweedie::testing {
namespace {

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The input IR with its solve expanded: the oracle runs it as written
/// (float64 tables, step ops, no fusion, no hoisting, the network as a call).
OwningOpRef<ModuleOp> expandedInput(const std::string &irPath, MLIRContext &context) {
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(irPath, &context);
  EXPECT_TRUE(module);
  if (!module)
    return module;
  PassManager pm(&context);
  pm.addPass(createTweedieExpandSolve());
  EXPECT_TRUE(succeeded(pm.run(*module)));
  return module;
}

DialectRegistry allDialects() {
  DialectRegistry registry;
  registerAllDialects(registry);
  return registry;
}

} // namespace

std::string kernelCpuForTests() {
  // The suite runs some tests again with oneDNN capped at an older ISA
  // (ONEDNN_MAX_CPU_ISA, tests/CMakeLists.txt): the generated kernels then
  // target the matching x86-64 level, so an AVX-512 machine runs the code an
  // AVX2 or SSE-only user's machine runs. TWEEDIE_TEST_KERNEL_CPU overrides.
  if (const char *cpu = std::getenv("TWEEDIE_TEST_KERNEL_CPU"); cpu && *cpu)
    return cpu;
  const char *isa = std::getenv("ONEDNN_MAX_CPU_ISA");
  const std::string cap = isa ? isa : "";
  if (cap == "AVX2")
    return "x86-64-v3";
  if (cap == "AVX")
    return "x86-64-v2";
  if (cap == "SSE41")
    return "x86-64";
  return "native";
}

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

std::vector<std::byte> compileImage(const std::string &irPath, const std::string &sampler,
                                    const std::string &weights, ActivationLayout layout) {
  CompileOptions options;
  options.layout = layout;
  options.input = irPath;
  options.sampler = sampler;
  options.weights = weights;
  options.cpu = kernelCpuForTests();
  CompileResult result;
  EXPECT_TRUE(compileSampler(options, result));
  return module::serializeModule(result.module);
}

tweedie_module *load(tweedie_instance *instance, const std::vector<std::byte> &image,
                     tweedie_status **status) {
  tweedie_module *mod = nullptr;
  *status = tweedie_module_load_memory(instance, image.data(), image.size(), &mod);
  return mod;
}

std::vector<float> sampleRange(tweedie_module *mod, int64_t first, int64_t count,
                               uint64_t seed, int threads, const char *device) {
  tweedie_session *session = nullptr;
  tweedie_session_options sessionOptions{device, threads};
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

std::vector<float> compiledSamples(const std::string &irPath, int64_t count, uint64_t seed,
                                   int threads, const std::string &sampler,
                                   const std::string &weights, ActivationLayout layout) {
  std::vector<std::byte> image = compileImage(irPath, sampler, weights, layout);
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

reference::Tensor priorNoise(const std::string &irPath, int64_t count, uint64_t seed) {
  MLIRContext context(allDialects());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(irPath, &context);
  EXPECT_TRUE(module);
  auto entry = module->lookupSymbol<func::FuncOp>("sample");
  auto type = cast<RankedTensorType>(entry.getArgument(0).getType());
  reference::Shape shape(type.getShape().begin(), type.getShape().end());
  shape[0] = count;
  return reference::standardNormal(shape, seed, 0, kPriorStep, 0);
}

std::vector<double> referenceSamples(const std::string &irPath,
                                     const reference::Tensor &noise, uint64_t seed) {
  MLIRContext context(allDialects());
  OwningOpRef<ModuleOp> module = expandedInput(irPath, context);
  auto entry = module->lookupSymbol<func::FuncOp>("sample");
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

} // namespace tweedie::testing
