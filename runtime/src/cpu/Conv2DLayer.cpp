//===- Conv2DLayer.cpp ------------------------------------------------------===//
#include "cpu/Conv2DLayer.h"

#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

namespace tweedie::cpu {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

namespace {

memory::dims weightDims(const Conv2DShape &s) {
  if (s.groups == 1)
    return {s.outChannels, s.inChannels, s.kernelH, s.kernelW};
  return {s.groups, s.outChannels / s.groups, s.inChannels / s.groups, s.kernelH,
          s.kernelW};
}

memory::desc activation(int64_t batch, int64_t channels, int64_t h, int64_t w,
                        tag layout = tag::nchw) {
  return memory::desc({batch, channels, h, w}, f32, layout);
}

/// The convolution of a batch with the residual (if any) summed into the
/// destination, its activations in `src` and `dst` (tag::any: oneDNN picks).
dnnl::convolution_forward::primitive_desc
describe(CpuContext &context, const Conv2DShape &s, int64_t batch, const memory::desc &weights,
         bool bias, const Epilogue &epilogue, tag src, tag dst) {
  memory::desc biasDesc = bias ? memory::desc({s.outChannels}, f32, tag::x) : memory::desc();
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      activation(batch, s.inChannels, s.height, s.width, src), weights, biasDesc,
      activation(batch, s.outChannels, s.outHeight(), s.outWidth(), dst),
      {s.stride[0], s.stride[1]}, {s.padding[0], s.padding[1]}, {s.padding[0], s.padding[1]});
  return dnnl::convolution_forward::primitive_desc(desc, epilogueAttrSummingDst(epilogue),
                                                   context.engine);
}

/// Channels-last activations convolved without reorders where oneDNN has a
/// direct kernel for them (brgconv on AVX-512, jit on AVX2): im2col + GEMM or
/// the reference kernel would lose more than the reorders cost. Otherwise
/// (and for NCHW) the layouts oneDNN prefers.
dnnl::convolution_forward::primitive_desc
describePreferred(CpuContext &context, const Conv2DShape &s, int64_t batch,
                  const memory::desc &weights, bool bias, const Epilogue &epilogue) {
  if (s.inputChannelsLast && s.outputChannelsLast) {
    auto pd = describe(context, s, batch, weights, bias, epilogue, tag::nhwc, tag::nhwc);
    const std::string impl = pd.impl_info_str();
    if (impl.find("gemm") == std::string::npos && impl.find("ref") == std::string::npos)
      return pd;
  }
  return describe(context, s, batch, weights, bias, epilogue, tag::any, tag::any);
}

tag userTag(bool channelsLast) { return channelsLast ? tag::nhwc : tag::nchw; }
} // namespace

/// The convolution of one batch size, and the reorders between the plain
/// activations and its layouts (absent where they agree).
struct Conv2DLayer::Plan {
  dnnl::convolution_forward conv;
  memory::desc plainSrc, plainDst, src, dst;
  std::optional<dnnl::reorder> toSrc, toDst, fromDst;
};

Conv2DLayer::Conv2DLayer(CpuContext &context, const Conv2DShape &shape,
                         std::span<const float> weights, std::span<const float> bias,
                         Epilogue epilogue, int64_t layoutBatch)
    : shape_(shape), epilogue_(epilogue) {
  const int64_t expected =
      shape.outChannels * (shape.inChannels / shape.groups) * shape.kernelH * shape.kernelW;
  if (shape.groups < 1 || shape.inChannels % shape.groups ||
      shape.outChannels % shape.groups || static_cast<int64_t>(weights.size()) != expected ||
      (!bias.empty() && static_cast<int64_t>(bias.size()) != shape.outChannels) ||
      shape.outHeight() < 1 || shape.outWidth() < 1)
    throw std::invalid_argument("conv2d layer: " + std::to_string(weights.size()) +
                                " weights do not fit the described convolution (expected " +
                                std::to_string(expected) + ")");
  const int64_t batch = std::max<int64_t>(layoutBatch, 1);
  const memory::desc anyWeights(weightDims(shape), f32, tag::any);
  auto pd = describePreferred(context, shape, batch, anyWeights, !bias.empty(), epilogue);
  packedWeights_ = prepack(
      context,
      memory::desc(weightDims(shape), f32, shape.groups == 1 ? tag::oihw : tag::goihw),
      weights.data(), pd.weights_desc());
  if (!bias.empty())
    bias_ = ownedCopy(context, memory::desc({shape.outChannels}, f32, tag::x), bias);
}

Conv2DLayer::~Conv2DLayer() = default;

Conv2DLayer::Plan &Conv2DLayer::plan(CpuContext &context, int64_t batch) {
  std::lock_guard lock(plansMutex_);
  std::unique_ptr<Plan> &slot = plans_[batch];
  if (slot)
    return *slot;
  const Conv2DShape &s = shape_;
  // The weights were packed for the layout batch's layouts; another batch
  // size keeps them, and oneDNN picks the activation layouts that go with them.
  const bool bias = static_cast<bool>(bias_);
  auto pd = describePreferred(context, s, batch, packedWeights_.get_desc(), bias, epilogue_);
  auto plan = std::make_unique<Plan>(
      Plan{dnnl::convolution_forward(pd),
           activation(batch, s.inChannels, s.height, s.width, userTag(s.inputChannelsLast)),
           activation(batch, s.outChannels, s.outHeight(), s.outWidth(),
                      userTag(s.outputChannelsLast)),
           pd.src_desc(), pd.dst_desc(), {}, {}, {}});
  if (plan->src != plan->plainSrc)
    plan->toSrc.emplace(dnnl::reorder::primitive_desc(context.engine, plan->plainSrc,
                                                      context.engine, plan->src));
  if (plan->dst != plan->plainDst) {
    plan->toDst.emplace(dnnl::reorder::primitive_desc(context.engine, plan->plainDst,
                                                      context.engine, plan->dst));
    plan->fromDst.emplace(dnnl::reorder::primitive_desc(context.engine, plan->dst,
                                                        context.engine, plan->plainDst));
  }
  slot = std::move(plan);
  return *slot;
}

void Conv2DLayer::run(CpuContext &context, int64_t batch, const float *x, float *y,
                      const float *residual, const float *bias) {
  if (epilogue_.residual != (residual != nullptr))
    throw std::invalid_argument("conv2d layer: residual given/expected mismatch");
  Plan &p = plan(context, batch);
  memory plainSrc(p.plainSrc, context.engine, const_cast<float *>(x));
  memory plainDst(p.plainDst, context.engine, y);
  memory src = plainSrc, dst = plainDst;
  if (p.toSrc) {
    src = memory(p.src, context.engine,
                 context.staging(CpuContext::Staging::Input, p.src.get_size()));
    context.reorder(*p.toSrc, plainSrc, src);
  }
  if (p.fromDst)
    dst = memory(p.dst, context.engine,
                 context.staging(CpuContext::Staging::Output, p.dst.get_size()));
  if (residual) {
    // The sum post-op adds what the destination holds: put the residual there.
    memory plainResidual(p.plainDst, context.engine, const_cast<float *>(residual));
    if (p.toDst)
      context.reorder(*p.toDst, plainResidual, dst);
    else if (residual != y)
      std::memcpy(y, residual, p.plainDst.get_size());
  }
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, packedWeights_}, {DNNL_ARG_DST, dst}};
  if (bias_)
    args[DNNL_ARG_BIAS] = biasArg(context, bias_, bias);
  context.execute(p.conv, std::move(args));
  if (p.fromDst) {
    context.reorder(*p.fromDst, dst, plainDst);
    context.stream.wait();
  }
}

} // namespace tweedie::cpu
