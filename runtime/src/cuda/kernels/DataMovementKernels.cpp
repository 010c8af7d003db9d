//===- DataMovementKernels.cpp - transposes, resampling, copies on CUDA ---===//
//
// Most are the gather kernel (out[i] = x[digits of i . strides]) or a
// driver copy: a transpose permutes the strides, nearest upsampling by s
// reads [N, C, H, s, W, s] with strides [CHW, HW, W, 0, 1, 0], a broadcast
// has zero strides, a slice starts at its first element, a concatenation is
// one 2-D copy per input. Average pooling has its own kernel.
//
//===----------------------------------------------------------------------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <stdexcept>

namespace tweedie::cuda {

using module::LayerKernel;
using module::OpKind;

namespace {

void gather(const DeviceOpArgs &args, std::vector<int64_t> sizes,
            std::vector<int64_t> strides) {
  args.launcher.strided(LayerKernel{LayerKernel::Kind::Gather}.name(), args.out(),
                        {args.in(0)}, args.outCount(), std::move(sizes), {std::move(strides)});
}

/// [x] with ints the permutation (the batch axis included).
void transpose(const DeviceOpArgs &args) {
  const std::vector<int64_t> x = args.frame.fullShape(args.op.operands[0]);
  std::vector<int64_t> strides(x.size(), 1), sizes, reads;
  for (size_t k = x.size() - 1; k-- > 0;)
    strides[k] = strides[k + 1] * x[k + 1];
  for (int64_t axis : args.op.ints) {
    sizes.push_back(x[static_cast<size_t>(axis)]);
    reads.push_back(strides[static_cast<size_t>(axis)]);
  }
  gather(args, sizes, reads);
}

/// [x [C, H, W]] by the integer factor.
void upsample(const DeviceOpArgs &args) {
  const std::vector<int64_t> &x = args.storedShape(0);
  const int64_t f = module::IntAttr::read(args.op).value, c = x[0], h = x[1], w = x[2];
  gather(args, {args.frame.rows, c, h, f, w, f}, {c * h * w, h * w, w, 0, 1, 0});
}

/// [x] with ints {axis, offset, size} (the batch axis included): x read from
/// its first kept element with its own strides.
void slice(const DeviceOpArgs &args) {
  const auto s = module::AxisRangeAttrs::read(args.op);
  const std::vector<int64_t> x = args.frame.fullShape(args.op.operands[0]);
  std::vector<int64_t> strides(x.size(), 1);
  for (size_t k = x.size() - 1; k-- > 0;)
    strides[k] = strides[k + 1] * x[k + 1];
  const CUdeviceptr first =
      args.in(0) + static_cast<CUdeviceptr>(s.first * strides[static_cast<size_t>(s.axis)] * 4);
  args.launcher.strided(LayerKernel{LayerKernel::Kind::Gather}.name(), args.out(), {first},
                        args.outCount(), args.frame.fullShape(args.op.result), {strides});
}

/// [x [C, H, W]]: the window means.
void avgPool(const DeviceOpArgs &args) {
  const auto p = module::AvgPoolAttrs::read(args.op);
  const std::vector<int64_t> &x = args.storedShape(0);
  const std::vector<int64_t> &y = args.frame.desc.values[args.op.result].shape;
  CUdeviceptr out = args.out(), in = args.in(0);
  int64_t n = args.outCount(), height = x[1], width = x[2], outHeight = y[1], outWidth = y[2];
  int64_t kh = p.kernel[0], kw = p.kernel[1], sh = p.stride[0], sw = p.stride[1];
  args.launcher.launch(LayerKernel{LayerKernel::Kind::AvgPool}.name(), n,
                       {&out, &in, &n, &height, &width, &outHeight, &outWidth, &kh, &kw, &sh,
                        &sw});
}

/// [x, like]: x broadcast to like's shape.
void broadcast(const DeviceOpArgs &args) {
  const std::vector<int64_t> shape = args.frame.fullShape(args.op.result);
  gather(args, shape, broadcastStrides(args.frame, args.op.operands[0], shape));
}

/// [inputs...] along ints[0] (the batch axis included): [outer, chunk_j]
/// blocks side by side, one 2-D copy per input.
void concat(const DeviceOpArgs &args) {
  const int64_t axis = module::IntAttr::read(args.op).value;
  const std::vector<int64_t> full = args.frame.fullShape(args.op.result);
  int64_t outer = 1;
  for (int64_t k = 0; k < axis; ++k)
    outer *= full[static_cast<size_t>(k)];
  const int64_t total = args.outCount() / outer;
  int64_t offset = 0;
  for (size_t i = 0; i < args.op.operands.size(); ++i) {
    const int64_t chunk = args.frame.count(args.op.operands[i]) / outer;
    args.launcher.context.copyRowsAsync(args.out() + offset * 4, total * 4, args.in(i),
                                        chunk * 4, chunk * 4, outer, args.launcher.stream);
    offset += chunk;
  }
}

/// [x] with ints {axis, before, after} (the batch axis included): zeros,
/// then x's [outer, size inner] blocks copied into the middle of out's
/// [outer, (before + size + after) inner] as one 2-D copy.
void pad(const DeviceOpArgs &args) {
  const auto p = module::AxisRangeAttrs::read(args.op);
  const std::vector<int64_t> x = args.frame.fullShape(args.op.operands[0]);
  const auto axis = static_cast<size_t>(p.axis);
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < axis; ++k)
    outer *= x[k];
  for (size_t k = axis + 1; k < x.size(); ++k)
    inner *= x[k];
  const int64_t block = x[axis] * inner, width = (p.first + x[axis] + p.second) * inner;
  Context &gpu = args.launcher.context;
  gpu.zeroAsync(args.out(), static_cast<size_t>(args.outCount()), args.launcher.stream);
  gpu.copyRowsAsync(args.out() + static_cast<CUdeviceptr>(p.first * inner * 4), width * 4,
                    args.in(0), block * 4, block * 4, outer, args.launcher.stream);
}

void copy(const DeviceOpArgs &args) {
  args.launcher.context.copyAsync(args.out(), args.in(0),
                                  static_cast<size_t>(args.outCount()) * sizeof(float),
                                  args.launcher.stream);
}

} // namespace

std::unique_ptr<DeviceOpKernel> prepareDataMovementDeviceKernel(const DeviceKernelSetup &s) {
  const size_t rank = s.desc.values[s.op.result].shape.size();
  switch (s.op.kind) {
  case OpKind::Transpose:
    return deviceKernelOf(transpose);
  case OpKind::Upsample:
    if (s.desc.values[s.op.operands[0]].shape.size() != 3)
      throw std::invalid_argument("upsample of other than [C, H, W] samples");
    return deviceKernelOf(upsample);
  case OpKind::Broadcast:
    if (rank >= module::kGatherRank)
      throw std::invalid_argument("broadcast of more than " +
                                  std::to_string(module::kGatherRank) + " axes");
    return deviceKernelOf(broadcast);
  case OpKind::Concat:
    return deviceKernelOf(concat);
  case OpKind::Slice:
    if (rank >= module::kGatherRank)
      throw std::invalid_argument("slice of more than " + std::to_string(module::kGatherRank) +
                                  " axes");
    return deviceKernelOf(slice);
  case OpKind::AvgPool:
    if (s.desc.values[s.op.operands[0]].shape.size() != 3)
      throw std::invalid_argument("avg_pool of other than [C, H, W] samples");
    return deviceKernelOf(avgPool);
  case OpKind::Copy:
    return deviceKernelOf(copy);
  case OpKind::Pad:
    return deviceKernelOf(pad);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
