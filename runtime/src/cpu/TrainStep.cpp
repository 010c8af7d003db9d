//===- TrainStep.cpp - the CPU executor of a training step
//-----------------===//
#include "cpu/TrainStep.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tweedie::cpu {

namespace {

[[noreturn]] void invalid(const std::string &what) {
  throw std::invalid_argument("invalid training step: " + what);
}

} // namespace

TrainStep::TrainStep(module::ModuleDesc desc, int64_t batch)
    : desc_(std::move(desc)), batch_(batch) {
  if (!desc_.training)
    invalid("the module is a sampler, not a training step");
  if (batch_ < 1)
    invalid("batch size " + std::to_string(batch_) + " is not positive");
  module::verifyModule(desc_, "training step");
  for (const module::OpDesc &op : desc_.body)
    kernels_.push_back(prepareKernel({desc_, op, Driver::WholeBatch, context_, batch_}));
  arena_.assign(static_cast<size_t>(batch_ * desc_.arenaBytesPerSample / 4), 0.0f);
  whole_.assign(static_cast<size_t>(desc_.training->wholeBytes / 4), 0.0f);
}

const std::string &TrainStep::parameterName(size_t k) const {
  return desc_.constants[desc_.training->parameters[k]].name;
}

const std::vector<int64_t> &TrainStep::parameterShape(size_t k) const {
  return desc_.constants[desc_.training->parameters[k]].shape;
}

std::span<float> TrainStep::parameter(size_t k) {
  return desc_.constants[desc_.training->parameters[k]].data;
}

std::span<const float> TrainStep::gradient(size_t k) const {
  const int32_t v = desc_.training->gradients[k];
  return {pointer(v), static_cast<size_t>(desc_.values[v].numel())};
}

Frame TrainStep::frame(uint64_t seed, int64_t step) const {
  return Frame{desc_, context_, const_cast<float *>(arena_.data()),
               const_cast<float *>(whole_.data()), batch_, step, seed, 0};
}

const float *TrainStep::pointer(int32_t index) const { return frame(0, 0).pointer(index); }

float *TrainStep::pointer(int32_t index) { return frame(0, 0).pointer(index); }

void TrainStep::runBody(uint64_t seed, int64_t step) {
  const Frame f = frame(seed, step);
  for (size_t i = 0; i < desc_.body.size(); ++i)
    kernels_[i]->run(OpArgs{f, desc_.body[i]});
}

void TrainStep::load(const float *data, const float *labels) {
  const int64_t width = desc_.sampleNumel();
  std::memcpy(pointer(desc_.state), data, static_cast<size_t>(batch_ * width) * sizeof(float));
  const int32_t l = desc_.training->labels;
  if ((l >= 0) != (labels != nullptr))
    throw std::invalid_argument(l >= 0 ? "this step trains a classifier: it needs labels"
                                       : "this step takes no labels");
  if (labels)
    std::memcpy(pointer(l), labels,
                static_cast<size_t>(batch_ * desc_.values[l].numel()) * sizeof(float));
}

int64_t TrainStep::numClasses() const {
  const int32_t l = desc_.training->labels;
  return l >= 0 ? desc_.values[l].numel() : 0;
}

std::span<const float> TrainStep::evaluate(const float *data) {
  if (desc_.training->output < 0)
    throw std::invalid_argument("this is a training step, not an evaluation");
  load(data, nullptr);
  runBody(0, 0);
  const int32_t out = desc_.training->output;
  return {pointer(out), static_cast<size_t>(batch_ * desc_.values[out].numel())};
}

std::vector<int64_t> TrainStep::outputShape() const {
  const int32_t out = desc_.training->output;
  return out >= 0 ? desc_.values[out].shape : std::vector<int64_t>{};
}

double TrainStep::run(const float *data, uint64_t seed, int64_t step, const float *labels) {
  if (desc_.training->loss < 0)
    throw std::invalid_argument("this is an evaluation, not a training step");
  load(data, labels);
  runBody(seed, step);
  const double loss = *pointer(desc_.training->loss);
  if (!std::isfinite(loss))
    throw std::runtime_error("the loss is " + std::to_string(loss) + " at step " +
                             std::to_string(step) +
                             " (a diverging network: lower the learning rate or clip "
                             "gradients)");
  return loss;
}

} // namespace tweedie::cpu
