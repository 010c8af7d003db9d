//===- TrainStep.cpp - the CPU executor of a training step
//-----------------===//
#include "cpu/TrainStep.h"
#include "cpu/AttentionLayer.h"
#include "cpu/GradientKernels.h"
#include "cpu/Normalization.h"
#include "tweedie/Noise.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tweedie::cpu {

using module::OpKind;
using module::ValueKind;

namespace {

int64_t product(const std::vector<int64_t> &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

[[noreturn]] void invalid(const std::string &what) {
  throw std::invalid_argument("invalid training step: " + what);
}

} // namespace

TrainStep::TrainStep(module::ModuleDesc desc, int64_t batch)
    : desc_(std::move(desc)), batch_(batch) {
  if (!desc_.training)
    invalid("the module is a sampler, not a training step");
  if (batch_ < 1)
    invalid("batch size " + std::to_string(batch_) + " is not positive");
  check();
  arena_.assign(static_cast<size_t>(batch_ * desc_.arenaBytesPerSample / 4), 0.0f);
  whole_.assign(static_cast<size_t>(desc_.training->wholeBytes / 4), 0.0f);
}

void TrainStep::check() const {
  const module::TrainingDesc &t = *desc_.training;
  const auto nValues = static_cast<int32_t>(desc_.values.size());
  auto value = [&](int32_t index, const std::string &what) -> const module::ValueDesc & {
    if (index < 0 || index >= nValues)
      invalid(what + " names value " + std::to_string(index) + " of " + std::to_string(nValues));
    return desc_.values[index];
  };
  for (const module::ValueDesc &v : desc_.values) {
    const int64_t bytes = product(v.shape) * 4;
    const bool inside =
        v.kind == ValueKind::Arena ? v.offset >= 0 && v.offset + bytes <= desc_.arenaBytesPerSample
        : v.kind == ValueKind::Whole ? v.offset >= 0 && v.offset + bytes <= t.wholeBytes
        : v.kind == ValueKind::Constant
            ? v.offset >= 0 && v.offset < static_cast<int64_t>(desc_.constants.size()) &&
                  static_cast<int64_t>(desc_.constants[v.offset].data.size()) == bytes / 4
            : false;
    if (!inside)
      invalid("a value lies outside its buffer or is of a kind training does "
              "not use");
  }
  const module::ValueDesc &data = value(desc_.state, "the data");
  if (data.kind != ValueKind::Arena || data.shape != desc_.sampleShape)
    invalid("the data value is not a per-example value of the sample shape");
  if ((t.loss >= 0) == (t.output >= 0))
    invalid("a step computes a loss or an evaluation an output, not both or neither");
  if (t.loss >= 0 && (value(t.loss, "the loss").kind == ValueKind::Arena ||
                      desc_.values[t.loss].shape != std::vector<int64_t>{1}))
    invalid("the loss is not one batch-free number");
  if (t.output >= 0 && value(t.output, "the output").kind != ValueKind::Arena)
    invalid("an evaluation's output is not a per-example value");
  if (t.output >= 0 && !t.parameters.empty())
    invalid("an evaluation trains nothing");
  if (t.labels >= 0 && value(t.labels, "the labels").kind != ValueKind::Arena)
    invalid("the labels are not a per-example value");
  if (t.parameters.size() != t.gradients.size())
    invalid("parameters and gradients differ in number");
  for (size_t k = 0; k < t.parameters.size(); ++k) {
    const int32_t c = t.parameters[k];
    if (c < 0 || c >= static_cast<int32_t>(desc_.constants.size()))
      invalid("parameter " + std::to_string(k) + " names no constant");
    if (value(t.gradients[k], "a gradient").shape != desc_.constants[c].shape)
      invalid("the gradient of '" + desc_.constants[c].name + "' has another shape");
  }
  for (const module::OpDesc &op : desc_.body) {
    for (int32_t operand : op.operands)
      if (operand >= 0)
        value(operand, std::string(module::opKindName(op.kind)) + "'s operand");
    if (value(op.result, "a result").kind == ValueKind::Constant)
      invalid(std::string(module::opKindName(op.kind)) + " writes a constant");
    if (op.kind == OpKind::AttentionGrad) {
      if (op.ints.size() != 4 || op.ints[0] < 1 || op.operands.size() != 4)
        invalid("attention_grad does not name its heads and three cotangents");
      for (size_t k = 1; k < 4; ++k)
        if (op.ints[k] >= 0 &&
            value(static_cast<int32_t>(op.ints[k]), "attention_grad's cotangent").shape !=
                desc_.values[op.operands[k - 1]].shape)
          invalid("attention_grad's cotangent " + std::to_string(k) +
                  " is not shaped as its primal");
    }
    if ((op.kind == OpKind::Conv2D || op.kind == OpKind::Conv2DBackwardData ||
         op.kind == OpKind::Conv2DBackwardWeight) &&
        op.ints.size() != 5)
      invalid(std::string(module::opKindName(op.kind)) + " does not carry its stride, padding "
                                                         "and groups");
    switch (op.kind) {
    case OpKind::Dense:
    case OpKind::Act:
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concat:
    case OpKind::Transpose:
    case OpKind::Copy:
    case OpKind::Randn:
    case OpKind::RandUniform:
    case OpKind::Interpolate:
    case OpKind::ReduceSum:
    case OpKind::Broadcast:
    case OpKind::ActGrad:
    case OpKind::OuterSum:
    case OpKind::Slice:
    case OpKind::Pad:
    case OpKind::TimeEmbedding:
    case OpKind::Conv2D:
    case OpKind::Conv2DBackwardData:
    case OpKind::Conv2DBackwardWeight:
    case OpKind::GroupNorm:
    case OpKind::Attention:
    case OpKind::AttentionGrad:
    case OpKind::Upsample:
    case OpKind::AvgPool:
      break;
    default:
      invalid(std::string("training steps cannot run ") + module::opKindName(op.kind) + " yet");
    }
  }
}

const std::string &TrainStep::parameterName(size_t k) const {
  return desc_.constants[desc_.training->parameters[k]].name;
}

const std::vector<int64_t> &TrainStep::parameterShape(size_t k) const {
  return desc_.constants[desc_.training->parameters[k]].shape;
}

std::span<float> TrainStep::parameter(size_t k) {
  return desc_.constants[desc_.training->parameters[k]].data;
}

std::span<const float> TrainStep::gradient(size_t k) const {
  const int32_t v = desc_.training->gradients[k];
  return {pointer(v), static_cast<size_t>(desc_.values[v].numel())};
}

const float *TrainStep::pointer(int32_t index) const {
  const module::ValueDesc &v = desc_.values[index];
  switch (v.kind) {
  case ValueKind::Arena:
    return arena_.data() + batch_ * v.offset / 4;
  case ValueKind::Whole:
    return whole_.data() + v.offset / 4;
  default:
    return desc_.constants[v.offset].data.data();
  }
}

float *TrainStep::pointer(int32_t index) {
  return const_cast<float *>(std::as_const(*this).pointer(index));
}

std::vector<int64_t> TrainStep::fullShape(int32_t index) const {
  const module::ValueDesc &v = desc_.values[index];
  std::vector<int64_t> s = v.shape;
  if (v.kind == ValueKind::Arena)
    s.insert(s.begin(), batch_);
  return s;
}

void TrainStep::load(const float *data, const float *labels) {
  const int64_t width = desc_.sampleNumel();
  std::memcpy(pointer(desc_.state), data, static_cast<size_t>(batch_ * width) * sizeof(float));
  const int32_t l = desc_.training->labels;
  if ((l >= 0) != (labels != nullptr))
    throw std::invalid_argument(l >= 0 ? "this step trains a classifier: it needs labels"
                                       : "this step takes no labels");
  if (labels)
    std::memcpy(pointer(l), labels,
                static_cast<size_t>(batch_ * desc_.values[l].numel()) * sizeof(float));
}

int64_t TrainStep::numClasses() const {
  const int32_t l = desc_.training->labels;
  return l >= 0 ? desc_.values[l].numel() : 0;
}

std::span<const float> TrainStep::evaluate(const float *data) {
  if (desc_.training->output < 0)
    throw std::invalid_argument("this is a training step, not an evaluation");
  load(data, nullptr);
  for (size_t i = 0; i < desc_.body.size(); ++i)
    runOp(i, desc_.body[i], 0, 0);
  const int32_t out = desc_.training->output;
  return {pointer(out), static_cast<size_t>(batch_ * desc_.values[out].numel())};
}

std::vector<int64_t> TrainStep::outputShape() const {
  const int32_t out = desc_.training->output;
  return out >= 0 ? desc_.values[out].shape : std::vector<int64_t>{};
}

double TrainStep::run(const float *data, uint64_t seed, int64_t step, const float *labels) {
  if (desc_.training->loss < 0)
    throw std::invalid_argument("this is an evaluation, not a training step");
  load(data, labels);
  for (size_t i = 0; i < desc_.body.size(); ++i)
    runOp(i, desc_.body[i], seed, step);
  const double loss = *pointer(desc_.training->loss);
  if (!std::isfinite(loss))
    throw std::runtime_error("the loss is " + std::to_string(loss) + " at step " +
                             std::to_string(step) +
                             " (a diverging network: lower the learning rate or clip "
                             "gradients)");
  return loss;
}

TrainableConv2D &TrainStep::convolution(size_t index, const module::OpDesc &op,
                                        const std::vector<int64_t> &input,
                                        const std::vector<int64_t> &output,
                                        const std::vector<int64_t> &weight) {
  std::unique_ptr<TrainableConv2D> &conv = convolutions_[index];
  if (!conv) {
    if (input.size() != 4 || output.size() != 4 || weight.size() != 4 || op.ints.size() != 5)
      invalid(std::string(module::opKindName(op.kind)) + " is not of 4-D tensors");
    const Conv2DShape shape =
        Conv2DShape::fromModule(std::span(input).subspan(1), weight, op.ints);
    if (shape.outHeight() != output[2] || shape.outWidth() != output[3] ||
        input[0] != output[0] || output[1] != weight[0])
      invalid(std::string(module::opKindName(op.kind)) + "'s shapes do not agree");
    conv = std::make_unique<TrainableConv2D>(context_, shape, input[0]);
  }
  return *conv;
}

void TrainStep::runOp(size_t index, const module::OpDesc &op, uint64_t seed, int64_t step) {
  auto in = [&](size_t i) -> const float * {
    return i < op.operands.size() && op.operands[i] >= 0 ? pointer(op.operands[i]) : nullptr;
  };
  auto shapeOf = [&](size_t i) { return fullShape(op.operands[i]); };
  float *out = pointer(op.result);
  const std::vector<int64_t> outShape = fullShape(op.result);
  const int64_t outCount = product(outShape);
  const auto step32 = static_cast<uint32_t>(step);
  // A dense or conv2d op's fused epilogue, as score.dense defines it, the
  // sampler's layers run it and its VJP differentiates it: act(z) + residual.
  auto epilogue = [&] {
    if (op.act != module::Activation::None)
      activateAll(toActivation(op.act), out, out, outCount);
    if (const float *residual = in(3))
      for (int64_t i = 0; i < outCount; ++i)
        out[i] += residual[i];
  };

  switch (op.kind) {
  case OpKind::Dense: {
    const std::vector<int64_t> x = shapeOf(0), w = shapeOf(1);
    const int64_t rows = product(x) / w[0];
    matmul(in(0), in(1), in(2), out, rows, w[0], w[1]);
    epilogue();
    break;
  }
  case OpKind::Conv2D:
    convolution(index, op, shapeOf(0), outShape, shapeOf(1))
        .forward(context_, in(0), in(1), in(2), out);
    epilogue();
    break;
  case OpKind::Conv2DBackwardData:
    convolution(index, op, outShape, shapeOf(0), shapeOf(1))
        .backwardData(context_, in(0), in(1), out);
    break;
  case OpKind::Conv2DBackwardWeight:
    convolution(index, op, shapeOf(0), shapeOf(1), outShape)
        .backwardWeights(context_, in(0), in(1), out);
    break;
  case OpKind::GroupNorm: {
    const std::vector<int64_t> x = shapeOf(0);
    groupNorm(x[0], x[1], product(x) / (x[0] * x[1]), op.ints[0], op.floats[0], in(1), in(2),
              toActivation(op.act), in(0), out);
    break;
  }
  case OpKind::Attention: {
    const std::vector<int64_t> q = shapeOf(0), k = shapeOf(1), v = shapeOf(2);
    attention(q[0], q[1], k[1], q[2], v[2], op.ints[0], in(0), in(1), in(2), out);
    break;
  }
  case OpKind::AttentionGrad: {
    const std::vector<int64_t> q = shapeOf(0), k = shapeOf(1), v = shapeOf(2);
    auto cotangent = [&](size_t k) {
      return op.ints[k] >= 0 ? pointer(static_cast<int32_t>(op.ints[k])) : nullptr;
    };
    attentionGrad(q[0], q[1], k[1], q[2], v[2], op.ints[0], in(0), in(1), in(2), in(3),
                  cotangent(1), cotangent(2), cotangent(3));
    break;
  }
  case OpKind::Upsample: {
    const std::vector<int64_t> x = shapeOf(0);
    upsampleNearest(in(0), x[0] * x[1], x[2], x[3], op.ints[0], out);
    break;
  }
  case OpKind::AvgPool: {
    const std::vector<int64_t> x = shapeOf(0);
    avgPool(in(0), x[0] * x[1], x[2], x[3], op.ints[0], op.ints[1], op.ints[2], op.ints[3], out);
    break;
  }
  case OpKind::Act:
    activateAll(toActivation(op.act), in(0), out, outCount);
    break;
  case OpKind::Add:
  case OpKind::Mul:
    broadcastBinary(op.kind == OpKind::Add ? BinaryOp::Add : BinaryOp::Mul, in(0), shapeOf(0),
                    in(1), shapeOf(1), out, outShape);
    break;
  case OpKind::Concat: {
    std::vector<const float *> inputs;
    std::vector<Dims> shapes;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      inputs.push_back(in(i));
      shapes.push_back(shapeOf(i));
    }
    concat(inputs, shapes, op.ints[0], out);
    break;
  }
  case OpKind::Transpose:
    transpose(in(0), shapeOf(0), op.ints, out);
    break;
  case OpKind::Copy:
    std::memmove(out, in(0), static_cast<size_t>(outCount) * sizeof(float));
    break;
  case OpKind::Randn: {
    const int64_t width = outCount / batch_;
    auto fill = module::drawsSigns(op) ? fillSampleSigns : fillSampleNoise;
    for (int64_t r = 0; r < batch_; ++r)
      fill(out + r * width, width, seed, static_cast<uint32_t>(r), step32,
           static_cast<uint32_t>(op.ints[0]));
    break;
  }
  case OpKind::RandUniform:
    for (int64_t r = 0; r < batch_; ++r)
      out[r] = static_cast<float>(
          uniformAt(seed, static_cast<uint32_t>(r), step32, static_cast<uint32_t>(op.ints[0])));
    break;
  case OpKind::Interpolate: {
    const float *u = in(0);
    for (int64_t r = 0; r < outCount; ++r)
      out[r] = static_cast<float>(tableAt(op.floats.data(), op.floats.size(), u[r], op.ints[0]));
    break;
  }
  case OpKind::ReduceSum:
    reduceSumKeepDims(in(0), shapeOf(0), op.ints, out);
    break;
  case OpKind::Broadcast:
    broadcastTo(in(0), shapeOf(0), out, outShape);
    break;
  case OpKind::ActGrad:
    activationGrad(toActivation(op.act), static_cast<int>(op.ints[0]), in(0), in(1), out, outCount);
    break;
  case OpKind::OuterSum: {
    const std::vector<int64_t> lhs = shapeOf(0), rhs = shapeOf(1);
    const int64_t m = lhs.back(), n = rhs.back();
    matmul(in(0), in(1), nullptr, out, m, product(lhs) / m, n,
           /*transposeX=*/true);
    break;
  }
  case OpKind::Slice:
    sliceAxis(in(0), shapeOf(0), op.ints[0], op.ints[1], op.ints[2], out);
    break;
  case OpKind::Pad:
    padAxis(in(0), shapeOf(0), op.ints[0], op.ints[1], op.ints[2], out);
    break;
  case OpKind::TimeEmbedding: {
    const int64_t rows = product(shapeOf(0));
    if (const float *frequencies = in(1))
      fourierEmbedding(in(0), rows, frequencies, op.ints[0], out);
    else
      sinusoidalEmbedding(in(0), rows, op.ints[0], op.floats[0], out);
    break;
  }
  default:
    break; // rejected by check()
  }
}

} // namespace tweedie::cpu
