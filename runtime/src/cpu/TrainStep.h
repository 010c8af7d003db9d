//===- TrainStep.h - one training step of a network on the CPU -----------===//
//
// Runs a TrainingDesc (what the compiler makes of a DSM objective and its
// gradient) on a whole batch at once: per-example values live in a
// [batch x arena] buffer, batch-free values (weight gradients, the loss) in
// a buffer of their own, and the trainable constants are read where they
// are, so an optimiser updates them in place between steps.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_TRAINSTEP_H
#define TWEEDIE_RUNTIME_CPU_TRAINSTEP_H

#include "cpu/CpuContext.h"
#include "cpu/OpKernel.h"
#include "tweedie/module/ModuleDesc.h"

#include <memory>

#include <span>
#include <string>
#include <vector>

namespace tweedie::cpu {

class TrainStep {
public:
  /// Throws io::FormatError when `desc` is not a consistent training step
  /// (module::verifyModule), std::invalid_argument for a batch size below 1
  /// or an op the CPU backend cannot run on whole batches.
  TrainStep(module::ModuleDesc desc, int64_t batch);

  int64_t batch() const { return batch_; }
  size_t numParameters() const { return desc_.training->parameters.size(); }
  const std::string &parameterName(size_t k) const;
  const std::vector<int64_t> &parameterShape(size_t k) const;
  /// The weights themselves: what the optimiser updates between steps.
  std::span<float> parameter(size_t k);
  /// The gradient of parameter k after the last run.
  std::span<const float> gradient(size_t k) const;

  /// Runs the step on batch x sampleNumel `data` (and, for a classifier,
  /// batch x numClasses() one-hot `labels`), noise keyed by (seed, row,
  /// step); returns the loss. Throws std::runtime_error on a non-finite loss.
  double run(const float *data, uint64_t seed, int64_t step, const float *labels = nullptr);
  /// K for a classifier's step, 0 for a score network's.
  int64_t numClasses() const;

  /// An evaluation (a network on one batch): its batch x outputShape()
  /// result, valid until the next call.
  std::span<const float> evaluate(const float *data);
  std::vector<int64_t> outputShape() const;

private:
  /// The frame of one call: noise keyed by (seed, row, step).
  Frame frame(uint64_t seed, int64_t step) const;
  float *pointer(int32_t value);
  const float *pointer(int32_t value) const;
  void load(const float *data, const float *labels);
  void runBody(uint64_t seed, int64_t step);

  module::ModuleDesc desc_;
  int64_t batch_;
  std::vector<float> arena_, whole_;
  mutable CpuContext context_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;
};

} // namespace tweedie::cpu

#endif
