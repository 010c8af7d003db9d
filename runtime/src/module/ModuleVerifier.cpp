//===- ModuleVerifier.cpp - every index, shape and range of a module ------===//
//
// The executor trusts a verified description: every operand index exists,
// every arena range lies inside the arena, every shape agrees with what the op
// computes. So a module from a buggy or hostile writer is rejected here and
// never reaches a kernel.
//
//===----------------------------------------------------------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/Layout.h"
#include "tweedie/module/ModuleDesc.h"
#include "tweedie/module/OpAttrs.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>

namespace tweedie::module {

void detail::attrLayoutError(const std::string &what) { throw AttrLayoutError(what); }

const char *opKindName(OpKind kind) {
  switch (kind) {
#define TWEEDIE_OP(Kind, name, operands, optional)                                            \
  case OpKind::Kind:                                                                          \
    return #name;
#include "tweedie/module/Ops.def"
  }
  return "unknown";
}

OperandCounts operandCounts(OpKind kind) {
  switch (kind) {
#define TWEEDIE_OP(Kind, name, operands, optional)                                            \
  case OpKind::Kind:                                                                          \
    return {operands, optional};
#include "tweedie/module/Ops.def"
  }
  return {};
}

int64_t ValueDesc::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

int64_t ModuleDesc::sampleNumel() const {
  return std::accumulate(sampleShape.begin(), sampleShape.end(), int64_t{1},
                         std::multiplies<>());
}

namespace {

using Shape = std::vector<int64_t>;
constexpr int64_t kBatch = -1; // the batch dim in a full shape

std::string str(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] == kBatch ? std::string("B") : std::to_string(shape[i]));
  return s + "]";
}

class Checker {
public:
  Checker(const ModuleDesc &desc, const std::string &origin) : d(desc), origin(origin) {}

  void run() {
    if (d.training)
      return checkTraining(*d.training);
    if (d.steps < 1 || d.steps > 100'000'000)
      fail("step count " + std::to_string(d.steps) + " is out of range");
    if (d.arenaBytesPerSample < 0 || d.arenaBytesPerSample > (int64_t{1} << 36))
      fail("arena size " + std::to_string(d.arenaBytesPerSample) + " is out of range");
    if (!(d.priorScale > 0) || !std::isfinite(d.priorScale))
      fail("prior scale " + std::to_string(d.priorScale) + " is not a positive number");
    for (int64_t dim : d.sampleShape)
      if (dim < 1 || dim > (int64_t{1} << 24))
        fail("sample shape " + str(d.sampleShape) + " is invalid");
    for (const ConstantDesc &c : d.constants)
      if (static_cast<int64_t>(c.data.size()) != product(c.shape))
        fail("constant '" + c.name + "' holds " + std::to_string(c.data.size()) +
             " values for shape " + str(c.shape));
    for (size_t i = 0; i < d.values.size(); ++i)
      checkValue(i);
    checkState("state", d.state);
    checkState("next state", d.nextState);
    if (d.extraStates.size() != d.nextExtraStates.size())
      fail(std::to_string(d.extraStates.size()) + " extra states but " +
           std::to_string(d.nextExtraStates.size()) + " next extra states");
    // The executor copies whole values between these slots after every step
    // (and the state into each extra state at the start): a copy needs its two
    // ranges the same or apart, never partly overlapping.
    sameOrApart("the next state", d.nextState, "the state", d.state);
    for (size_t k = 0; k < d.extraStates.size(); ++k) {
      const std::string extra = "extra state " + std::to_string(k);
      checkState("extra state", d.extraStates[k]);
      checkState("next extra state", d.nextExtraStates[k]);
      if (overlap(d.extraStates[k], d.state))
        fail(extra + " shares the state's memory");
      sameOrApart("next " + extra, d.nextExtraStates[k], extra, d.extraStates[k]);
    }
    if (d.integrator)
      checkIntegrator(*d.integrator);
    checkLikelihood();
    checkCudaKernels();
    for (size_t i = 0; i < d.body.size(); ++i) {
      where = "op #" + std::to_string(i) + " (" + opKindName(d.body[i].kind) + ")";
      checkOp(d.body[i]);
    }
  }

private:
  /// Each architecture once, named sm_<digits>, its PTX targeting it and
  /// defining every kernel the plan names and every one the CUDA backend
  /// launches for the ops themselves (DeviceKernels.h).
  void checkCudaKernels() const {
    std::set<std::string> archs;
    const std::vector<LayerKernel> layers = layerKernelsOf(d);
    for (const CudaKernelsDesc &k : d.cudaKernels) {
      const bool named = k.arch.size() > 3 && k.arch.rfind("sm_", 0) == 0 &&
                         k.arch.find_first_not_of("0123456789", 3) == std::string::npos;
      if (!named)
        fail("CUDA kernels for '" + k.arch + "', which is not an architecture (sm_80)");
      if (!archs.insert(k.arch).second)
        fail("CUDA kernels for " + k.arch + " appear twice");
      if (k.ptx.find(".target " + k.arch) == std::string::npos)
        fail("the PTX for " + k.arch + " does not target it");
      auto defines = [&](const std::string &kernel) {
        return k.ptx.find(".entry " + kernel + "(") != std::string::npos;
      };
      for (const OpDesc &op : d.body)
        if (!op.kernel.empty() && !defines(op.kernel))
          fail("the PTX for " + k.arch + " lacks kernel '" + op.kernel + "'");
      for (const char *kernel : kDeviceKernels)
        if (!defines(kernel))
          fail("the PTX for " + k.arch + " lacks the ops' kernel '" + kernel + "'");
      for (const LayerKernel &kernel : layers)
        if (!defines(kernel.name()))
          fail("the PTX for " + k.arch + " lacks the layers' kernel '" + kernel.name() +
               "' (a module from an older tweedie-compile? compile it again with --target "
               "cuda)");
    }
  }

  [[noreturn]] void fail(const std::string &what) const {
    throw io::FormatError(origin + ": invalid Tweedie module: " +
                          (where.empty() ? "" : where + ": ") + what);
  }

  static int64_t product(const Shape &s) {
    return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
  }

  void checkValue(size_t i) {
    const ValueDesc &v = d.values[i];
    const std::string name = "value #" + std::to_string(i);
    int64_t numel = 1;
    for (int64_t dim : v.shape) {
      if (dim < 1 || dim > (int64_t{1} << 24) || numel > (int64_t{1} << 36) / dim)
        fail(name + " has an invalid shape " + str(v.shape));
      numel *= dim;
    }
    switch (v.kind) {
    case ValueKind::Arena:
      // Written so that no sum can overflow, whatever the offset.
      if (v.offset < 0 || v.offset % 4 != 0 || v.offset > d.arenaBytesPerSample ||
          numel * 4 > d.arenaBytesPerSample - v.offset)
        fail(name + " (" + std::to_string(numel * 4) + " bytes at offset " +
             std::to_string(v.offset) + ") lies outside the " +
             std::to_string(d.arenaBytesPerSample) + "-byte per-sample arena");
      break;
    case ValueKind::Constant:
    case ValueKind::TableRow: {
      if (v.offset < 0 || v.offset >= static_cast<int64_t>(d.constants.size()))
        fail(name + " names constant " + std::to_string(v.offset) + " of " +
             std::to_string(d.constants.size()));
      const Shape &c = d.constants[v.offset].shape;
      Shape expected = c;
      if (v.kind == ValueKind::TableRow) {
        if (c.empty() || c[0] != d.steps)
          fail(name + " reads rows of constant '" + d.constants[v.offset].name +
               "' " + str(c) + ", which is not a table of " + std::to_string(d.steps) +
               " steps");
        expected.erase(expected.begin());
      }
      if (v.shape != expected)
        fail(name + " has shape " + str(v.shape) + " but its constant gives " +
             str(expected));
      // Constants are stored as written: read channels last only where
      // both layouts agree.
      if (v.channelsLast && !layoutIsTrivial(v.shape))
        fail(name + " reads constant '" + d.constants[v.offset].name + "' " + str(v.shape) +
             " channels last");
      break;
    }
    default:
      fail(name + " has unknown kind " + std::to_string(static_cast<int>(v.kind)));
    }
  }

  /// Whether two arena values' per-sample byte ranges share a byte.
  bool overlap(int32_t a, int32_t b) const {
    const ValueDesc &x = d.values[a], &y = d.values[b];
    return x.offset < y.offset + 4 * y.numel() && y.offset < x.offset + 4 * x.numel();
  }

  void sameOrApart(const std::string &what, int32_t a, const std::string &other, int32_t b) {
    if (d.values[a].offset != d.values[b].offset && overlap(a, b))
      fail(what + " (bytes " + std::to_string(d.values[a].offset) + "+" +
           std::to_string(4 * d.values[a].numel()) + ") partly overlaps " + other +
           " (bytes " + std::to_string(d.values[b].offset) + "+" +
           std::to_string(4 * d.values[b].numel()) + ")");
  }

  void checkState(const char *what, int32_t index) {
    if (index < 0 || index >= static_cast<int32_t>(d.values.size()) ||
        d.values[index].kind != ValueKind::Arena || d.values[index].shape != d.sampleShape)
      fail(std::string("the ") + what + " must be an arena value shaped like a sample " +
           str(d.sampleShape));
  }

  /// An integrated body has no step index: nothing may read per-step tables
  /// or draw step-keyed noise.
  void checkLikelihood() {
    if (!std::isfinite(d.likelihoodPriorStd) || d.likelihoodPriorStd < 0)
      fail("the likelihood's prior std must be a finite number >= 0");
    if (d.likelihoodPriorStd == 0)
      return;
    if (!d.integrator)
      fail("a likelihood module integrates its flow: it needs an integrator");
    if (d.sampleShape.size() != 1 || d.sampleShape[0] < 2)
      fail("a likelihood module's rows are [x, l]: the sample shape must be [d + 1]");
  }

  void checkIntegrator(const IntegratorDesc &i) {
    if (i.time < 0 || i.time >= static_cast<int32_t>(d.values.size()) ||
        d.values[i.time].kind != ValueKind::Arena || d.values[i.time].numel() != 1)
      fail("the integrator's time must be an arena value of one float per sample");
    if (!std::isfinite(i.tStart) || !std::isfinite(i.tEnd) || i.tStart == i.tEnd)
      fail("the integrator needs finite t_start != t_end");
    if (!(i.rtol > 0) || !(i.atol > 0) || !std::isfinite(i.rtol) || !std::isfinite(i.atol))
      fail("the integrator's rtol and atol must be positive numbers");
    if (!std::isfinite(i.finishX) || !std::isfinite(i.finishV))
      fail("the integrator's finishing step must have finite coefficients");
    if (!d.extraStates.empty())
      fail("an integrated module carries no extra states");
    for (const ValueDesc &v : d.values)
      if (v.kind == ValueKind::TableRow)
        fail("an integrated body reads no per-step tables");
    // Randn may appear: it draws at step 0, the same noise at every
    // evaluation (probes fixed along a trajectory).
    for (const OpDesc &op : d.body)
      if (op.kind == OpKind::AffineStep || op.kind == OpKind::LangevinCorrector ||
          op.kind == OpKind::RandUniform || op.kind == OpKind::MALAStep)
        fail(std::string("an integrated body has no step index for its ") +
             opKindName(op.kind) + " op");
  }

  /// A training step or evaluation (built in memory, run on whole batches):
  /// its buffers, its inputs and outputs, and each op's operands and
  /// attribute layout. Which kinds a backend runs on whole batches is the
  /// backend's kernel registry's to say.
  void checkTraining(const TrainingDesc &t) {
    for (size_t i = 0; i < d.values.size(); ++i) {
      const ValueDesc &v = d.values[i];
      const int64_t bytes = product(v.shape) * 4;
      const bool inside =
          v.kind == ValueKind::Arena
              ? v.offset >= 0 && v.offset % 4 == 0 && v.offset + bytes <= d.arenaBytesPerSample
          : v.kind == ValueKind::Whole
              ? v.offset >= 0 && v.offset % 4 == 0 && v.offset + bytes <= t.wholeBytes
          : v.kind == ValueKind::Constant
              ? v.offset >= 0 && v.offset < static_cast<int64_t>(d.constants.size()) &&
                    static_cast<int64_t>(d.constants[v.offset].data.size()) == bytes / 4
              : false;
      expect(inside, "value #" + std::to_string(i) +
                         " lies outside its buffer or is of a kind training does not use");
    }
    const ValueDesc &data = value(d.state);
    expect(data.kind == ValueKind::Arena && data.shape == d.sampleShape,
           "the data value is not a per-example value of the sample shape");
    expect((t.loss >= 0) != (t.output >= 0),
           "a step computes a loss or an evaluation an output, not both or neither");
    if (t.loss >= 0)
      expect(value(t.loss).kind != ValueKind::Arena && value(t.loss).shape == Shape{1},
             "the loss is not one batch-free number");
    if (t.output >= 0) {
      expect(value(t.output).kind == ValueKind::Arena,
             "an evaluation's output is not a per-example value");
      expect(t.parameters.empty(), "an evaluation trains nothing");
    }
    if (t.labels >= 0)
      expect(value(t.labels).kind == ValueKind::Arena, "the labels are not a per-example value");
    expect(t.parameters.size() == t.gradients.size(),
           "parameters and gradients differ in number");
    for (size_t k = 0; k < t.parameters.size(); ++k) {
      const int32_t c = t.parameters[k];
      expect(c >= 0 && c < static_cast<int32_t>(d.constants.size()),
             "parameter " + std::to_string(k) + " names no constant");
      expect(value(t.gradients[k]).shape == d.constants[c].shape,
             "the gradient of '" + d.constants[c].name + "' has another shape");
    }
    for (size_t i = 0; i < d.body.size(); ++i) {
      const OpDesc &op = d.body[i];
      where = "op #" + std::to_string(i) + " (" + opKindName(op.kind) + ")";
      expect(static_cast<uint16_t>(op.kind) < kNumAllOpKinds,
             "unknown op kind " + std::to_string(static_cast<int>(op.kind)));
      expect(static_cast<uint8_t>(op.act) < kNumActivations, "unknown activation");
      arity(op);
      checkAttrLayout(op);
      expect(value(op.result).kind != ValueKind::Constant, "writes a constant");
      if (op.kind == OpKind::AttentionGrad)
        expect(attrs<AttentionGradAttrs>(op).heads >= 1, "needs at least one head");
      if (op.kind == OpKind::Interpolate)
        checkTable(op);
      if (op.kind == OpKind::GroupNormGrad) {
        const auto a = attrs<GroupNormGradAttrs>(op);
        const std::vector<int64_t> &x = value(op.operands[0]).shape;
        expect(a.groups >= 1 && !x.empty() && x[0] % a.groups == 0,
               "groups do not divide the channels");
        expect(a.epsilon > 0, "needs a positive epsilon");
        expect(value(op.operands[1]).shape == std::vector<int64_t>{x[0]},
               "gamma is not a vector of the channels");
        expect(value(op.operands[2]).shape == x, "the cotangent is not shaped as the input");
      }
      // The further cotangents are shaped as their primals: operand k's, but
      // group_norm_grad's d beta as gamma (beta is not an operand).
      const std::array<int64_t, 3> further = furtherResults(op);
      for (size_t k = 0; k < 3; ++k) {
        const size_t primal = op.kind == OpKind::GroupNormGrad ? std::min<size_t>(k, 1) : k;
        if (further[k] >= 0)
          expect(value(static_cast<int32_t>(further[k])).shape ==
                     value(op.operands[primal]).shape,
                 "cotangent " + std::to_string(k + 1) + " is not shaped as its primal");
      }
    }
  }

  /// Reads the attributes of any kind through its view (OpAttrs.h).
  void checkAttrLayout(const OpDesc &op) const {
    switch (op.kind) {
    case OpKind::Conv2D:
    case OpKind::Conv2DBackwardData:
    case OpKind::Conv2DBackwardWeight: attrs<Conv2DAttrs>(op); break;
    case OpKind::GroupNorm: attrs<GroupNormAttrs>(op); break;
    case OpKind::LayerNorm: attrs<LayerNormAttrs>(op); break;
    case OpKind::Attention: attrs<AttentionAttrs>(op); break;
    case OpKind::Concat:
    case OpKind::Upsample:
    case OpKind::ActGrad:
    case OpKind::RandUniform: attrs<IntAttr>(op); break;
    case OpKind::AvgPool: attrs<AvgPoolAttrs>(op); break;
    case OpKind::Transpose:
    case OpKind::ReduceSum: attrs<IntListAttr>(op); break;
    case OpKind::Randn: attrs<RandnAttrs>(op); break;
    case OpKind::AffineStep: attrs<AffineStepAttrs>(op); break;
    case OpKind::LangevinCorrector: attrs<LangevinCorrectorAttrs>(op); break;
    case OpKind::MALAStep: attrs<MALAStepAttrs>(op); break;
    case OpKind::Slice:
    case OpKind::Pad: attrs<AxisRangeAttrs>(op); break;
    case OpKind::TimeEmbedding: attrs<TimeEmbeddingAttrs>(op); break;
    case OpKind::Interpolate: attrs<InterpolateAttrs>(op); break;
    case OpKind::Scale: attrs<ScaleAttrs>(op); break;
    case OpKind::AttentionGrad: attrs<AttentionGradAttrs>(op); break;
    case OpKind::GroupNormGrad: attrs<GroupNormGradAttrs>(op); break;
    default: break; // no attributes
    }
  }

  const ValueDesc &value(int32_t index) const {
    if (index < 0 || index >= static_cast<int32_t>(d.values.size()))
      fail("value index " + std::to_string(index) + " is out of range (" +
           std::to_string(d.values.size()) + " values)");
    return d.values[index];
  }

  /// The shape with the batch: [B, ...] for arena values.
  Shape full(int32_t index) const {
    const ValueDesc &v = value(index);
    Shape s = v.shape;
    if (v.kind == ValueKind::Arena)
      s.insert(s.begin(), kBatch);
    return s;
  }

  const Shape &arena(int32_t index, const char *role) const {
    const ValueDesc &v = value(index);
    if (v.kind != ValueKind::Arena)
      fail(std::string("operand '") + role + "' must be a per-sample (arena) value");
    return v.shape;
  }

  const Shape &fixed(int32_t index, const char *role) const {
    const ValueDesc &v = value(index);
    if (v.kind == ValueKind::Arena)
      fail(std::string("operand '") + role + "' must be a constant or a table row");
    return v.shape;
  }

  void expect(bool ok, const std::string &what) const {
    if (!ok)
      fail(what);
  }

  /// The op table's operand counts: required ones present, at most the
  /// optional ones more.
  void arity(const OpDesc &op) const {
    const OperandCounts counts = operandCounts(op.kind);
    const size_t required = counts.required, n = op.operands.size();
    const bool variadic = counts.optional == kVariadic;
    const size_t most = variadic ? n : required + counts.optional;
    expect(n >= required && n <= most,
           !variadic && most == 0 ? std::string("takes no operands")
           : "takes " + std::to_string(required) +
               (variadic ? " or more"
                : counts.optional ? "-" + std::to_string(most)
                                  : "") +
               " operands, has " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      if (i < required || variadic)
        expect(op.operands[i] >= 0, "operand #" + std::to_string(i) + " is required");
      if (op.operands[i] >= 0)
        value(op.operands[i]); // names a value that exists
    }
  }

  /// Both backends index an interpolate's table.
  void checkTable(const OpDesc &op) const {
    const auto table = attrs<InterpolateAttrs>(op).table;
    expect(!table.empty(), "needs a table");
    expect(std::all_of(table.begin(), table.end(), [](double f) { return std::isfinite(f); }),
           "its table holds a non-finite entry");
  }

  int32_t optionalOperand(const OpDesc &op, size_t i) const {
    return i < op.operands.size() ? op.operands[i] : -1;
  }

  /// The op's attributes through their view, or a format error naming the op.
  template <typename Attrs> Attrs attrs(const OpDesc &op) const {
    try {
      return Attrs::read(op);
    } catch (const AttrLayoutError &e) {
      fail(e.what());
    }
  }

  void checkOp(const OpDesc &op) {
    expect(static_cast<uint16_t>(op.kind) < kNumOpKinds,
           "unknown op kind " + std::to_string(static_cast<int>(op.kind)));
    expect(static_cast<uint8_t>(op.act) < kNumActivations, "unknown activation");
    arity(op);
    const Shape &out = arena(op.result, "result");
    switch (op.kind) {
    case OpKind::Dense: {
      const Shape &x = arena(op.operands[0], "x");
      const Shape &w = fixed(op.operands[1], "weight");
      expect(!x.empty() && w.size() == 2 && w[0] == x.back(),
             "weight " + str(w) + " does not fit input " + str(x));
      Shape y = x;
      y.back() = w[1];
      expect(out == y, "result " + str(out) + " should be " + str(y));
      if (int32_t b = optionalOperand(op, 2); b >= 0)
        expect(fixed(b, "bias") == Shape{w[1]}, "bias must be [" + std::to_string(w[1]) + "]");
      if (int32_t r = optionalOperand(op, 3); r >= 0)
        expect(arena(r, "residual") == out, "residual must match the result");
      break;
    }
    case OpKind::Conv2D: {
      const auto a = attrs<Conv2DAttrs>(op);
      const Shape &x = arena(op.operands[0], "x");
      const Shape &w = fixed(op.operands[1], "weight");
      int64_t sh = a.stride[0], sw = a.stride[1], ph = a.padding[0], pw = a.padding[1],
              g = a.groups;
      expect(x.size() == 3 && w.size() == 4 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0 &&
                 g >= 1 && x[0] % g == 0 && w[0] % g == 0 && w[1] * g == x[0],
             "weight " + str(w) + " and attributes do not fit input " + str(x));
      int64_t oh = (x[1] + 2 * ph - w[2]) / sh + 1, ow = (x[2] + 2 * pw - w[3]) / sw + 1;
      expect(x[1] + 2 * ph >= w[2] && x[2] + 2 * pw >= w[3] && out == Shape{w[0], oh, ow},
             "result " + str(out) + " should be " + str({w[0], oh, ow}));
      if (int32_t b = optionalOperand(op, 2); b >= 0)
        expect(fixed(b, "bias") == Shape{w[0]}, "bias must be [" + std::to_string(w[0]) + "]");
      if (int32_t r = optionalOperand(op, 3); r >= 0)
        expect(arena(r, "residual") == out, "residual must match the result");
      break;
    }
    case OpKind::GroupNorm:
    case OpKind::LayerNorm: {
      const double epsilon = op.kind == OpKind::GroupNorm ? attrs<GroupNormAttrs>(op).epsilon
                                                          : attrs<LayerNormAttrs>(op).epsilon;
      const Shape &x = arena(op.operands[0], "x");
      expect(!x.empty() && out == x, "result must match the input");
      int64_t features = op.kind == OpKind::GroupNorm ? x[0] : x.back();
      expect(fixed(op.operands[1], "gamma") == Shape{features} &&
                 fixed(op.operands[2], "beta") == Shape{features},
             "gamma and beta must be [" + std::to_string(features) + "]");
      expect(epsilon > 0 && std::isfinite(epsilon), "needs a positive epsilon");
      if (op.kind == OpKind::GroupNorm) {
        const int64_t groups = attrs<GroupNormAttrs>(op).groups;
        expect(groups >= 1 && x[0] % groups == 0, "groups must divide channels");
      }
      break;
    }
    case OpKind::Attention: {
      const int64_t h = attrs<AttentionAttrs>(op).heads;
      const Shape &q = arena(op.operands[0], "q"), &k = arena(op.operands[1], "k"),
                  &v = arena(op.operands[2], "v");
      expect(q.size() == 2 && k.size() == 2 && v.size() == 2 && q[1] == k[1] &&
                 k[0] == v[0] && h >= 1 && q[1] % h == 0 && v[1] % h == 0 &&
                 out == Shape{q[0], v[1]},
             "shapes q " + str(q) + ", k " + str(k) + ", v " + str(v) + " -> " + str(out) +
                 " do not fit attention");
      break;
    }
    case OpKind::Interpolate:
      checkTable(op);
      expect(product(arena(op.operands[0], "u")) == 1, "reads one position per sample");
      expect(arena(op.operands[0], "u") == out, "result must match the input");
      break;
    case OpKind::Scale: {
      const auto s = attrs<ScaleAttrs>(op);
      expect(std::isfinite(s.factor) && std::isfinite(s.shift),
             "factor and shift must be finite");
      expect(arena(op.operands[0], "x") == out, "result must match the input");
      break;
    }
    case OpKind::Act:
    case OpKind::Copy: {
      const Shape &x = arena(op.operands[0], "x");
      expect(op.kind == OpKind::Act ? x == out : product(x) == product(out),
             "result " + str(out) + " does not fit input " + str(x));
      break;
    }
    case OpKind::Broadcast: {
      expect(arena(op.operands[1], "like") == out, "the result must be shaped like 'like'");
      Shape x = full(op.operands[0]), y = full(op.result);
      expect(x.size() <= y.size(), "cannot broadcast " + str(x) + " to " + str(y));
      for (size_t i = 0; i < x.size() && x.size() <= y.size(); ++i) {
        int64_t from = x[x.size() - 1 - i], to = y[y.size() - 1 - i];
        expect(from == to || from == 1, "cannot broadcast " + str(x) + " to " + str(y));
      }
      break;
    }
    case OpKind::ActGrad: {
      const int64_t order = attrs<IntAttr>(op).value;
      expect(order == 1 || order == 2, "the derivative's order must be 1 or 2");
      expect(arena(op.operands[0], "x") == out && arena(op.operands[1], "grad") == out,
             "operands must match the result");
      break;
    }
    case OpKind::Slice: {
      const auto a = attrs<AxisRangeAttrs>(op);
      const Shape x = full(op.operands[0]);
      const int64_t axis = a.axis, offset = a.first, size = a.second;
      expect(axis >= 1 && axis < static_cast<int64_t>(x.size()),
             "slices a per-sample axis of " + str(x));
      if (axis >= 1 && axis < static_cast<int64_t>(x.size())) {
        expect(offset >= 0 && size > 0 && offset + size <= x[axis],
               "slice [" + std::to_string(offset) + ", +" + std::to_string(size) +
                   ") does not fit axis " + std::to_string(axis) + " of " + str(x));
        Shape y = x;
        y[axis] = size;
        y.erase(y.begin());
        expect(y == out, "result " + str(out) + " should be " + str(y));
      }
      break;
    }
    case OpKind::ReduceSum: {
      Shape y = full(op.operands[0]);
      for (int64_t axis : attrs<IntListAttr>(op).values) {
        expect(axis >= 1 && axis < static_cast<int64_t>(y.size()),
               "sums over per-sample axes only, not axis " + std::to_string(axis));
        if (axis >= 1 && axis < static_cast<int64_t>(y.size()))
          y[axis] = 1;
      }
      y.erase(y.begin());
      expect(y == out, "result " + str(out) + " should be " + str(y));
      break;
    }
    case OpKind::TimeEmbedding: {
      const auto a = attrs<TimeEmbeddingAttrs>(op);
      expect(a.dim > 0 && a.dim % 2 == 0, "the embedding's dim must be even and positive");
      expect(product(arena(op.operands[0], "t")) == 1, "embeds one time per sample");
      expect(out == Shape{a.dim},
             "result " + str(out) + " should be [" + std::to_string(a.dim) + "]");
      const int32_t frequencies = optionalOperand(op, 1);
      if (frequencies >= 0)
        expect(product(fixed(frequencies, "frequencies")) == a.dim / 2,
               "needs dim / 2 frequencies");
      else
        expect(op.floats.size() == 1 && a.maxPeriod > 0, "needs a positive max period");
      break;
    }
    case OpKind::RandUniform: {
      const int64_t draw = attrs<IntAttr>(op).value;
      expect(draw >= 0 && draw < (int64_t{1} << 32), "draw out of range");
      expect(product(out) == 1, "draws one number per sample");
      break;
    }
    case OpKind::MALAStep: {
      for (size_t i : {0, 1, 4, 5})
        expect(arena(op.operands[i], "state") == out, "states and scores must match the result");
      for (size_t i : {2, 3, 6})
        expect(product(arena(op.operands[i], "energy or uniform")) == 1,
               "energies and the uniform are one number per sample");
      const auto eta = attrs<MALAStepAttrs>(op).stepSize;
      expect(static_cast<int64_t>(eta.size()) == d.steps,
             "needs " + std::to_string(d.steps) + " step sizes");
      for (double f : eta)
        expect(std::isfinite(f) && f > 0, "step sizes must be finite and positive");
      break;
    }
    case OpKind::Add:
    case OpKind::Mul: {
      Shape l = full(op.operands[0]), r = full(op.operands[1]);
      size_t rank = std::max(l.size(), r.size());
      l.insert(l.begin(), rank - l.size(), 1);
      r.insert(r.begin(), rank - r.size(), 1);
      Shape y(rank);
      for (size_t i = 0; i < rank; ++i) {
        expect(l[i] == r[i] || l[i] == 1 || r[i] == 1,
               "operands " + str(full(op.operands[0])) + " and " +
                   str(full(op.operands[1])) + " do not broadcast");
        y[i] = l[i] == 1 ? r[i] : l[i];
      }
      Shape expected = out;
      expected.insert(expected.begin(), kBatch);
      expect(y == expected, "result " + str(expected) + " should be " + str(y));
      break;
    }
    case OpKind::Concat: {
      int64_t axis = attrs<IntAttr>(op).value - 1; // in per-sample dims
      expect(axis >= 0 && axis < static_cast<int64_t>(out.size()), "axis out of range");
      int64_t total = 0;
      for (int32_t index : op.operands) {
        const Shape &x = arena(index, "input");
        expect(x.size() == out.size(), "inputs must have the result's rank");
        for (size_t i = 0; i < x.size(); ++i)
          if (static_cast<int64_t>(i) != axis)
            expect(x[i] == out[i], "input " + str(x) + " does not fit result " + str(out));
        total += x[axis];
      }
      expect(total == out[axis], "inputs do not add up to the result along the axis");
      break;
    }
    case OpKind::Upsample: {
      const int64_t s = attrs<IntAttr>(op).value;
      const Shape &x = arena(op.operands[0], "x");
      expect(x.size() == 3 && s >= 1 && out == Shape{x[0], x[1] * s, x[2] * s},
             "result " + str(out) + " is not input " + str(x) + " upsampled");
      break;
    }
    case OpKind::AvgPool: {
      const auto a = attrs<AvgPoolAttrs>(op);
      const Shape &x = arena(op.operands[0], "x");
      int64_t kh = a.kernel[0], kw = a.kernel[1], sh = a.stride[0], sw = a.stride[1];
      expect(x.size() == 3 && kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && x[1] >= kh &&
                 x[2] >= kw &&
                 out == Shape{x[0], (x[1] - kh) / sh + 1, (x[2] - kw) / sw + 1},
             "result " + str(out) + " does not fit pooling input " + str(x));
      break;
    }
    case OpKind::Transpose: {
      const Shape &x = arena(op.operands[0], "x");
      // The executor's transpose keeps its index in a fixed array of 8 (full rank).
      expect(x.size() <= 7, "transposes of more than 7 dims per sample are not supported");
      const auto permutation = attrs<IntListAttr>(op).values;
      expect(permutation.size() == x.size() + 1,
             "needs " + std::to_string(x.size() + 1) + " integer attributes, has " +
                 std::to_string(permutation.size()));
      expect(out.size() == x.size(), "result " + str(out) + " and input " + str(x) +
                                         " differ in rank");
      Shape sorted(permutation.begin(), permutation.end());
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i)
        expect(sorted[i] == static_cast<int64_t>(i), "permutation is not one");
      expect(permutation[0] == 0, "the batch must stay the leading dim");
      for (size_t i = 1; i < permutation.size(); ++i)
        expect(out[i - 1] == x[permutation[i] - 1], "result shape does not match the permutation");
      break;
    }
    case OpKind::Randn: {
      const auto a = attrs<RandnAttrs>(op);
      expect(op.ints.size() == 1 || op.ints[1] == 0 || op.ints[1] == 1,
             "needs the draw and a 0/1 Rademacher flag");
      expect(a.draw >= 0 && a.draw < (int64_t{1} << 32), "draw out of range");
      break;
    }
    case OpKind::AffineStep: {
      for (size_t i = 0; i < op.operands.size(); ++i)
        if (op.operands[i] >= 0)
          expect(arena(op.operands[i], "state") == out, "operands must match the result");
      expect(static_cast<int64_t>(op.floats.size()) == 3 * d.steps,
             "needs 3 coefficient tables of " + std::to_string(d.steps) + " entries");
      attrs<AffineStepAttrs>(op);
      for (double f : op.floats)
        expect(std::isfinite(f), "a coefficient is not finite");
      expect(!op.kernel.empty() || d.kernels.empty(), "names no kernel");
      break;
    }
    case OpKind::LangevinCorrector: {
      for (size_t i = 0; i < 3; ++i)
        expect(arena(op.operands[i], "state") == out, "operands must match the result");
      expect(static_cast<int64_t>(op.floats.size()) == d.steps + 1,
             "needs " + std::to_string(d.steps) + " alphas and the snr");
      attrs<LangevinCorrectorAttrs>(op);
      for (double f : op.floats)
        expect(std::isfinite(f) && f >= 0, "alphas and snr must be finite and non-negative");
      break;
    }
    default:
      fail("unknown op kind " + std::to_string(static_cast<int>(op.kind)));
    }
    // After the kind's own checks, which say more about what is wrong.
    checkAttrLayout(op);
  }

  const ModuleDesc &d;
  const std::string &origin;
  std::string where;
};

} // namespace

void verifyModule(const ModuleDesc &desc, const std::string &origin) {
  Checker(desc, origin).run();
}

void verifyBatchModule(const ModuleDesc &desc, int64_t batch) {
  if (!desc.training)
    throw std::invalid_argument(
        "invalid training step: the module is a sampler, not a training step");
  if (batch < 1)
    throw std::invalid_argument("invalid training step: batch size " + std::to_string(batch) +
                                " is not positive");
  verifyModule(desc, "training step");
}

void checkBatchLabels(const ModuleDesc &desc, const float *labels) {
  const int32_t l = desc.training->labels;
  if ((l >= 0) != (labels != nullptr))
    throw std::invalid_argument(l >= 0 ? "this step trains a classifier: it needs labels"
                                       : "this step takes no labels");
}

} // namespace tweedie::module
