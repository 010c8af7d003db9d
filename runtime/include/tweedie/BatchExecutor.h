//===- BatchExecutor.h - a network on whole batches (training, evaluation) ===//
//
// The runtime's second driver over its kernel registry, beside the sampler
// loop of the C API: it runs a training step (a loss and the gradient of
// every trainable weight, as the compiler makes them of a DSM or
// cross-entropy objective) or an evaluation (a network's output) on one whole
// batch at a time. The weights are read where they are at every call, so an
// optimiser (training/, tweedie/train/Optimizer.h) updates them in place
// between steps.
//
// The description comes from the compiler in memory (compileTraining,
// compileEvaluation); it is verified (module::verifyModule) before anything
// runs. It runs on the CPU backend or, for a description compiled with the
// CUDA kernels (TrainingCompileOptions::cudaKernels), on the first NVIDIA
// GPU (cuda::BatchProgram): the weights stay here either way, so the same
// optimiser and checkpoints serve both.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_BATCHEXECUTOR_H
#define TWEEDIE_BATCHEXECUTOR_H

#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tweedie {

enum class BatchDevice { Cpu, Cuda };

class BatchExecutor {
public:
  /// Throws io::FormatError when `desc` is not a consistent training step or
  /// evaluation, std::invalid_argument for a batch below 1 or an op the
  /// device's backend cannot run on whole batches (naming it), and for Cuda
  /// std::runtime_error when there is no GPU ("device 'cuda' is not
  /// available: ...") or a library fails.
  BatchExecutor(module::ModuleDesc desc, int64_t batch, BatchDevice device = BatchDevice::Cpu);
  ~BatchExecutor();
  BatchExecutor(BatchExecutor &&) noexcept;
  BatchExecutor &operator=(BatchExecutor &&) noexcept;

  int64_t batch() const;

  size_t numParameters() const;
  const std::string &parameterName(size_t k) const;
  const std::vector<int64_t> &parameterShape(size_t k) const;
  /// The weights themselves: what the optimiser updates between steps.
  std::span<float> parameter(size_t k);
  /// The gradient of parameter k after the last run.
  std::span<const float> gradient(size_t k) const;

  /// A training step on batch x sampleNumel `data` (and, for a classifier,
  /// batch x numClasses() one-hot `labels`), noise keyed by (seed, row,
  /// step); returns the loss. Throws std::runtime_error on a non-finite loss.
  double run(const float *data, uint64_t seed, int64_t step, const float *labels = nullptr);
  /// K for a classifier's step, 0 for a score network's.
  int64_t numClasses() const;

  /// An evaluation: the network's batch x outputShape() result on `data`,
  /// valid until the next call.
  std::span<const float> evaluate(const float *data);
  std::vector<int64_t> outputShape() const;

  /// Where the time of the calls since enableProfile() went, per op kind
  /// ("conv2d_grad_filter"; a generated kernel counts as "kernel").
  struct OpTime {
    std::string kind;
    double seconds = 0;
    int64_t calls = 0;
  };
  struct Profile {
    std::vector<OpTime> byKind; ///< slowest first
    int64_t reorders = 0;       ///< oneDNN layout reorders run by the ops
    int64_t runs = 0;           ///< steps or evaluations covered
  };
  /// Starts (or restarts) timing each op; a call pays two clock reads per op.
  /// On Cuda the ops run asynchronously and are not timed: the profile stays
  /// empty.
  void enableProfile();
  Profile profile() const;

private:
  struct Impl; // the CPU backend's frame and kernels (runtime/src/cpu), or the GPU's program
  std::unique_ptr<Impl> impl_;
};

} // namespace tweedie

#endif
