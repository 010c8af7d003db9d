//===- Conv2DLayer.cpp ------------------------------------------------------===//
#include "cpu/Conv2DLayer.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

namespace {

constexpr int64_t kLayoutBatch = 16;

memory::dims weightDims(const Conv2DShape &s) {
  if (s.groups == 1)
    return {s.outChannels, s.inChannels, s.kernelH, s.kernelW};
  return {s.groups, s.outChannels / s.groups, s.inChannels / s.groups, s.kernelH,
          s.kernelW};
}

memory::desc activation(int64_t batch, int64_t channels, int64_t h, int64_t w) {
  return memory::desc({batch, channels, h, w}, f32, tag::nchw);
}

dnnl::convolution_forward::primitive_desc
describe(CpuContext &context, const Conv2DShape &s, int64_t batch,
         const memory::desc &weights, bool bias, const Epilogue &epilogue) {
  memory::desc src = activation(batch, s.inChannels, s.height, s.width);
  memory::desc dst = activation(batch, s.outChannels, s.outHeight(), s.outWidth());
  memory::desc biasDesc = bias ? memory::desc({s.outChannels}, f32, tag::x) : memory::desc();
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
      weights, biasDesc, dst, {s.stride[0], s.stride[1]}, {s.padding[0], s.padding[1]},
      {s.padding[0], s.padding[1]});
  return dnnl::convolution_forward::primitive_desc(desc, epilogueAttr(epilogue, dst),
                                                   context.engine);
}
} // namespace

Conv2DLayer::Conv2DLayer(CpuContext &context, const Conv2DShape &shape,
                         std::span<const float> weights, std::span<const float> bias,
                         Epilogue epilogue)
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
  auto pd = describe(context, shape, kLayoutBatch,
                     memory::desc(weightDims(shape), f32, tag::any), !bias.empty(), epilogue);
  packedWeights_ = prepack(
      context,
      memory::desc(weightDims(shape), f32, shape.groups == 1 ? tag::oihw : tag::goihw),
      weights.data(), pd.weights_desc());
  if (!bias.empty())
    bias_ = ownedCopy(context, memory::desc({shape.outChannels}, f32, tag::x), bias);
}

void Conv2DLayer::run(CpuContext &context, int64_t batch, const float *x, float *y,
                      const float *residual, const float *bias) {
  if (epilogue_.residual != (residual != nullptr))
    throw std::invalid_argument("conv2d layer: residual given/expected mismatch");
  const Conv2DShape &s = shape_;
  memory src(activation(batch, s.inChannels, s.height, s.width), context.engine,
             const_cast<float *>(x));
  memory::desc dstDesc = activation(batch, s.outChannels, s.outHeight(), s.outWidth());
  memory dst(dstDesc, context.engine, y);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, packedWeights_}, {DNNL_ARG_DST, dst}};
  if (bias_)
    args[DNNL_ARG_BIAS] = biasArg(context, bias_, bias);
  if (residual)
    addResidualArg(args, epilogue_,
                   memory(dstDesc, context.engine, const_cast<float *>(residual)));
  context.execute(primitives_.get(batch,
                                  [&] {
                                    return describe(context, shape_, batch,
                                                    packedWeights_.get_desc(),
                                                    static_cast<bool>(bias_), epilogue_);
                                  }),
                  std::move(args));
}

} // namespace tweedie::cpu
