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

// A training step whose ops the backend lacks is refused naming the op, not
// run in part (mlp2d's DSM step reads the schedule tables by interpolation).
TEST(CudaBatch, ATrainingStepWithOpsItLacksIsRefusedNamingThem) {
  TrainingCompileOptions options;
  options.input = std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir";
  options.layout = ActivationLayout::Plain;
  TrainingCompileResult compiled;
  ASSERT_TRUE(compileTraining(options, compiled));
  GpuOrEmulation gpus(classifierForCuda().hostKernels);
  try {
    cuda::BatchProgram gpu(compiled.step, 4, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "mlp2d's training step was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("interpolate"), std::string::npos) << e.what();
  }
}

} // namespace
