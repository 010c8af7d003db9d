//===- ElementwiseKernels.cpp - activations and arithmetic on CUDA --------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <cmath>
#include <numbers>
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

/// [t, frequencies?]: one embedding row per time. Sinusoidal frequencies
/// (in turns per unit time) are the op's table; Fourier ones its operand.
std::unique_ptr<DeviceOpKernel> timeEmbedding(const module::OpDesc &op) {
  const auto e = module::TimeEmbeddingAttrs::read(op);
  LayerKernel k{LayerKernel::Kind::TimeEmbedding};
  k.fourier = op.operands.size() > 1 && op.operands[1] >= 0;
  auto launch = [name = k.name(), dim = e.dim](const DeviceOpArgs &args, CUdeviceptr f) {
    CUdeviceptr out = args.out(), t = args.in(0);
    int64_t n = args.outCount(), d = dim;
    args.launcher.launch(name, n, {&out, &t, &f, &n, &d});
  };
  if (k.fourier)
    return deviceKernelOf([launch](const DeviceOpArgs &args) { launch(args, args.in(1)); });
  const int64_t half = e.dim / 2;
  std::vector<double> turns(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) // the CPU's exp(-log(P) j / half), over 2 pi
    turns[static_cast<size_t>(j)] =
        std::exp(-std::log(e.maxPeriod) * static_cast<double>(j) / static_cast<double>(half)) /
        (2.0 * std::numbers::pi);
  return tableKernelOf(std::move(turns), launch);
}

/// [x]: sums over the op's axes of the full shape (kept as size 1), one
/// thread per result element.
void reduceSum(const DeviceOpArgs &args) {
  const std::vector<int64_t> shape = args.frame.fullShape(args.op.operands[0]);
  const auto axes = module::IntListAttr::read(args.op).values;
  const size_t rank = shape.size();
  std::vector<int64_t> sizes = shape, reducedSizes(rank, 1), strides(rank);
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  for (int64_t axis : axes) {
    reducedSizes[static_cast<size_t>(axis)] = shape[static_cast<size_t>(axis)];
    sizes[static_cast<size_t>(axis)] = 1;
  }
  // Padded to the kernel's rank with leading ones (their strides unread).
  const size_t r = module::kGatherRank;
  auto padded = [&](std::vector<int64_t> v, int64_t fill) {
    v.insert(v.begin(), r - v.size(), fill);
    return v;
  };
  std::vector<int64_t> scalars = padded(sizes, 1), more = padded(strides, 0);
  scalars.insert(scalars.end(), more.begin(), more.end());
  more = padded(reducedSizes, 1);
  scalars.insert(scalars.end(), more.begin(), more.end());
  more = padded(strides, 0);
  scalars.insert(scalars.end(), more.begin(), more.end());
  CUdeviceptr out = args.out(), x = args.in(0);
  int64_t n = args.outCount();
  std::vector<void *> params = {&out, &x, &n};
  for (int64_t &v : scalars)
    params.push_back(&v);
  args.launcher.launch(LayerKernel{LayerKernel::Kind::ReduceSum}.name(), n, params);
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
  case OpKind::TimeEmbedding:
    return timeEmbedding(s.op);
  case OpKind::ReduceSum: {
    const size_t rank = s.desc.values[s.op.operands[0]].shape.size() +
                        (s.desc.values[s.op.operands[0]].kind == module::ValueKind::Arena);
    if (rank > module::kGatherRank)
      throw std::invalid_argument("reduce_sum of more than " +
                                  std::to_string(module::kGatherRank) + " axes");
    return deviceKernelOf(reduceSum);
  }
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
