//===- NormalizationKernels.cpp - group norm on CUDA ----------------------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

namespace tweedie::cuda {

using module::LayerKernel;

namespace {

/// [x [C, ...], gamma, beta]: the statistics kernel (mean and rstd per (row,
/// group), in the request's scratch), then the apply kernel with the act.
class GroupNormKernel final : public DeviceOpKernel {
public:
  explicit GroupNormKernel(const DeviceKernelSetup &s)
      : attrs_(module::GroupNormAttrs::read(s.op)) {}

  size_t prepare(int64_t rows, Launcher &) override {
    return static_cast<size_t>(2 * rows * attrs_.groups) * sizeof(float);
  }

  void run(const DeviceOpArgs &args) override {
    const int64_t rows = args.frame.rows;
    int64_t n = args.outCount(), channels = args.storedShape(0)[0];
    int64_t inner = n / (rows * channels), groups = attrs_.groups, plain = 0;
    int64_t stats = rows * groups;
    float epsilon = static_cast<float>(attrs_.epsilon);
    CUdeviceptr out = args.out(), in = args.in(0), gamma = args.in(1), beta = args.in(2);
    CUdeviceptr mean = args.frame.scratch;
    CUdeviceptr rstd = mean + static_cast<CUdeviceptr>(stats * sizeof(float));
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupStats}.name(), stats,
                         {&mean, &rstd, &in, &stats, &channels, &inner, &groups, &plain,
                          &epsilon});
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupNorm, args.op.act}.name(), n,
                         {&out, &in, &mean, &rstd, &gamma, &beta, &n, &channels, &inner,
                          &groups, &plain});
  }

private:
  module::GroupNormAttrs attrs_;
};

} // namespace

std::unique_ptr<DeviceOpKernel> prepareNormalizationDeviceKernel(const DeviceKernelSetup &s) {
  if (s.op.kind == module::OpKind::GroupNorm)
    return std::make_unique<GroupNormKernel>(s);
  return nullptr;
}

} // namespace tweedie::cuda
