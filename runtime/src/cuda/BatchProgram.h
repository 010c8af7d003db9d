//===- BatchProgram.h - a training step or evaluation on a GPU ------------===//
//
// The CUDA backend's whole-batch driver, BatchExecutor's counterpart
// (tweedie/BatchExecutor.h): the body runs once per call on one batch, its
// per-example values in a device arena (value-major, as the sampler's), its
// batch-free values (weight gradients, the loss) in a buffer of their own.
// The weights stay the module's host constants, which an optimiser on the
// host updates between steps: a step uploads the trained ones first, so the
// checkpoints are the CPU's by construction. Host<->device copies happen at
// the call's edges only (the batch in; the loss and gradients, or the
// output, out).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_BATCHPROGRAM_H
#define TWEEDIE_RUNTIME_CUDA_BATCHPROGRAM_H

#include "cuda/ProgramResources.h"
#include "tweedie/module/ModuleDesc.h"

#include <span>
#include <vector>

namespace tweedie::cuda {

class BatchProgram {
public:
  /// `desc` (a TrainingDesc's module) on `gpus`' first GPU for batches of
  /// `batch`. Throws as ProgramResources does, and std::invalid_argument
  /// for a sampler module or a batch below 1.
  BatchProgram(module::ModuleDesc desc, int64_t batch, const Availability &gpus,
               const BlasAvailability &blas, const DnnAvailability &dnn);
  ~BatchProgram();
  BatchProgram(const BatchProgram &) = delete;
  BatchProgram &operator=(const BatchProgram &) = delete;

  /// The module; its trained constants are what the next step uploads.
  module::ModuleDesc &desc() { return desc_; }
  int64_t batch() const { return batch_; }

  /// A training step on batch x sampleNumel `data` (and one-hot `labels`
  /// for a classifier), noise keyed by (seed, row, step): returns the loss;
  /// gradient(k) holds parameter k's gradient after it. Throws
  /// tweedie::Error (Numeric) on a non-finite loss.
  double run(const float *data, uint64_t seed, int64_t step, const float *labels = nullptr);
  std::span<const float> gradient(size_t k) const { return gradients_[k]; }

  /// An evaluation: the network's batch x output numel result on `data`,
  /// valid until the next call.
  std::span<const float> evaluate(const float *data);

private:
  static const module::ModuleDesc &checked(const module::ModuleDesc &desc, int64_t batch);
  /// Where this program's values lie in a call keyed by (seed, step).
  DeviceFrame frame(uint64_t seed, int64_t step) const;
  /// Uploads the batch, queues the body, waits for it.
  void runBody(const float *data, const float *labels, uint64_t seed, int64_t step);
  void download(int32_t value, std::vector<float> &to);

  module::ModuleDesc desc_;
  int64_t batch_;
  ProgramResources resources_;
  DeviceBuffer arena_, whole_, scratch_;
  std::vector<std::vector<float>> gradients_;
  std::vector<float> output_;
};

} // namespace tweedie::cuda

#endif
