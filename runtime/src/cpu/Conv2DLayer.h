//===- Conv2DLayer.h - y = act(conv(x, W) + b) + residual, NCHW ----------===//
#ifndef TWEEDIE_RUNTIME_CPU_CONV2DLAYER_H
#define TWEEDIE_RUNTIME_CPU_CONV2DLAYER_H

#include "cpu/CpuContext.h"
#include "tweedie/module/OpAttrs.h"

#include <array>
#include <span>

namespace tweedie::cpu {

struct Conv2DShape {
  int64_t inChannels, outChannels, height, width; // input spatial size
  int64_t kernelH, kernelW;
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0};
  int64_t groups = 1;
  int64_t outHeight() const { return (height + 2 * padding[0] - kernelH) / stride[0] + 1; }
  int64_t outWidth() const { return (width + 2 * padding[1] - kernelW) / stride[1] + 1; }

  /// A module op's convolution: `image` [C, H, W] (a sample's input), `weight`
  /// [O, C/groups, KH, KW] and its attributes.
  static Conv2DShape fromModule(std::span<const int64_t> image, std::span<const int64_t> weight,
                                const module::Conv2DAttrs &attrs) {
    Conv2DShape s{image[0], weight[0], image[1], image[2], weight[2], weight[3]};
    s.stride = attrs.stride;
    s.padding = attrs.padding;
    s.groups = attrs.groups;
    return s;
  }
};

/// A convolution on plain NCHW activations with weights prepacked once into
/// oneDNN's preferred layout. Primitives are cached per batch size.
class Conv2DLayer {
public:
  /// `weights` [out, in/groups, kh, kw], `bias` [out] or empty.
  Conv2DLayer(CpuContext &context, const Conv2DShape &shape, std::span<const float> weights,
              std::span<const float> bias, Epilogue epilogue);

  void run(CpuContext &context, int64_t batch, const float *x, float *y,
           const float *residual = nullptr, const float *bias = nullptr);

  const Conv2DShape &shape() const { return shape_; }

private:

  Conv2DShape shape_;
  Epilogue epilogue_;
  dnnl::memory packedWeights_, bias_;
  PrimitiveCache<dnnl::convolution_forward> primitives_;

};

} // namespace tweedie::cpu

#endif
