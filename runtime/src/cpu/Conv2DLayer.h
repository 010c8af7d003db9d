//===- Conv2DLayer.h - y = act(conv(x, W) + b) + residual, NCHW ----------===//
#ifndef TWEEDIE_RUNTIME_CPU_CONV2DLAYER_H
#define TWEEDIE_RUNTIME_CPU_CONV2DLAYER_H

#include "cpu/CpuContext.h"
#include "tweedie/module/OpAttrs.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <span>

namespace tweedie::cpu {

struct Conv2DShape {
  int64_t inChannels, outChannels, height, width; // input spatial size
  int64_t kernelH, kernelW;
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0};
  int64_t groups = 1;
  /// How the caller stores the activations: NCHW, or NHWC (channels last,
  /// module/Layout.h) for the input and for the output (and residual).
  bool inputChannelsLast = false, outputChannelsLast = false;
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

/// A convolution of NCHW or NHWC activations with weights prepacked once into
/// oneDNN's preferred layout. NHWC activations are convolved as they are
/// when oneDNN has a direct kernel for them; otherwise (and for NCHW, which
/// leaves only im2col + GEMM) the convolution runs in the layouts oneDNN
/// prefers (blocked nChw8c / nChw16c), reordering its input, output and
/// residual at its edges. One plan per batch size, built on first use.
class Conv2DLayer {
public:
  /// `weights` [out, in/groups, kh, kw], `bias` [out] or empty; the weights
  /// are packed for the layouts a batch of `layoutBatch` runs fastest in.
  Conv2DLayer(CpuContext &context, const Conv2DShape &shape, std::span<const float> weights,
              std::span<const float> bias, Epilogue epilogue, int64_t layoutBatch);
  ~Conv2DLayer();

  void run(CpuContext &context, int64_t batch, const float *x, float *y,
           const float *residual = nullptr, const float *bias = nullptr);

  const Conv2DShape &shape() const { return shape_; }

private:
  struct Plan;
  Plan &plan(CpuContext &context, int64_t batch);

  Conv2DShape shape_;
  Epilogue epilogue_;
  dnnl::memory packedWeights_, bias_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;
  std::mutex plansMutex_;
};

} // namespace tweedie::cpu

#endif
