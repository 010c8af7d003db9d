//===- ElementwiseKernels.cpp - activations and arithmetic on CUDA --------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <stdexcept>

namespace tweedie::cuda {

using module::LayerKernel;
using module::OpKind;

namespace {

/// [x]: act(x), the epilogue kernel without bias or residual.
void act(const DeviceOpArgs &args) {
  CUdeviceptr out = args.out(), x = args.in(0);
  int64_t n = args.outCount(), one = 1;
  args.launcher.launch(LayerKernel{LayerKernel::Kind::Epilogue, args.op.act}.name(), n,
                       {&out, &x, &n, &one, &one});
}

/// [lhs, rhs]: + or x with NumPy broadcasting.
void binary(const DeviceOpArgs &args) {
  LayerKernel k{LayerKernel::Kind::Broadcast};
  k.binary = args.op.kind == OpKind::Add ? LayerKernel::Binary::Add : LayerKernel::Binary::Mul;
  const std::vector<int64_t> shape = args.frame.fullShape(args.op.result);
  args.launcher.strided(k.name(), args.out(), {args.in(0), args.in(1)}, args.outCount(), shape,
                        {broadcastStrides(args.frame, args.op.operands[0], shape),
                         broadcastStrides(args.frame, args.op.operands[1], shape)});
}

/// [x, grad]: grad f'(x) (or f'' for order 2).
void actGrad(const DeviceOpArgs &args) {
  LayerKernel k{LayerKernel::Kind::ActGrad, args.op.act};
  k.order = static_cast<int>(module::IntAttr::read(args.op).value);
  CUdeviceptr out = args.out(), x = args.in(0), grad = args.in(1);
  int64_t n = args.outCount();
  args.launcher.launch(k.name(), n, {&out, &x, &grad, &n});
}

/// [x]: factor x + shift.
void scale(const DeviceOpArgs &args) {
  const auto attrs = module::ScaleAttrs::read(args.op);
  CUdeviceptr out = args.out(), x = args.in(0);
  int64_t n = args.outCount();
  float factor = static_cast<float>(attrs.factor), shift = static_cast<float>(attrs.shift);
  args.launcher.launch(LayerKernel{LayerKernel::Kind::Scale}.name(), n,
                       {&out, &x, &n, &factor, &shift});
}

} // namespace

std::unique_ptr<DeviceOpKernel> prepareElementwiseDeviceKernel(const DeviceKernelSetup &s) {
  switch (s.op.kind) {
  case OpKind::Act:
    return deviceKernelOf(act);
  case OpKind::Add:
  case OpKind::Mul:
    if (s.desc.values[s.op.result].shape.size() >= module::kGatherRank)
      throw std::invalid_argument(std::string(module::opKindName(s.op.kind)) +
                                  " of more than " + std::to_string(module::kGatherRank) +
                                  " axes");
    return deviceKernelOf(binary);
  case OpKind::ActGrad:
    return deviceKernelOf(actGrad);
  case OpKind::Scale:
    return deviceKernelOf(scale);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
