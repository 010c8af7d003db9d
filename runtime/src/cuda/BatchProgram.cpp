//===- BatchProgram.cpp -----------------------------------------------------===//
#include "cuda/BatchProgram.h"
#include "tweedie/Error.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tweedie::cuda {

const module::ModuleDesc &BatchProgram::checked(const module::ModuleDesc &desc, int64_t batch) {
  if (!desc.training)
    throw std::invalid_argument("the module is a sampler, not a training step or evaluation");
  if (batch < 1)
    throw std::invalid_argument("batch size " + std::to_string(batch) + " is not positive");
  module::verifyModule(desc, "training step");
  return desc;
}

BatchProgram::BatchProgram(module::ModuleDesc desc, int64_t batch, const Availability &gpus,
                           const BlasAvailability &blas, const DnnAvailability &dnn)
    : desc_(std::move(desc)), batch_(batch), resources_(checked(desc_, batch), gpus, blas, dnn),
      arena_(resources_.context, std::max<int64_t>(batch * desc_.arenaBytesPerSample, 256)),
      whole_(resources_.context, std::max<int64_t>(desc_.training->wholeBytes, 256)),
      scratch_(resources_.context, std::max<size_t>(resources_.prepare(batch), 256)),
      gradients_(desc_.training->parameters.size()) {}

BatchProgram::~BatchProgram() = default;

void BatchProgram::runBody(const float *data, const float *labels, uint64_t seed,
                           int64_t step) {
  const int32_t l = desc_.training->labels;
  if ((l >= 0) != (labels != nullptr))
    throw std::invalid_argument(l >= 0 ? "this step trains a classifier: it needs labels"
                                       : "this step takes no labels");
  const DeviceFrame frame{desc_, resources_.constants, arena_.pointer, batch_, step,
                          seed,  0,                    scratch_.pointer, whole_.pointer};
  Context &context = resources_.context;
  context.upload(frame.pointer(desc_.state), data,
                 static_cast<size_t>(frame.count(desc_.state)) * sizeof(float));
  if (labels)
    context.upload(frame.pointer(l), labels, static_cast<size_t>(frame.count(l)) * sizeof(float));
  resources_.queueBody(frame);
  context.synchronize(resources_.stream);
}

void BatchProgram::download(int32_t value, std::vector<float> &to) {
  const DeviceFrame frame{desc_, resources_.constants, arena_.pointer, batch_, 0,
                          0,     0,                    scratch_.pointer, whole_.pointer};
  to.resize(static_cast<size_t>(frame.count(value)));
  resources_.context.download(to.data(), frame.pointer(value), to.size() * sizeof(float));
}

double BatchProgram::run(const float *data, uint64_t seed, int64_t step, const float *labels) {
  if (desc_.training->loss < 0)
    throw std::invalid_argument("this is an evaluation, not a training step");
  for (int32_t k : desc_.training->parameters)
    resources_.uploadConstant(static_cast<size_t>(k));
  runBody(data, labels, seed, step);
  std::vector<float> loss;
  download(desc_.training->loss, loss);
  if (!std::isfinite(loss[0]))
    throw Error(ErrorKind::Numeric, "the loss is " + std::to_string(loss[0]) + " at step " +
                                        std::to_string(step) +
                                        " on the GPU (a diverging network: lower the learning "
                                        "rate or clip gradients)");
  for (size_t k = 0; k < gradients_.size(); ++k)
    download(desc_.training->gradients[k], gradients_[k]);
  return loss[0];
}

std::span<const float> BatchProgram::evaluate(const float *data) {
  if (desc_.training->output < 0)
    throw std::invalid_argument("this is a training step, not an evaluation");
  runBody(data, nullptr, 0, 0);
  download(desc_.training->output, output_);
  return output_;
}

} // namespace tweedie::cuda
