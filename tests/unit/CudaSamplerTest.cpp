//===- CudaSamplerTest.cpp - the CUDA sampler loop vs the CPU's -----------===//
//
// cuda::SamplerProgram runs a module's whole sampler loop on the GPU. From
// the same prior noise its samples must be the CPU backend's to within the
// issue's 1e-3 relative error (TF32 off); the float32 arithmetic differs
// only in summation order and the activations' approximations, so the test
// holds it to kAgreement. On a GPU where there is one, else on the emulated
// driver and cuBLASLt (EmulatedCudaDriver.h), where the kernels' GPU form and
// the backend's launches and memory plan are what run.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "EmulatedCublasLt.h"
#include "EmulatedCudnn.h"
#include "EmulatedCudaDriver.h"
#include "cuda/SamplerProgram.h"
#include "tweedie/Error.h"
#include "tweedie/module/ModuleDesc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace tweedie;
using namespace tweedie::testing;

namespace {

/// ||gpu - cpu|| / ||cpu|| allowed: float32 rounding compounded over the
/// steps, well inside the 1e-3 the CUDA issue asks for.
constexpr double kAgreement = 1e-4;

/// `options` compiled for CUDA, with the kernels' host form for the
/// emulator and the CPU kernels at the tests' level.
CompileResult compiledForCuda(CompileOptions options) {
  options.cudaKernels = options.hostEmulatedCudaKernels = true;
  options.cpu = kernelCpuForTests();
  CompileResult result;
  EXPECT_TRUE(compileSampler(options, result)) << options.input << " did not compile for CUDA";
  return result;
}

/// A bundled model with `method` for `steps` compiled for CUDA.
CompileResult compileForCuda(const std::string &model, const std::string &method, int steps) {
  CompileOptions options;
  options.input = writeTemp(model + "-cuda-" + std::to_string(steps) + ".mlir",
                            withSampler(model, method, steps));
  return compiledForCuda(options);
}

/// tests/unit/Inputs/<name>.mlir with synthetic weights and sampler `spec`.
CompileResult testInputForCuda(const std::string &name, const std::string &spec,
                               uint64_t syntheticSeed) {
  CompileOptions options;
  options.input = std::string(TWEEDIE_TEST_INPUTS_DIR) + "/unit/Inputs/" + name + ".mlir";
  options.sampler = spec;
  options.syntheticSeed = syntheticSeed;
  return compiledForCuda(options);
}

const CompileResult &mlp2dDdpm() {
  static const CompileResult c =
      compileForCuda("mlp2d", "#sampler.ddpm<variance = posterior>", 10);
  return c;
}

/// Samples [first, first + count) of `seed`'s stream through the C API.
std::vector<float> apiSamples(const module::ModuleDesc &desc, int64_t first, int64_t count,
                              uint64_t seed, const char *device = "cpu") {
  tweedie_instance *instance = nullptr;
  EXPECT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, module::serializeModule(desc), &status);
  EXPECT_NE(mod, nullptr) << (status ? tweedie_status_message(status) : "");
  std::vector<float> out =
      mod ? sampleRange(mod, first, count, seed, 1, device) : std::vector<float>();
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
  return out;
}

double relativeDifference(const std::vector<float> &a, const std::vector<float> &b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

void expectGpuMatchesCpu(const CompileResult &compiled, int64_t first, int64_t count,
                         uint64_t seed) {
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  cuda::SamplerProgram program(compiled.module, gpus.availability(), gpus.blas(), gpus.dnn());
  const int64_t width = compiled.module.sampleNumel();
  std::vector<float> onGpu(static_cast<size_t>(count * width), -99.0f);
  program.sample(count, seed, first, nullptr, onGpu.data());
  const std::vector<float> onCpu = apiSamples(compiled.module, first, count, seed);
  ASSERT_EQ(onGpu.size(), onCpu.size());
  const double difference = relativeDifference(onGpu, onCpu);
  EXPECT_LT(difference, kAgreement)
      << (gpus.emulated() ? "emulated: " : "") << program.device().name;
  ::testing::Test::RecordProperty("relative_difference", std::to_string(difference));
  std::printf("GPU vs CPU on %s: relative difference %.3g\n", program.device().name.c_str(),
              difference);
}

// DDPM: dense layers (cuBLASLt + the bias/SiLU epilogue, the step's bias a
// row of the per-step table), the step noise (the randn kernel), the
// ancestral step (the generated affine kernel), 10 steps.
TEST(CudaSampler, Mlp2dDdpmMatchesTheCpu) { expectGpuMatchesCpu(mlp2dDdpm(), 5, 37, 11); }

// A request anywhere in the stream: sample i is stream sample first + i on
// both backends, its prior and step noise counter-keyed by that index.
TEST(CudaSampler, ARequestAtTheStreamsEndMatchesTheCpu) {
  expectGpuMatchesCpu(mlp2dDdpm(), (int64_t{1} << 32) - 5, 5, 0x9e3779b97f4a7c15ull);
}

// DDIM: deterministic, the two-term step kernel.
TEST(CudaSampler, Mlp2dDdimMatchesTheCpu) {
  static const CompileResult ddim = compileForCuda("mlp2d", "#sampler.ddim<eta = 0.0>", 8);
  expectGpuMatchesCpu(ddim, 0, 20, 3);
}

// The loop is one CUDA graph replayed by one launch: every step's matmuls,
// kernels and copies are its nodes, and nothing runs outside it between the
// prior's upload and the samples' download (the emulator refuses any
// synchronous call while the capture is open, as the driver does).
TEST(CudaSampler, TheWholeLoopIsOneGraphLaunch) {
  const CompileResult &compiled = mlp2dDdpm();
  EmulatedCudaDriver emulator(compiled.hostEmulatedCudaKernels);
  cuda::SamplerProgram program(compiled.module, emulator.availability(), emulatedCublasLt(),
                                 emulatedCudnn());
  std::vector<float> out(16);
  program.sample(8, 2, 0, nullptr, out.data());
  const EmulatorCounts counts = emulator.counts();
  const int64_t steps = compiled.module.steps;
  // Per step: 5 dense layers (a matmul and an epilogue each), the noise, the
  // ancestral step, the copy of the next state into the state.
  EXPECT_EQ(program.lastGraphNodes(), static_cast<size_t>(steps * 13));
  EXPECT_EQ(counts.graphLaunches, 1);
  EXPECT_EQ(counts.matmuls, steps * 5);
  EXPECT_EQ(counts.kernels, steps * 7);
  EXPECT_EQ(counts.kernels + counts.matmuls + counts.copies,
            static_cast<int64_t>(program.lastGraphNodes()));
  const int64_t sessionBytes = emulator.liveBytes();
  program.sample(8, 2, 0, nullptr, out.data());
  EXPECT_EQ(emulator.counts().graphLaunches, 2); // one per request
  // One arena per session: a request that fits allocates nothing more.
  program.sample(4, 2, 0, nullptr, out.data());
  EXPECT_EQ(emulator.liveBytes(), sessionBytes);
  std::vector<float> more(64);
  program.sample(32, 2, 0, nullptr, more.data());
  EXPECT_GT(emulator.liveBytes(), sessionBytes); // grown for the larger one
}

/// A bundled model (models/<name>.mlir, with its trained weights where it
/// has them) with sampler `spec` ("heun(steps=4)") for CUDA.
CompileResult modelForCuda(const std::string &name, const std::string &spec) {
  CompileOptions options;
  options.input = std::string(TWEEDIE_MODELS_DIR) + "/" + name + ".mlir";
  if (name == "mlp2d" || name == "ebm2d")
    options.weights = std::string(TWEEDIE_MODELS_DIR) + "/" + name + ".safetensors";
  options.sampler = spec;
  return compiledForCuda(options);
}

class CudaSamplers : public ::testing::TestWithParam<const char *> {};

// Every fixed-step sampler the DDPM-trained mlp2d takes (the multistep and
// multi-stage ones carry extra states between steps) agrees with the CPU.
TEST_P(CudaSamplers, MatchTheCpuOnMlp2d) {
  expectGpuMatchesCpu(modelForCuda("mlp2d", GetParam()), 1, 24, 8);
}

class CudaSdeSamplers : public ::testing::TestWithParam<const char *> {};

std::string sdeCaseName(const ::testing::TestParamInfo<const char *> &info) {
  static const std::vector<std::string> names = {"euler_maruyama", "pc", "pc_reverse_diffusion",
                                                 "pc_ancestral_two_corrector_steps"};
  return names.at(info.index);
}

// The reverse-SDE samplers on the analytic VP mixture (its score is
// arithmetic with broadcasting: the broadcast kernels), the predictor-
// corrector ones with the Langevin corrector's per-sample step size.
TEST_P(CudaSdeSamplers, MatchTheCpuOnAnAnalyticScore) {
  expectGpuMatchesCpu(modelForCuda("analytic/mixture_vp", GetParam()), 0, 16, 4);
}

INSTANTIATE_TEST_SUITE_P(VpMixture, CudaSdeSamplers,
                         ::testing::Values("euler_maruyama(steps=8)", "pc(steps=4)",
                                           "pc(steps=4, predictor=reverse_diffusion)",
                                           "pc(steps=4, predictor=ancestral, corrector_steps=2)"),
                         sdeCaseName);

INSTANTIATE_TEST_SUITE_P(FixedStep, CudaSamplers,
                         ::testing::Values("ddim(steps=6, eta=0.5)", "euler(steps=6)",
                                           "heun(steps=4)", "rk4(steps=3)",
                                           "dpm_solver_2(steps=4)", "dpm_solver_3(steps=3)",
                                           "dpm_solver_pp_2m(steps=6)",
                                           "dpm_solver_pp_2s(steps=4)", "langevin(steps=5)"),
                         [](const ::testing::TestParamInfo<const char *> &info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('('));
                         });

// An energy network sampled through its gradient (dense layers, softplus
// and its derivative, the broadcast of dE/dE) by Langevin dynamics, annealed
// Langevin and MALA (its Metropolis-Hastings test per sample).
TEST(CudaSampler, AnEnergyNetworkSamplesLikeTheCpu) {
  for (const char *spec : {"langevin(steps=4)", "mala(steps=4)"})
    expectGpuMatchesCpu(modelForCuda("ebm2d", spec), 0, 32, 6);
}

/// tests/unit/Inputs/tiny_unet.mlir (every op kind unet28 has: strided and
/// plain convolutions, group norm + SiLU, attention between transposes, a
/// residual add, nearest upsampling, a concatenated skip) with synthetic
/// weights and `sampler`, compiled for CUDA (plain layout, as --target
/// cuda makes it whatever the CPU).
CompileResult tinyUnetForCuda(const std::string &sampler) {
  return testInputForCuda("tiny_unet", sampler, 3);
}

// An image network: convolutions on cuDNN, the rest layer kernels and 2-D
// copies, DDPM's noise and step, against the CPU backend's oneDNN.
TEST(CudaSampler, AnImageNetworkMatchesTheCpu) {
  static const CompileResult ddpm = tinyUnetForCuda("ddpm(steps=4)");
  expectGpuMatchesCpu(ddpm, 2, 6, 17);
}

// Layer normalisation (one group over the features) and score.scale, which
// no bundled model's loop holds (tests/unit/Inputs/mlp_layer_norm.mlir).
TEST(CudaSampler, LayerNormAndScaleMatchTheCpu) {
  expectGpuMatchesCpu(testInputForCuda("mlp_layer_norm", "ddpm(steps=5)", 11), 3, 20, 9);
}

// Average pooling and a channel slice between convolutions
// (tests/unit/Inputs/pool_slice_net.mlir).
TEST(CudaSampler, PoolingAndSlicesMatchTheCpu) {
  expectGpuMatchesCpu(testInputForCuda("pool_slice_net", "ddpm(steps=4)", 5), 0, 6, 13);
}

// The bundled Fashion-MNIST U-Net with its trained weights: 27
// convolutions, 20 group norms, attention at 7x7 and 14x14.
TEST(CudaSampler, Unet28MatchesTheCpu) {
  CompileOptions options;
  options.input = writeTemp("unet28-cuda.mlir",
                            withSampler("unet28", "#sampler.ddim<eta = 0.0>", 2));
  options.weights = std::string(TWEEDIE_MODELS_DIR) + "/unet28.safetensors";
  expectGpuMatchesCpu(compiledForCuda(options), 0, 2, 5);
}

// The caller's prior is used as given.
TEST(CudaSampler, ThePriorIsTheCallersWhenGiven) {
  GpuOrEmulation gpus(mlp2dDdpm().hostEmulatedCudaKernels);
  cuda::SamplerProgram program(mlp2dDdpm().module, gpus.availability(), gpus.blas(), gpus.dnn());
  std::vector<float> prior = {0.5f, -1.0f, 2.0f, 0.25f}, a(4), b(4), drawn(4);
  program.sample(2, 7, 0, prior.data(), a.data());
  program.sample(2, 7, 0, prior.data(), b.data());
  program.sample(2, 7, 0, nullptr, drawn.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, drawn);
}

// What the backend cannot run yet is refused when the program is built,
// naming it, never half-run.
TEST(CudaSampler, AModuleItCannotRunIsRefusedNamingWhy) {
  GpuOrEmulation gpus(mlp2dDdpm().hostEmulatedCudaKernels);
  module::ModuleDesc builtinStep = mlp2dDdpm().module;
  for (module::OpDesc &op : builtinStep.body)
    if (op.kind == module::OpKind::AffineStep)
      op.kernel.clear(); // as --kernels builtin compiles it
  try {
    cuda::SamplerProgram program(builtinStep, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "an affine_step without its generated kernel was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("--kernels builtin"), std::string::npos) << e.what();
  }
  module::ModuleDesc channelsLast = mlp2dDdpm().module;
  channelsLast.values[channelsLast.body[1].result].channelsLast = true;
  try {
    cuda::SamplerProgram program(channelsLast, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "a channels-last value was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("--layout plain"), std::string::npos) << e.what();
  }
  module::ModuleDesc cpuOnly = mlp2dDdpm().module;
  cpuOnly.cudaKernels.clear();
  try {
    cuda::SamplerProgram program(cpuOnly, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "a module without PTX was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("--target cuda"), std::string::npos) << e.what();
  }
}

// The adaptive integrators run on the device (cuda/Integrator.h): every
// sample's step size, error norm and acceptance in float64 kernels, one
// attempted step a graph replayed until all are done. rk45 on the analytic
// VP mixture's probability-flow ODE, the likelihood's augmented ODE (the
// velocity and its divergence) on it, and rk45 with the final denoising step
// (a sigma schedule: rk45 then Tweedie's formula) agree with the CPU's
// integrator.
TEST(CudaSampler, TheAdaptiveIntegratorsMatchTheCpu) {
  expectGpuMatchesCpu(modelForCuda("analytic/mixture_vp", "rk45(rtol=1e-5, atol=1e-5)"), 0, 12,
                      21);
  expectGpuMatchesCpu(modelForCuda("analytic/mixture_vp", "likelihood(rtol=1e-6, atol=1e-6)"),
                      3, 10, 5);
  expectGpuMatchesCpu(modelForCuda("analytic/gaussian_sigma", "rk45"), 0, 8, 2);
}

// Between its replays the integrator reports the slowest sample's share of
// the interval (rising to 1) and hears a cancel.
TEST(CudaSampler, TheIntegratorReportsProgressAndCanBeCancelled) {
  const CompileResult compiled = modelForCuda("analytic/mixture_vp", "rk45(rtol=1e-6, atol=1e-6)");
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  cuda::SamplerProgram program(compiled.module, gpus.availability(), gpus.blas(), gpus.dnn());
  std::vector<float> out(static_cast<size_t>(6 * compiled.module.sampleNumel()), -7.0f);
  std::vector<double> seen;
  EXPECT_TRUE(program.sample(6, 3, 0, nullptr, out.data(), [&](double fraction) {
    seen.push_back(fraction);
    return true;
  }));
  ASSERT_GE(seen.size(), 2u) << "fewer than two replays: no progress to see";
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_GT(seen.front(), 0.0);
  EXPECT_EQ(seen.back(), 1.0);
  std::vector<float> untouched(out.size(), -7.0f);
  EXPECT_FALSE(program.sample(6, 3, 0, nullptr, untouched.data(), [](double) { return false; }));
  EXPECT_EQ(untouched, std::vector<float>(out.size(), -7.0f));
}

// A sample that cannot finish within the step budget fails on the GPU as on
// the CPU, naming the sample.
TEST(CudaSampler, AnIntegrationOutOfStepsIsAnErrorNamingTheSample) {
  const CompileResult compiled =
      modelForCuda("analytic/mixture_vp", "rk45(steps=3, rtol=1e-9, atol=1e-9)");
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  cuda::SamplerProgram program(compiled.module, gpus.availability(), gpus.blas(), gpus.dnn());
  std::vector<float> out(static_cast<size_t>(4 * compiled.module.sampleNumel()));
  try {
    program.sample(4, 1, 40, nullptr, out.data());
    ADD_FAILURE() << "an integration past its budget succeeded";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Numeric);
    EXPECT_NE(std::string(e.what()).find("rk45: no end after"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("in sample 4"), std::string::npos) << e.what();
  }
}

// tweedie.h's device "cuda": on a GPU the session samples there (the CPU's
// samples to kAgreement); without one, creating it says what is missing.
TEST(CudaSampler, ACudaSessionSamplesOnTheGpuOrSaysWhyNot) {
  const module::ModuleDesc &desc = mlp2dDdpm().module;
  if (!cuda::availability().api) {
    tweedie_instance *instance = nullptr;
    ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
    tweedie_status *status = nullptr;
    tweedie_module *mod = load(instance, module::serializeModule(desc), &status);
    ASSERT_NE(mod, nullptr);
    tweedie_session *session = nullptr;
    tweedie_session_options options{"cuda", 1};
    status = tweedie_session_create(mod, &options, &session);
    EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_UNAVAILABLE);
    EXPECT_NE(std::string(tweedie_status_message(status)).find("device 'cuda' is not available"),
              std::string::npos)
        << tweedie_status_message(status);
    EXPECT_EQ(session, nullptr);
    tweedie_status_free(status);
    tweedie_module_destroy(mod);
    tweedie_instance_destroy(instance);
    return;
  }
  const std::vector<float> onGpu = apiSamples(desc, 3, 50, 21, "cuda");
  EXPECT_LT(relativeDifference(onGpu, apiSamples(desc, 3, 50, 21)), kAgreement);
}

// A diverging state is an error naming the sample, not a result.
TEST(CudaSampler, ANonFiniteSampleIsAnError) {
  GpuOrEmulation gpus(mlp2dDdpm().hostEmulatedCudaKernels);
  cuda::SamplerProgram program(mlp2dDdpm().module, gpus.availability(), gpus.blas(), gpus.dnn());
  std::vector<float> prior = {1.0f, NAN, 0.0f, 0.0f}, out(4);
  try {
    program.sample(2, 1, 40, prior.data(), out.data());
    ADD_FAILURE() << "a NaN prior sampled";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Numeric);
    EXPECT_NE(std::string(e.what()).find("sample 40"), std::string::npos) << e.what();
  }
}

} // namespace
