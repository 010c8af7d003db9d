//===- BatchProgram.cpp -----------------------------------------------------===//
#include "cuda/BatchProgram.h"
#include "tweedie/Error.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tweedie::cuda {

const module::ModuleDesc &BatchProgram::checked(const module::ModuleDesc &desc, int64_t batch) {
  module::verifyBatchModule(desc, batch);
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

DeviceFrame BatchProgram::frame(uint64_t seed, int64_t step) const {
  return DeviceFrame{desc_, resources_.constants, arena_.pointer, batch_, step,
                     seed,  0,                    scratch_.pointer, whole_.pointer};
}

void BatchProgram::runBody(const float *data, const float *labels, uint64_t seed,
                           int64_t step) {
  module::checkBatchLabels(desc_, labels);
  const int32_t l = desc_.training->labels;
  const DeviceFrame f = frame(seed, step);
  Context &context = resources_.context;
  context.upload(f.pointer(desc_.state), data,
                 static_cast<size_t>(f.count(desc_.state)) * sizeof(float));
  if (labels)
    context.upload(f.pointer(l), labels, static_cast<size_t>(f.count(l)) * sizeof(float));
  resources_.queueBody(f);
  context.synchronize(resources_.stream);
}

void BatchProgram::download(int32_t value, std::vector<float> &to) {
  const DeviceFrame f = frame(0, 0);
  to.resize(static_cast<size_t>(f.count(value)));
  resources_.context.download(to.data(), f.pointer(value), to.size() * sizeof(float));
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
