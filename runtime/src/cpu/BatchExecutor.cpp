//===- BatchExecutor.cpp - the CPU backend's whole-batch driver -----------===//
//
// Per-example values live in a [batch x arena] buffer, batch-free values
// (weight gradients, the loss) in a buffer of their own, and the trainable
// constants are read where they are: the kernel registry's whole-batch
// kernels (cpu/OpKernel.h) run the body once per call. On Cuda every call
// goes to the GPU's whole-batch driver instead (cuda/BatchProgram.h), which
// holds the description and its weights.
//
//===----------------------------------------------------------------------===//
#include "tweedie/BatchExecutor.h"
#include "cpu/CpuContext.h"
#include "cpu/OpKernel.h"
#include "cpu/OpProfile.h"
#include "cuda/BatchProgram.h"
#include "tweedie/Error.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace tweedie {

struct BatchExecutor::Impl {
  module::ModuleDesc desc;
  int64_t batch;
  std::vector<float> arena, whole;
  cpu::CpuContext context;
  std::vector<std::unique_ptr<cpu::OpKernel>> kernels;
  std::optional<cpu::OpProfile> profile; ///< set by enableProfile()
  int64_t reordersAtStart = 0;
  std::unique_ptr<cuda::BatchProgram> gpu; ///< Cuda: runs everything, holds `desc`

  /// The description with the weights the next call reads.
  module::ModuleDesc &current() { return gpu ? gpu->desc() : desc; }

  /// The frame of one call: noise keyed by (seed, row, step).
  cpu::Frame frame(uint64_t seed, int64_t step) {
    return cpu::Frame{desc, context, arena.data(), whole.data(), batch, step, seed, 0};
  }
  float *pointer(int32_t value) { return frame(0, 0).pointer(value); }

  void load(const float *data, const float *labels) {
    const int64_t width = desc.sampleNumel();
    std::memcpy(pointer(desc.state), data, static_cast<size_t>(batch * width) * sizeof(float));
    module::checkBatchLabels(desc, labels);
    const int32_t l = desc.training->labels;
    if (labels)
      std::memcpy(pointer(l), labels,
                  static_cast<size_t>(batch * desc.values[l].numel()) * sizeof(float));
  }

  void runBody(uint64_t seed, int64_t step) {
    const cpu::Frame f = frame(seed, step);
    if (!profile) {
      for (size_t i = 0; i < desc.body.size(); ++i)
        kernels[i]->run(cpu::OpArgs{f, desc.body[i]});
      return;
    }
    for (size_t i = 0; i < desc.body.size(); ++i) {
      const module::OpDesc &op = desc.body[i];
      const auto start = std::chrono::steady_clock::now();
      kernels[i]->run(cpu::OpArgs{f, op});
      profile->add(cpu::OpProfile::kindOf(op),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                       .count());
    }
    ++profile->bodyRuns;
  }
};

BatchExecutor::BatchExecutor(module::ModuleDesc desc, int64_t batch, BatchDevice device)
    : impl_(new Impl{device == BatchDevice::Cpu ? std::move(desc) : module::ModuleDesc{},
                     batch}) {
  Impl &s = *impl_;
  if (device == BatchDevice::Cuda) {
    const cuda::Availability &gpus = cuda::availability();
    if (gpus.devices.empty())
      throw std::runtime_error("device 'cuda' is not available: " + gpus.why);
    s.gpu = std::make_unique<cuda::BatchProgram>(std::move(desc), batch, gpus,
                                                 cuda::blasAvailability(),
                                                 cuda::dnnAvailability());
    return;
  }
  module::verifyBatchModule(s.desc, s.batch);
  for (const module::OpDesc &op : s.desc.body)
    s.kernels.push_back(
        cpu::prepareKernel({s.desc, op, cpu::Driver::WholeBatch, s.context, s.batch}));
  s.arena.assign(static_cast<size_t>(s.batch * s.desc.arenaBytesPerSample / 4), 0.0f);
  s.whole.assign(static_cast<size_t>(s.desc.training->wholeBytes / 4), 0.0f);
}

BatchExecutor::~BatchExecutor() = default;
BatchExecutor::BatchExecutor(BatchExecutor &&) noexcept = default;
BatchExecutor &BatchExecutor::operator=(BatchExecutor &&) noexcept = default;

int64_t BatchExecutor::batch() const { return impl_->batch; }

size_t BatchExecutor::numParameters() const {
  return impl_->current().training->parameters.size();
}

const std::string &BatchExecutor::parameterName(size_t k) const {
  const module::ModuleDesc &d = impl_->current();
  return d.constants[d.training->parameters[k]].name;
}

const std::vector<int64_t> &BatchExecutor::parameterShape(size_t k) const {
  const module::ModuleDesc &d = impl_->current();
  return d.constants[d.training->parameters[k]].shape;
}

std::span<float> BatchExecutor::parameter(size_t k) {
  module::ModuleDesc &d = impl_->current();
  return d.constants[d.training->parameters[k]].data;
}

std::span<const float> BatchExecutor::gradient(size_t k) const {
  if (impl_->gpu)
    return impl_->gpu->gradient(k);
  const int32_t v = impl_->desc.training->gradients[k];
  return {impl_->pointer(v), static_cast<size_t>(impl_->desc.values[v].numel())};
}

int64_t BatchExecutor::numClasses() const {
  const module::ModuleDesc &d = impl_->current();
  const int32_t l = d.training->labels;
  return l >= 0 ? d.values[l].numel() : 0;
}

std::span<const float> BatchExecutor::evaluate(const float *data) {
  Impl &s = *impl_;
  if (s.current().training->output < 0)
    throw std::invalid_argument("this is a training step, not an evaluation");
  if (s.gpu)
    return s.gpu->evaluate(data);
  s.load(data, nullptr);
  s.runBody(0, 0);
  const int32_t out = s.desc.training->output;
  return {s.pointer(out), static_cast<size_t>(s.batch * s.desc.values[out].numel())};
}

std::vector<int64_t> BatchExecutor::outputShape() const {
  const module::ModuleDesc &d = impl_->current();
  const int32_t out = d.training->output;
  return out >= 0 ? d.values[out].shape : std::vector<int64_t>{};
}

double BatchExecutor::run(const float *data, uint64_t seed, int64_t step, const float *labels) {
  Impl &s = *impl_;
  if (s.current().training->loss < 0)
    throw std::invalid_argument("this is an evaluation, not a training step");
  if (s.gpu)
    return s.gpu->run(data, seed, step, labels);
  s.load(data, labels);
  s.runBody(seed, step);
  const double loss = *s.pointer(s.desc.training->loss);
  if (!std::isfinite(loss))
    throw Error(ErrorKind::Numeric, "the loss is " + std::to_string(loss) + " at step " +
                             std::to_string(step) +
                             " (a diverging network: lower the learning rate or clip "
                             "gradients)");
  return loss;
}

void BatchExecutor::enableProfile() {
  if (impl_->gpu)
    return;
  impl_->profile.emplace();
  impl_->reordersAtStart = impl_->context.reorders;
}

BatchExecutor::Profile BatchExecutor::profile() const {
  Profile out;
  if (!impl_->profile)
    return out;
  for (const auto &[kind, entry] : impl_->profile->byKind)
    out.byKind.push_back({kind, entry.seconds, entry.calls});
  std::sort(out.byKind.begin(), out.byKind.end(),
            [](const OpTime &a, const OpTime &b) { return a.seconds > b.seconds; });
  out.reorders = impl_->context.reorders - impl_->reordersAtStart;
  out.runs = impl_->profile->bodyRuns;
  return out;
}

} // namespace tweedie
