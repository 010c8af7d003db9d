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

#include "cpu/ConvolutionTraining.h"
#include "cpu/CpuContext.h"
#include "tweedie/module/ModuleDesc.h"

#include <map>
#include <memory>

#include <span>
#include <string>
#include <vector>

namespace tweedie::cpu {

class TrainStep {
public:
  /// Throws std::invalid_argument when `desc` is not a consistent training
  /// step (an index, shape or op it cannot run).
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
  float *pointer(int32_t value);
  const float *pointer(int32_t value) const;
  std::vector<int64_t> fullShape(int32_t value) const;
  void load(const float *data, const float *labels);
  void runOp(size_t index, const module::OpDesc &op, uint64_t seed, int64_t step);
  /// The oneDNN convolution of op `index` (a conv2d or one of its
  /// gradients), whose forward input is `input` and result `output`.
  TrainableConv2D &convolution(size_t index, const module::OpDesc &op,
                               const std::vector<int64_t> &input,
                               const std::vector<int64_t> &output,
                               const std::vector<int64_t> &weight);
  void check() const;

  module::ModuleDesc desc_;
  int64_t batch_;
  std::vector<float> arena_, whole_;
  CpuContext context_;
  std::map<size_t, std::unique_ptr<TrainableConv2D>> convolutions_;
};

} // namespace tweedie::cpu

#endif
