//===- CudaBatchTest.cpp - whole-batch runs on the GPU vs the CPU ---------===//
//
// cuda::BatchProgram runs a network once on a whole batch (an evaluation or
// a training step), the CPU's BatchExecutor's counterpart. From the same
// batch the GPU's result must be the CPU's to within float32 summation
// order; on a GPU where there is one, else on the emulated driver, cuBLASLt
// and cuDNN (EmulatedCudaDriver.h).
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "EmulatedCudaDriver.h"
#include "cuda/BatchProgram.h"
#include "tweedie/BatchExecutor.h"
#include "tweedie/Driver/CompileTraining.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>

using namespace tweedie;
using namespace tweedie::testing;

namespace {

/// ||gpu - cpu|| / ||cpu|| allowed: float32 rounding in another order.
constexpr double kAgreement = 1e-5;

struct EvaluationForCuda {
  module::ModuleDesc desc;
  std::vector<std::byte> hostKernels;
};

/// The bundled classifier's logits as an evaluation for CUDA.
const EvaluationForCuda &classifierForCuda() {
  static const EvaluationForCuda compiled = [] {
    EvaluationForCuda c;
    EXPECT_TRUE(compileEvaluationForCuda(std::string(TWEEDIE_MODELS_DIR) +
                                             "/fmnist_classifier.mlir",
                                         "fmnist_classifier",
                                         std::string(TWEEDIE_MODELS_DIR) +
                                             "/fmnist_classifier.safetensors",
                                         c.desc, &c.hostKernels, kernelCpuForTests()));
    return c;
  }();
  return compiled;
}

double relativeL2(std::span<const float> got, std::span<const float> want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    norm += double(want[i]) * want[i];
  }
  return std::sqrt(diff / norm);
}

// Convolutions (cuDNN), pooling, activations and dense layers on a batch of
// images: the classifier's logits are the CPU's.
TEST(CudaBatch, AnEvaluationGivesTheCpusLogits) {
  const EvaluationForCuda &compiled = classifierForCuda();
  ASSERT_FALSE(compiled.desc.cudaKernels.empty());
  const int64_t batch = 3;
  std::vector<float> images(static_cast<size_t>(batch * compiled.desc.sampleNumel()));
  for (size_t i = 0; i < images.size(); ++i) // a deterministic image-like pattern
    images[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));

  BatchExecutor cpu(compiled.desc, batch);
  const std::span<const float> cpuLogits = cpu.evaluate(images.data());
  const std::vector<float> want(cpuLogits.begin(), cpuLogits.end());
  ASSERT_EQ(want.size(), static_cast<size_t>(batch * 10));

  GpuOrEmulation gpus(compiled.hostKernels);
  cuda::BatchProgram gpu(compiled.desc, batch, gpus.availability(), gpus.blas(), gpus.dnn());
  const std::span<const float> got = gpu.evaluate(images.data());
  ASSERT_EQ(got.size(), want.size());
  const double error = relativeL2(got, want);
  std::printf("classifier logits, GPU vs CPU: relative L2 %.3g\n", error);
  EXPECT_LT(error, kAgreement);
  // A second call on other data reuses the arena and plans.
  for (float &x : images)
    x = -x;
  const std::span<const float> gpuAgain = gpu.evaluate(images.data());
  const std::vector<float> again(gpuAgain.begin(), gpuAgain.end());
  const std::span<const float> cpuAgain = cpu.evaluate(images.data());
  EXPECT_LT(relativeL2(again, cpuAgain), kAgreement);
  EXPECT_GT(relativeL2(again, want), 1e-2) << "the second batch gave the first's logits";
}

/// A training step compiled for CUDA (plain layout, the kernels' PTX and
/// their host form).
TrainingCompileResult stepForCuda(const std::string &input) {
  TrainingCompileOptions options;
  options.input = input;
  options.cudaKernels = true;
  options.hostEmulatedCudaKernels = true;
  options.cpu = kernelCpuForTests();
  TrainingCompileResult compiled;
  EXPECT_TRUE(compileTraining(options, compiled)) << input;
  return compiled;
}

// mlp2d's DSM step: noise levels read from the schedule's table at uniform
// draws, the sinusoidal time embedding, dense layers forward and backward,
// the weights' gradients as transposed matmuls and the biases' as sums over
// the batch. From the same batch and seed the loss and every gradient are
// the CPU's, and checkpoints stay interchangeable because the weights live
// on the host (the second step runs on updated ones).
TEST(CudaBatch, Mlp2dTrainingStepGivesTheCpusLossAndGradients) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir");
  ASSERT_FALSE(compiled.step.cudaKernels.empty());
  const int64_t batch = 64;
  std::vector<float> data(static_cast<size_t>(batch * compiled.step.sampleNumel()));
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<float>(2.0 * std::sin(1.3 * static_cast<double>(i) + 0.2));

  BatchExecutor cpu(compiled.step, batch);
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  cuda::BatchProgram gpu(compiled.step, batch, gpus.availability(), gpus.blas(), gpus.dnn());
  ASSERT_EQ(compiled.step.training->parameters.size(), cpu.numParameters());
  for (int64_t step = 0; step < 2; ++step) {
    const double cpuLoss = cpu.run(data.data(), 7, step);
    const double gpuLoss = gpu.run(data.data(), 7, step);
    std::printf("step %lld loss: CPU %.9g GPU %.9g\n", static_cast<long long>(step), cpuLoss,
                gpuLoss);
    EXPECT_NEAR(gpuLoss, cpuLoss, 1e-5 * std::abs(cpuLoss)) << "step " << step;
    double worst = 0;
    for (size_t k = 0; k < cpu.numParameters(); ++k) {
      const double error = relativeL2(gpu.gradient(k), cpu.gradient(k));
      worst = std::max(worst, error);
      EXPECT_LT(error, 1e-4) << cpu.parameterName(k) << " at step " << step;
    }
    std::printf("step %lld gradients, GPU vs CPU: worst relative L2 %.3g\n",
                static_cast<long long>(step), worst);
    // A plain SGD update on both copies of the weights: the GPU's are the
    // host's constants, uploaded before each step.
    for (size_t k = 0; k < cpu.numParameters(); ++k) {
      const std::span<float> w = cpu.parameter(k);
      std::vector<float> &gw = gpu.desc().constants[static_cast<size_t>(
                                                        compiled.step.training->parameters[k])]
                                   .data;
      const std::span<const float> g = cpu.gradient(k);
      for (size_t i = 0; i < w.size(); ++i) {
        w[i] -= 0.05f * g[i];
        gw[i] = w[i];
      }
    }
  }
}

// A training step whose ops the backend lacks is refused naming the op, not
// run in part (a U-Net's step needs convolutions' backward passes).
TEST(CudaBatch, ATrainingStepWithOpsItLacksIsRefusedNamingThem) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_TEST_INPUTS_DIR) + "/unit/Inputs/tiny_unet.mlir");
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  try {
    cuda::BatchProgram gpu(compiled.step, 4, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "tiny_unet's training step was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("backward"), std::string::npos) << e.what();
  }
}

} // namespace
