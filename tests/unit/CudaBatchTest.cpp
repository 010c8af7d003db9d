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

/// `count` values amplitude sin(frequency i + phase): deterministic data.
std::vector<float> wave(int64_t count, double frequency, double phase = 0.0,
                        double amplitude = 1.0) {
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(amplitude * std::sin(frequency * static_cast<double>(i) + phase));
  return v;
}

double norm(std::span<const float> v) {
  double sum = 0;
  for (float x : v)
    sum += double(x) * x;
  return std::sqrt(sum);
}

/// The largest difference between the GPU's and the CPU's gradients after a
/// step, each relative to its CPU norm, floored at 1e-7 (about float32's
/// epsilon) of the step's largest gradient norm: a gradient below that is
/// under the resolution of float32 sums, like one that is zero analytically
/// (attention's key bias, since softmax ignores a shift of every score: unet28
/// gets 3e-11 against 114), whose relative difference means nothing. Each is
/// expected below 1e-4.
double worstGradientDifference(BatchExecutor &cpu, cuda::BatchProgram &gpu) {
  double largest = 0;
  for (size_t k = 0; k < cpu.numParameters(); ++k)
    largest = std::max(largest, norm(cpu.gradient(k)));
  double worst = 0;
  for (size_t k = 0; k < cpu.numParameters(); ++k) {
    const std::span<const float> want = cpu.gradient(k), got = gpu.gradient(k);
    EXPECT_EQ(got.size(), want.size()) << cpu.parameterName(k);
    double diff = 0;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
      diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    const double error = std::sqrt(diff) / std::max(norm(want), 1e-7 * largest);
    EXPECT_LT(error, 1e-4) << cpu.parameterName(k);
    worst = std::max(worst, error);
  }
  return worst;
}

// Convolutions (cuDNN), pooling, activations and dense layers on a batch of
// images: the classifier's logits are the CPU's.
TEST(CudaBatch, AnEvaluationGivesTheCpusLogits) {
  const EvaluationForCuda &compiled = classifierForCuda();
  ASSERT_FALSE(compiled.desc.cudaKernels.empty());
  const int64_t batch = 3;
  std::vector<float> images = wave(batch * compiled.desc.sampleNumel(), 0.37);

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
TrainingCompileResult stepForCuda(const std::string &input, bool crossEntropy = false) {
  TrainingCompileOptions options;
  options.input = input;
  options.crossEntropy = crossEntropy;
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
  const std::vector<float> data = wave(batch * compiled.step.sampleNumel(), 1.3, 0.2, 2.0);

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
    const double worst = worstGradientDifference(cpu, gpu);
    std::printf("step %lld gradients, GPU vs CPU: worst relative difference %.3g\n",
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

/// One training step on the CPU and on the GPU from the same batch and seed:
/// the losses agree, and the gradients (worstGradientDifference's measure).
double stepDifference(const module::ModuleDesc &step, const std::vector<std::byte> &hostKernels,
                      int64_t batch, const std::vector<float> &data,
                      const float *labels = nullptr) {
  BatchExecutor cpu(step, batch);
  GpuOrEmulation gpus(hostKernels);
  cuda::BatchProgram gpu(step, batch, gpus.availability(), gpus.blas(), gpus.dnn());
  const double cpuLoss = cpu.run(data.data(), 3, 0, labels);
  const double gpuLoss = gpu.run(data.data(), 3, 0, labels);
  EXPECT_NEAR(gpuLoss, cpuLoss, 1e-5 * std::abs(cpuLoss));
  return worstGradientDifference(cpu, gpu);
}

// A U-Net's DSM step: convolutions' backward passes on cuDNN, group norm's
// and attention's gradients as generated kernels, besides everything
// mlp2d's step has. tiny_unet's loss and gradients are the CPU's.
TEST(CudaBatch, UnetTrainingStepGivesTheCpusGradients) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_TEST_INPUTS_DIR) + "/unit/Inputs/tiny_unet.mlir");
  const int64_t batch = 3;
  const std::vector<float> images = wave(batch * compiled.step.sampleNumel(), 0.21, M_PI / 2);
  const double worst =
      stepDifference(compiled.step, compiled.hostEmulatedCudaKernels, batch, images);
  std::printf("tiny_unet gradients, GPU vs CPU: worst relative difference %.3g\n", worst);
}

// The bundled unet28 (Fashion-MNIST DDPM, attention at 7 x 7) trains on the
// GPU as on the CPU: one image's step.
TEST(CudaBatch, Unet28TrainingStepGivesTheCpusGradients) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_MODELS_DIR) + "/unet28.mlir");
  const int64_t batch = 1;
  std::vector<float> image(static_cast<size_t>(compiled.step.sampleNumel()));
  for (size_t i = 0; i < image.size(); ++i)
    image[i] = static_cast<float>(std::sin(0.05 * static_cast<double>(i * i % 997)));
  const double worst =
      stepDifference(compiled.step, compiled.hostEmulatedCudaKernels, batch, image);
  std::printf("unet28 gradients, GPU vs CPU: worst relative difference %.3g\n", worst);
}

// The other bundled objectives: ebm2d's energy trained through -grad E
// (second derivatives of its activations), and the classifier's
// cross-entropy on one-hot labels (convolutions, pooling, a softmax's
// gradient).
TEST(CudaBatch, EnergyAndClassifierStepsGiveTheCpusGradients) {
  const TrainingCompileResult energy =
      stepForCuda(std::string(TWEEDIE_MODELS_DIR) + "/ebm2d.mlir");
  const std::vector<float> points = wave(32 * energy.step.sampleNumel(), 0.9, M_PI / 2, 1.5);
  const double energyWorst =
      stepDifference(energy.step, energy.hostEmulatedCudaKernels, 32, points);
  const TrainingCompileResult classifier = stepForCuda(
      std::string(TWEEDIE_MODELS_DIR) + "/fmnist_classifier.mlir", /*crossEntropy=*/true);
  const int64_t batch = 2, classes = 10;
  const std::vector<float> images = wave(batch * classifier.step.sampleNumel(), 0.3);
  std::vector<float> labels(static_cast<size_t>(batch * classes), 0.0f);
  labels[3] = labels[classes + 7] = 1.0f;
  const double classifierWorst = stepDifference(
      classifier.step, classifier.hostEmulatedCudaKernels, batch, images, labels.data());
  std::printf("gradients, GPU vs CPU: ebm2d %.3g, classifier %.3g\n", energyWorst,
              classifierWorst);
}

// Pooling's and slicing's adjoints (upsample-like gathers, pad: zeros and a
// 2-D copy) in pool_slice_net's step.
TEST(CudaBatch, PoolAndSliceGradientsAreTheCpus) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_TEST_INPUTS_DIR) + "/unit/Inputs/pool_slice_net.mlir");
  ASSERT_TRUE(std::any_of(compiled.step.body.begin(), compiled.step.body.end(),
                          [](const module::OpDesc &op) { return op.kind == module::OpKind::Pad; }));
  const int64_t batch = 4;
  const std::vector<float> images = wave(batch * compiled.step.sampleNumel(), 0.7, 1.0);
  const double worst =
      stepDifference(compiled.step, compiled.hostEmulatedCudaKernels, batch, images);
  std::printf("pool_slice_net gradients, GPU vs CPU: worst relative difference %.3g\n", worst);
}

// A training step the backend cannot run is refused naming the op, not run
// in part (an affine_step without its generated kernel).
TEST(CudaBatch, ATrainingStepWithOpsItLacksIsRefusedNamingThem) {
  const TrainingCompileResult compiled =
      stepForCuda(std::string(TWEEDIE_MODELS_DIR) + "/mlp2d.mlir");
  module::ModuleDesc broken = compiled.step;
  module::OpDesc &op = broken.body.front();
  op.kind = module::OpKind::AffineStep;
  op.operands.resize(2);
  op.ints.clear();
  op.floats.clear();
  GpuOrEmulation gpus(compiled.hostEmulatedCudaKernels);
  try {
    cuda::BatchProgram gpu(broken, 4, gpus.availability(), gpus.blas(), gpus.dnn());
    ADD_FAILURE() << "a training step with an affine_step was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("affine_step"), std::string::npos) << e.what();
  }
}

} // namespace
