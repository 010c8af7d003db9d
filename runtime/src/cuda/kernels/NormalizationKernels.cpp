//===- NormalizationKernels.cpp - group norm on CUDA ----------------------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

namespace tweedie::cuda {

using module::LayerKernel;

namespace {

/// [x [C, ...], gamma, beta]: the statistics kernel (mean and rstd per (row,
/// group), in the request's scratch), then the apply kernel with the act.
/// Layer norm is the same over the last axis: rows of D features, one group,
/// gamma and beta per feature.
class GroupNormKernel final : public DeviceOpKernel {
public:
  explicit GroupNormKernel(const DeviceKernelSetup &s) {
    if (s.op.kind == module::OpKind::LayerNorm) {
      layer_ = true;
      groups_ = 1;
      epsilon_ = module::LayerNormAttrs::read(s.op).epsilon;
      features_ = s.desc.values[s.op.operands[0]].shape.back();
    } else {
      const auto g = module::GroupNormAttrs::read(s.op);
      groups_ = g.groups;
      epsilon_ = g.epsilon;
    }
    perSample_ = s.desc.values[s.op.operands[0]].numel();
  }

  size_t prepare(int64_t rows, Launcher &) override {
    return static_cast<size_t>(2 * normRows(rows) * groups_) * sizeof(float);
  }

  void run(const DeviceOpArgs &args) override {
    const int64_t rows = normRows(args.frame.rows);
    int64_t n = args.outCount();
    int64_t channels = layer_ ? features_ : args.storedShape(0)[0];
    int64_t inner = n / (rows * channels), groups = groups_, plain = 0;
    int64_t stats = rows * groups;
    float epsilon = static_cast<float>(epsilon_);
    CUdeviceptr out = args.out(), in = args.in(0), gamma = args.in(1), beta = args.in(2);
    CUdeviceptr mean = args.frame.scratch;
    CUdeviceptr rstd = mean + static_cast<CUdeviceptr>(stats * sizeof(float));
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupStats}.name(), stats,
                         {&mean, &rstd, &in, &stats, &channels, &inner, &groups, &plain,
                          &epsilon});
    const module::Activation act = layer_ ? module::Activation::None : args.op.act;
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupNorm, act}.name(), n,
                         {&out, &in, &mean, &rstd, &gamma, &beta, &n, &channels, &inner,
                          &groups, &plain});
  }

private:
  /// The rows the statistics run over: samples, or for layer norm every
  /// position of every sample.
  int64_t normRows(int64_t samples) const {
    return layer_ ? samples * (perSample_ / features_) : samples;
  }

  bool layer_ = false;
  int64_t groups_ = 1, features_ = 1, perSample_ = 1;
  double epsilon_ = 1e-5;
};

} // namespace

std::unique_ptr<DeviceOpKernel> prepareNormalizationDeviceKernel(const DeviceKernelSetup &s) {
  if (s.op.kind == module::OpKind::GroupNorm || s.op.kind == module::OpKind::LayerNorm)
    return std::make_unique<GroupNormKernel>(s);
  return nullptr;
}

} // namespace tweedie::cuda
