//===- LinearKernels.cpp - dense and conv2d (and their gradients) on CUDA -===//
//
// The heavy part is the library's (cuBLASLt's matmul, cuDNN's convolution);
// bias, activation and residual follow in one epilogue kernel, since the
// libraries' epilogues lack SiLU and the residual.
//
//===----------------------------------------------------------------------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <cmath>
#include <stdexcept>

namespace tweedie::cuda {

using module::LayerKernel;
using module::OpKind;

void queueEpilogue(const DeviceOpArgs &args, int64_t channels, int64_t inner) {
  const bool bias = args.present(2), residual = args.present(3);
  if (!bias && !residual && args.op.act == module::Activation::None)
    return;
  int64_t n = args.outCount();
  CUdeviceptr out = args.out(), b = args.in(2), r = args.in(3);
  std::vector<void *> params = {&out, &out};
  if (bias)
    params.push_back(&b);
  if (residual)
    params.push_back(&r);
  params.insert(params.end(), {&n, &channels, &inner});
  args.launcher.launch(LayerKernel{LayerKernel::Kind::Epilogue, args.op.act, bias, residual}
                           .name(),
                       n, params);
}

namespace {

/// [x, w [in, out], bias?, residual?]: act(x w + bias) + residual.
void dense(const DeviceOpArgs &args) {
  const std::vector<int64_t> &w = args.storedShape(1);
  const int64_t in = w[0], features = w[1];
  Launcher &l = args.launcher;
  Gemm(l.blas, l.blasHandle, args.outCount() / features, in, features)
      .run(args.in(0), args.in(1), args.out(), l.stream);
  queueEpilogue(args, features, 1);
}

/// conv2d [x [C, H, W], w [K, C / groups, R, S], bias?, residual?] and its
/// backward passes, conv2d_backward_data [dy, w] -> dx and
/// conv2d_backward_weight [x, dy] -> dw (summed over the batch), NCHW:
/// cuDNN's plan for the request's batch size, made before the capture.
class Conv2DKernel final : public DeviceOpKernel {
public:
  Conv2DKernel(const DeviceKernelSetup &s, Convolution::Pass pass)
      : op_(s.op), desc_(s.desc), pass_(pass) {}

  size_t prepare(int64_t rows, Launcher &l) override {
    const auto c = module::Conv2DAttrs::read(op_);
    auto shape = [&](int32_t v) -> const std::vector<int64_t> & { return desc_.values[v].shape; };
    // The forward convolution's x, w and y, whichever this pass reads or writes.
    const int32_t a = op_.operands[0], b = op_.operands[1], out = op_.result;
    using P = Convolution::Pass;
    const std::vector<int64_t> &x = shape(pass_ == P::BackwardData ? out : a);
    const std::vector<int64_t> &w = shape(pass_ == P::BackwardFilter ? out : b);
    const std::vector<int64_t> &y =
        shape(pass_ == P::Forward ? out : pass_ == P::BackwardData ? a : b);
    plan_ = std::make_unique<Convolution>(
        *l.dnn, l.dnnHandle,
        Convolution::Shape{rows, x[0], x[1], x[2], w[0], w[2], w[3], y[1], y[2], c.stride,
                           c.padding, c.groups},
        pass_);
    return plan_->workspaceBytes();
  }

  void run(const DeviceOpArgs &args) override {
    plan_->run(args.in(0), args.in(1), args.out(), args.frame.scratch);
    if (pass_ != Convolution::Pass::Forward)
      return;
    const std::vector<int64_t> &y = args.frame.desc.values[args.op.result].shape; // [K, P, Q]
    queueEpilogue(args, y[0], y[1] * y[2]);
  }

private:
  const module::OpDesc &op_;
  const module::ModuleDesc &desc_;
  Convolution::Pass pass_;
  std::unique_ptr<Convolution> plan_;
};

/// [lhs [..., m], rhs [..., n]]: sum over all rows (the batch's included) of
/// lhs[r]^T rhs[r], a weight's gradient: lhs^T rhs with lhs transposed by
/// cuBLASLt.
void outerSum(const DeviceOpArgs &args) {
  const int64_t m = args.frame.fullShape(args.op.operands[0]).back();
  const int64_t n = args.frame.fullShape(args.op.operands[1]).back();
  const int64_t rows = args.frame.count(args.op.operands[0]) / m;
  Launcher &l = args.launcher;
  Gemm(l.blas, l.blasHandle, m, rows, n, /*transposeX=*/true)
      .run(args.in(0), args.in(1), args.out(), l.stream);
}

} // namespace

std::unique_ptr<DeviceOpKernel> prepareLinearDeviceKernel(const DeviceKernelSetup &s) {
  switch (s.op.kind) {
  case OpKind::Dense:
    return deviceKernelOf(dense);
  case OpKind::Conv2D:
  case OpKind::Conv2DBackwardData:
  case OpKind::Conv2DBackwardWeight: {
    if (!s.dnn.api)
      throw std::invalid_argument(std::string(module::opKindName(s.op.kind)) +
                                  " without cuDNN: " + s.dnn.why);
    using P = Convolution::Pass;
    return std::make_unique<Conv2DKernel>(s, s.op.kind == OpKind::Conv2D ? P::Forward
                                             : s.op.kind == OpKind::Conv2DBackwardData
                                                 ? P::BackwardData
                                                 : P::BackwardFilter);
  }
  case OpKind::OuterSum:
    return deviceKernelOf(outerSum);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
