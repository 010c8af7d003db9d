//===- ConvolutionTraining.cpp ----------------------------------------------===//
#include "cpu/ConvolutionTraining.h"
#include "cpu/RowInvariantGemm.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

namespace {

memory::desc any(const memory::desc &d) { return memory::desc(d.dims(), f32, tag::any); }

/// The activations' layout for the primitives. On AVX-512, nhwc gets
/// brgconv forward and faster jit backward passes than the blocked layout
/// `any` picks (a unet28 step 0.58 -> 0.56 s); on AVX2 nChw8c stays ahead
/// (0.71 s against 0.74 with nhwc).
memory::desc activations(const memory::desc &d) {
  return memory::desc(d.dims(), f32, gemmIsa() == GemmIsa::Avx512 ? tag::nhwc : tag::any);
}

memory::desc weightsDesc(const Conv2DShape &s) {
  if (s.groups == 1)
    return memory::desc({s.outChannels, s.inChannels, s.kernelH, s.kernelW}, f32, tag::oihw);
  return memory::desc({s.groups, s.outChannels / s.groups, s.inChannels / s.groups, s.kernelH,
                       s.kernelW},
                      f32, tag::goihw);
}

memory bound(const memory::desc &desc, CpuContext &context, const float *data) {
  return memory(desc, context.engine, const_cast<float *>(data));
}

/// The context's staging buffers hold the activation, result and weights (or
/// their cotangents) in the primitives' layouts. They live in the context, not
/// the layer: the step's 80-odd convolution primitives run one at a time, and
/// a copy per primitive held about 600 MB at batch 64.
using Staging = CpuContext::Staging;

/// `user` data in the layout a primitive wants: itself when the layouts
/// agree, else reordered into the context's staging buffer `slot`.
memory stagedIn(CpuContext &context, ReorderCache &reorders, const memory::desc &user,
                const float *data, const memory::desc &wanted, Staging slot) {
  memory plain = bound(user, context, data);
  if (wanted == user)
    return plain;
  memory staging(wanted, context.engine, context.staging(slot, wanted.get_size()));
  reorders.run(context, plain, staging);
  return staging;
}

/// Writes `result` to the caller's `user`-layout buffer (a copy only when
/// the layouts differ: an equal layout was bound to the buffer itself).
void unstage(CpuContext &context, ReorderCache &reorders, memory &result,
             const memory::desc &user, float *data) {
  if (result.get_data_handle() == data)
    return;
  reorders.run(context, result, bound(user, context, data));
  context.stream.wait();
}

/// Where a primitive writes a result: the caller's buffer when the layouts
/// agree, else the staging buffer `slot` (reordered out by unstage after the
/// primitive ran).
memory stagedOut(CpuContext &context, const memory::desc &user, float *data,
                 const memory::desc &wanted, Staging slot) {
  if (wanted == user)
    return bound(user, context, data);
  return memory(wanted, context.engine, context.staging(slot, wanted.get_size()));
}

} // namespace

TrainableConv2D::TrainableConv2D(CpuContext &context, const Conv2DShape &shape, int64_t batch)
    : shape_(shape) {
  if (shape.groups < 1 || shape.inChannels % shape.groups || shape.outChannels % shape.groups ||
      shape.outHeight() < 1 || shape.outWidth() < 1 || batch < 1)
    throw std::invalid_argument("conv2d: " + std::to_string(shape.inChannels) + " -> " +
                                std::to_string(shape.outChannels) + " channels in " +
                                std::to_string(shape.groups) + " groups at " +
                                std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                                " is not a convolution");
  src_ = memory::desc({batch, shape.inChannels, shape.height, shape.width}, f32,
                      shape.inputChannelsLast ? tag::nhwc : tag::nchw);
  dst_ = memory::desc({batch, shape.outChannels, shape.outHeight(), shape.outWidth()}, f32,
                      shape.outputChannelsLast ? tag::nhwc : tag::nchw);
  weights_ = weightsDesc(shape);
  bias_ = memory::desc({shape.outChannels}, f32, tag::x);
  zeroBias_.assign(static_cast<size_t>(shape.outChannels), 0.0f);
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, activations(src_),
      any(weights_), bias_, activations(dst_), {shape.stride[0], shape.stride[1]}, {shape.padding[0], shape.padding[1]},
      {shape.padding[0], shape.padding[1]});
  forwardDesc_ =
      dnnl::convolution_forward::primitive_desc(desc, withUserScratchpad(), context.engine);
  forward_ = dnnl::convolution_forward(forwardDesc_);
}

void TrainableConv2D::forward(CpuContext &context, const float *x, const float *w,
                              const float *bias, float *y) {
  // The primitive always adds a bias; a bias-free convolution adds zeros.
  if (!bias)
    bias = zeroBias_.data();
  const auto &pd = forwardDesc_;
  memory dst = stagedOut(context, dst_, y, pd.dst_desc(), Staging::Output);
  context.execute(
      forward_,
      {{DNNL_ARG_SRC, stagedIn(context, reorders_, src_, x, pd.src_desc(), Staging::Input)},
       {DNNL_ARG_WEIGHTS,
        stagedIn(context, reorders_, weights_, w, pd.weights_desc(), Staging::Weights)},
       {DNNL_ARG_BIAS, bound(bias_, context, bias)},
       {DNNL_ARG_DST, dst}});
  unstage(context, reorders_, dst, dst_, y);
}

void TrainableConv2D::backwardData(CpuContext &context, const float *dy, const float *w,
                                   float *dx) {
  if (!backwardData_) {
    dnnl::convolution_backward_data::desc desc(
        dnnl::algorithm::convolution_direct, activations(src_), any(weights_), activations(dst_),
        {shape_.stride[0], shape_.stride[1]}, {shape_.padding[0], shape_.padding[1]},
        {shape_.padding[0], shape_.padding[1]});
    backwardDataDesc_ = dnnl::convolution_backward_data::primitive_desc(
        desc, withUserScratchpad(), context.engine, forwardDesc_);
    backwardData_.emplace(backwardDataDesc_);
  }
  const auto &pd = backwardDataDesc_;
  memory diffSrc = stagedOut(context, src_, dx, pd.diff_src_desc(), Staging::Input);
  context.execute(
      *backwardData_,
      {{DNNL_ARG_DIFF_DST,
        stagedIn(context, reorders_, dst_, dy, pd.diff_dst_desc(), Staging::Output)},
       {DNNL_ARG_WEIGHTS,
        stagedIn(context, reorders_, weights_, w, pd.weights_desc(), Staging::Weights)},
       {DNNL_ARG_DIFF_SRC, diffSrc}});
  unstage(context, reorders_, diffSrc, src_, dx);
}

void TrainableConv2D::backwardWeights(CpuContext &context, const float *x, const float *dy,
                                      float *dw) {
  if (!backwardWeights_) {
    dnnl::convolution_backward_weights::desc desc(
        dnnl::algorithm::convolution_direct, activations(src_), any(weights_), activations(dst_),
        {shape_.stride[0], shape_.stride[1]}, {shape_.padding[0], shape_.padding[1]},
        {shape_.padding[0], shape_.padding[1]});
    backwardWeightsDesc_ = dnnl::convolution_backward_weights::primitive_desc(
        desc, withUserScratchpad(), context.engine, forwardDesc_);
    backwardWeights_.emplace(backwardWeightsDesc_);
  }
  const auto &pd = backwardWeightsDesc_;
  memory diffWeights =
      stagedOut(context, weights_, dw, pd.diff_weights_desc(), Staging::Weights);
  context.execute(
      *backwardWeights_,
      {{DNNL_ARG_SRC, stagedIn(context, reorders_, src_, x, pd.src_desc(), Staging::Input)},
       {DNNL_ARG_DIFF_DST,
        stagedIn(context, reorders_, dst_, dy, pd.diff_dst_desc(), Staging::Output)},
       {DNNL_ARG_DIFF_WEIGHTS, diffWeights}});
  unstage(context, reorders_, diffWeights, weights_, dw);
}

} // namespace tweedie::cpu
