//===- ConvolutionTraining.h - conv2d and its gradients for training ------===//
//
// A training step's convolutions read their weights where the optimiser left
// them at each call, so nothing is prepacked: oneDNN's forward, backward-data
// and backward-weights primitives run on plain NCHW activations and
// (G)OIHW weights at one batch size, reordered to and from the blocked
// layouts oneDNN's direct (JIT) kernels want in the context's staging buffers.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_CONVOLUTIONTRAINING_H
#define TWEEDIE_RUNTIME_CPU_CONVOLUTIONTRAINING_H

#include "cpu/Conv2DLayer.h"
#include "cpu/CpuContext.h"

#include <optional>
#include <vector>

namespace tweedie::cpu {

class TrainableConv2D {
public:
  /// Throws std::invalid_argument when the shape is not a convolution.
  TrainableConv2D(CpuContext &context, const Conv2DShape &shape, int64_t batch);

  /// y = conv(x, w) + bias (bias may be null).
  void forward(CpuContext &context, const float *x, const float *w, const float *bias,
               float *y);
  /// dx: the input cotangent of y's cotangent dy (a transposed convolution).
  void backwardData(CpuContext &context, const float *dy, const float *w, float *dx);
  /// dw: the weight cotangent, summed over the batch.
  void backwardWeights(CpuContext &context, const float *x, const float *dy, float *dw);

private:
  Conv2DShape shape_;
  dnnl::memory::desc src_, weights_, dst_, bias_;
  std::vector<float> zeroBias_; // the bias of a bias-free convolution
  dnnl::convolution_forward::primitive_desc forwardDesc_;
  dnnl::convolution_forward forward_;
  dnnl::convolution_backward_data::primitive_desc backwardDataDesc_;
  dnnl::convolution_backward_weights::primitive_desc backwardWeightsDesc_;
  std::optional<dnnl::convolution_backward_data> backwardData_;
  std::optional<dnnl::convolution_backward_weights> backwardWeights_;
  ReorderCache reorders_; // between the caller's plain layouts and the primitives'
};

} // namespace tweedie::cpu

#endif
