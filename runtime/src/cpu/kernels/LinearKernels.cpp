//===- LinearKernels.cpp - dense, conv2d and their gradients --------------===//
//
// Under the sampler loop the weights are constants: oneDNN layers with the
// weights prepacked once, bias, activation and residual fused as post-ops.
// On whole batches the weights are trainable and read where they are at
// every call, and the epilogue runs after the product, as score.dense
// defines it and its VJP differentiates it: act(z) + residual.
//
//===----------------------------------------------------------------------===//
#include "cpu/ConvolutionTraining.h"
#include "cpu/Conv2DLayer.h"
#include "cpu/DenseLayer.h"
#include "cpu/Elementwise.h"
#include "cpu/GradientKernels.h"
#include "cpu/OpKernel.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

namespace {

/// act(z) + residual in place, z the op's result.
void applyEpilogue(const OpArgs &args) {
  float *out = args.out();
  const int64_t count = args.outCount();
  if (args.op.act != Activation::None)
    activateAll(args.op.act, out, out, count);
  if (const float *residual = args.in(3))
    for (int64_t i = 0; i < count; ++i)
      out[i] += residual[i];
}

Epilogue epilogueOf(const KernelSetup &setup) {
  return {setup.op.act, setup.operand(3) >= 0};
}

/// The convolution of a conv2d op or of one of its gradients, whose forward
/// input is `input` and weight `weight` (per-sample [C, H, W], [O, C/g, KH, KW]).
Conv2DShape convolutionShape(const KernelSetup &setup, const Dims &input, const Dims &weight) {
  return Conv2DShape::fromModule(input, weight, module::Conv2DAttrs::read(setup.op));
}

/// How the forward convolution's input and output lie (module/Layout.h).
Conv2DShape withLayouts(Conv2DShape shape, bool input, bool output) {
  shape.inputChannelsLast = input;
  shape.outputChannelsLast = output;
  return shape;
}

class PrepackedDense final : public OpKernel {
public:
  explicit PrepackedDense(const KernelSetup &s)
      : layer_(s.context, s.storedShape(1)[0], s.storedShape(1)[1],
               s.constantData(s.operand(1)), s.constantData(s.operand(2)), epilogueOf(s)) {}
  void run(const OpArgs &a) override {
    const Dims &x = a.storedShape(0);
    const int64_t rowsPerSample = x.empty() ? 1 : product(x) / x.back();
    layer_.run(a.frame.context, a.frame.batch * rowsPerSample, a.in(0), a.out(), a.in(3),
               a.tableRow(2));
  }

private:
  DenseLayer layer_;
};

class PrepackedConv2D final : public OpKernel {
public:
  explicit PrepackedConv2D(const KernelSetup &s)
      : layer_(s.context,
               withLayouts(convolutionShape(s, s.storedShape(0), s.storedShape(1)),
                           s.channelsLast(0), s.outChannelsLast()),
               s.constantData(s.operand(1)), s.constantData(s.operand(2)), epilogueOf(s),
               s.batch) {}
  void run(const OpArgs &a) override {
    layer_.run(a.frame.context, a.frame.batch, a.in(0), a.out(), a.in(3), a.tableRow(2));
  }

private:
  Conv2DLayer layer_;
};

/// The forward convolution's shapes, checked: `input` and `output` per
/// sample ([C, H, W]), `weight` [O, C/g, KH, KW].
Conv2DShape checkedShape(const KernelSetup &s, const Dims &input, const Dims &output,
                         const Dims &weight) {
  const std::string name = module::opKindName(s.op.kind);
  if (input.size() != 3 || output.size() != 3 || weight.size() != 4)
    throw std::invalid_argument(name + " is not of 4-D tensors");
  const Conv2DShape shape = convolutionShape(s, input, weight);
  if (shape.outHeight() != output[1] || shape.outWidth() != output[2] ||
      output[0] != weight[0])
    throw std::invalid_argument(name + "'s shapes do not agree");
  return shape;
}

/// A whole-batch convolution (forward or a gradient) of the forward
/// convolution input -> output with `weight`.
class TrainableConvolution final : public OpKernel {
public:
  /// `input`, `output` and `weight` of the forward convolution, with how its
  /// input and output lie.
  TrainableConvolution(const KernelSetup &s, const Dims &input, const Dims &output,
                       const Dims &weight, bool inputChannelsLast, bool outputChannelsLast)
      : conv_(s.context,
              withLayouts(checkedShape(s, input, output, weight), inputChannelsLast,
                          outputChannelsLast),
              s.batch) {}
  void run(const OpArgs &a) override {
    CpuContext &context = a.frame.context;
    switch (a.op.kind) {
    case module::OpKind::Conv2D:
      conv_.forward(context, a.in(0), a.in(1), a.in(2), a.out());
      applyEpilogue(a);
      break;
    case module::OpKind::Conv2DBackwardData:
      conv_.backwardData(context, a.in(0), a.in(1), a.out());
      break;
    default: // Conv2DBackwardWeight
      conv_.backwardWeights(context, a.in(0), a.in(1), a.out());
      break;
    }
  }

private:
  TrainableConv2D conv_;
};

} // namespace

std::unique_ptr<OpKernel> prepareDenseKernel(const KernelSetup &setup) {
  if (setup.driver == Driver::Sampler)
    return std::make_unique<PrepackedDense>(setup);
  // The weight may be a whole value (a gradient's transpose): read at run time.
  return kernelOf([](const OpArgs &a) {
    const Dims x = a.shape(0), w = a.shape(1);
    matmul(a.in(0), a.in(1), a.in(2), a.out(), product(x) / w[0], w[0], w[1]);
    applyEpilogue(a);
  });
}

std::unique_ptr<OpKernel> prepareConv2DKernel(const KernelSetup &setup) {
  if (setup.driver == Driver::Sampler)
    return std::make_unique<PrepackedConv2D>(setup);
  return std::make_unique<TrainableConvolution>(
      setup, setup.storedShape(0), setup.desc.values[setup.op.result].shape, setup.storedShape(1),
      setup.channelsLast(0), setup.outChannelsLast());
}

/// [grad, weight] -> the input's cotangent, shaped as the forward input.
std::unique_ptr<OpKernel> prepareConv2DBackwardDataKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return std::make_unique<TrainableConvolution>(
      setup, setup.desc.values[setup.op.result].shape, setup.storedShape(0), setup.storedShape(1),
      setup.outChannelsLast(), setup.channelsLast(0));
}

/// [input, grad] -> the weight's cotangent, summed over the batch.
std::unique_ptr<OpKernel> prepareConv2DBackwardWeightKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return std::make_unique<TrainableConvolution>(
      setup, setup.storedShape(0), setup.storedShape(1), setup.desc.values[setup.op.result].shape,
      setup.channelsLast(0), setup.channelsLast(1));
}

std::unique_ptr<OpKernel> prepareOuterSumKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return kernelOf([](const OpArgs &a) {
    const Dims lhs = a.shape(0), rhs = a.shape(1);
    const int64_t m = lhs.back(), n = rhs.back();
    matmul(a.in(0), a.in(1), nullptr, a.out(), m, product(lhs) / m, n, /*transposeX=*/true);
  });
}

} // namespace tweedie::cpu
