//===- ModuleVerifier.cpp - every index, shape and range of a module ------===//
//
// The executor trusts a verified description: every operand index exists,
// every arena range lies inside the arena, every shape agrees with what the op
// computes. So a module from a buggy or hostile writer is rejected here and
// never reaches a kernel.
//
//===----------------------------------------------------------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/module/ModuleDesc.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tweedie::module {

const char *opKindName(OpKind kind) {
  static const char *names[kNumAllOpKinds] = {
      "dense", "conv2d", "group_norm", "layer_norm", "attention", "act", "add", "mul",
      "concat", "upsample", "avg_pool", "transpose", "copy", "randn", "affine_step",
      "langevin_corrector", "broadcast", "act_grad", "rand_uniform", "mala_step", "slice",
      "reduce_sum", "time_embedding", "outer_sum", "pad", "interpolate",
      "conv2d_backward_data", "conv2d_backward_weight", "attention_grad"};
  auto index = static_cast<uint16_t>(kind);
  return index < kNumAllOpKinds ? names[index] : "unknown";
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
      fail("it holds a training step, which the compiler hands to the trainer in memory; "
           "module files hold samplers");
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
    for (size_t i = 0; i < d.body.size(); ++i) {
      where = "op #" + std::to_string(i) + " (" + opKindName(d.body[i].kind) + ")";
      checkOp(d.body[i]);
    }
  }

private:
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

  void arity(const OpDesc &op, size_t required, size_t optional = 0) const {
    expect(op.operands.size() >= required && op.operands.size() <= required + optional,
           "takes " + std::to_string(required) +
               (optional ? "-" + std::to_string(required + optional) : "") +
               " operands, has " + std::to_string(op.operands.size()));
    for (size_t i = 0; i < required; ++i)
      expect(op.operands[i] >= 0, "operand #" + std::to_string(i) + " is required");
  }

  int32_t optionalOperand(const OpDesc &op, size_t i) const {
    return i < op.operands.size() ? op.operands[i] : -1;
  }

  void ints(const OpDesc &op, size_t n) const {
    expect(op.ints.size() == n, "needs " + std::to_string(n) + " integer attributes, has " +
                                    std::to_string(op.ints.size()));
  }

  void checkOp(const OpDesc &op) {
    const Shape &out = arena(op.result, "result");
    expect(static_cast<uint8_t>(op.act) <= static_cast<uint8_t>(Activation::Reciprocal),
           "unknown activation");
    switch (op.kind) {
    case OpKind::Dense: {
      arity(op, 2, 2);
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
      arity(op, 2, 2);
      ints(op, 5);
      const Shape &x = arena(op.operands[0], "x");
      const Shape &w = fixed(op.operands[1], "weight");
      int64_t sh = op.ints[0], sw = op.ints[1], ph = op.ints[2], pw = op.ints[3],
              g = op.ints[4];
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
      arity(op, 3);
      const Shape &x = arena(op.operands[0], "x");
      expect(!x.empty() && out == x, "result must match the input");
      int64_t features = op.kind == OpKind::GroupNorm ? x[0] : x.back();
      expect(fixed(op.operands[1], "gamma") == Shape{features} &&
                 fixed(op.operands[2], "beta") == Shape{features},
             "gamma and beta must be [" + std::to_string(features) + "]");
      expect(op.floats.size() == 1 && op.floats[0] > 0 && std::isfinite(op.floats[0]),
             "needs a positive epsilon");
      if (op.kind == OpKind::GroupNorm) {
        ints(op, 1);
        expect(op.ints[0] >= 1 && x[0] % op.ints[0] == 0, "groups must divide channels");
      }
      break;
    }
    case OpKind::Attention: {
      arity(op, 3);
      ints(op, 1);
      const Shape &q = arena(op.operands[0], "q"), &k = arena(op.operands[1], "k"),
                  &v = arena(op.operands[2], "v");
      int64_t h = op.ints[0];
      expect(q.size() == 2 && k.size() == 2 && v.size() == 2 && q[1] == k[1] &&
                 k[0] == v[0] && h >= 1 && q[1] % h == 0 && v[1] % h == 0 &&
                 out == Shape{q[0], v[1]},
             "shapes q " + str(q) + ", k " + str(k) + ", v " + str(v) + " -> " + str(out) +
                 " do not fit attention");
      break;
    }
    case OpKind::Act:
    case OpKind::Copy: {
      arity(op, 1);
      const Shape &x = arena(op.operands[0], "x");
      expect(op.kind == OpKind::Act ? x == out : product(x) == product(out),
             "result " + str(out) + " does not fit input " + str(x));
      break;
    }
    case OpKind::Broadcast: {
      arity(op, 2);
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
      arity(op, 2);
      ints(op, 1);
      expect(op.ints[0] == 1 || op.ints[0] == 2, "the derivative's order must be 1 or 2");
      expect(arena(op.operands[0], "x") == out && arena(op.operands[1], "grad") == out,
             "operands must match the result");
      break;
    }
    case OpKind::Slice: {
      arity(op, 1);
      ints(op, 3);
      const Shape x = full(op.operands[0]);
      const int64_t axis = op.ints[0], offset = op.ints[1], size = op.ints[2];
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
      arity(op, 1);
      Shape y = full(op.operands[0]);
      for (int64_t axis : op.ints) {
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
      arity(op, 1, 1);
      ints(op, 1);
      const int64_t dim = op.ints[0];
      expect(dim > 0 && dim % 2 == 0, "the embedding's dim must be even and positive");
      expect(product(arena(op.operands[0], "t")) == 1, "embeds one time per sample");
      expect(out == Shape{dim}, "result " + str(out) + " should be [" + std::to_string(dim) + "]");
      const int32_t frequencies = optionalOperand(op, 1);
      if (frequencies >= 0)
        expect(product(fixed(frequencies, "frequencies")) == dim / 2,
               "needs dim / 2 frequencies");
      else
        expect(op.floats.size() == 1 && op.floats[0] > 0, "needs a positive max period");
      break;
    }
    case OpKind::RandUniform:
      expect(op.operands.empty(), "takes no operands");
      ints(op, 1);
      expect(op.ints[0] >= 0 && op.ints[0] < (int64_t{1} << 32), "draw out of range");
      expect(product(out) == 1, "draws one number per sample");
      break;
    case OpKind::MALAStep: {
      arity(op, 7);
      for (size_t i : {0, 1, 4, 5})
        expect(arena(op.operands[i], "state") == out, "states and scores must match the result");
      for (size_t i : {2, 3, 6})
        expect(product(arena(op.operands[i], "energy or uniform")) == 1,
               "energies and the uniform are one number per sample");
      expect(static_cast<int64_t>(op.floats.size()) == d.steps,
             "needs " + std::to_string(d.steps) + " step sizes");
      for (double f : op.floats)
        expect(std::isfinite(f) && f > 0, "step sizes must be finite and positive");
      break;
    }
    case OpKind::Add:
    case OpKind::Mul: {
      arity(op, 2);
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
      expect(!op.operands.empty(), "needs inputs");
      ints(op, 1);
      int64_t axis = op.ints[0] - 1; // in per-sample dims
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
      arity(op, 1);
      ints(op, 1);
      const Shape &x = arena(op.operands[0], "x");
      int64_t s = op.ints[0];
      expect(x.size() == 3 && s >= 1 && out == Shape{x[0], x[1] * s, x[2] * s},
             "result " + str(out) + " is not input " + str(x) + " upsampled");
      break;
    }
    case OpKind::AvgPool: {
      arity(op, 1);
      ints(op, 4);
      const Shape &x = arena(op.operands[0], "x");
      int64_t kh = op.ints[0], kw = op.ints[1], sh = op.ints[2], sw = op.ints[3];
      expect(x.size() == 3 && kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && x[1] >= kh &&
                 x[2] >= kw &&
                 out == Shape{x[0], (x[1] - kh) / sh + 1, (x[2] - kw) / sw + 1},
             "result " + str(out) + " does not fit pooling input " + str(x));
      break;
    }
    case OpKind::Transpose: {
      arity(op, 1);
      const Shape &x = arena(op.operands[0], "x");
      // The executor's transpose keeps its index in a fixed array of 8 (full rank).
      expect(x.size() <= 7, "transposes of more than 7 dims per sample are not supported");
      ints(op, x.size() + 1);
      expect(out.size() == x.size(), "result " + str(out) + " and input " + str(x) +
                                         " differ in rank");
      Shape sorted = op.ints;
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i)
        expect(sorted[i] == static_cast<int64_t>(i), "permutation is not one");
      expect(op.ints[0] == 0, "the batch must stay the leading dim");
      for (size_t i = 1; i < op.ints.size(); ++i)
        expect(out[i - 1] == x[op.ints[i] - 1], "result shape does not match the permutation");
      break;
    }
    case OpKind::Randn:
      expect(op.operands.empty(), "takes no operands");
      expect(op.ints.size() == 1 || (op.ints.size() == 2 && (op.ints[1] == 0 || op.ints[1] == 1)),
             "needs the draw and a 0/1 Rademacher flag");
      expect(op.ints[0] >= 0 && op.ints[0] < (int64_t{1} << 32), "draw out of range");
      break;
    case OpKind::AffineStep: {
      arity(op, 2, 1);
      for (size_t i = 0; i < op.operands.size(); ++i)
        if (op.operands[i] >= 0)
          expect(arena(op.operands[i], "state") == out, "operands must match the result");
      expect(static_cast<int64_t>(op.floats.size()) == 3 * d.steps,
             "needs 3 coefficient tables of " + std::to_string(d.steps) + " entries");
      for (double f : op.floats)
        expect(std::isfinite(f), "a coefficient is not finite");
      expect(!op.kernel.empty() || d.kernels.empty(), "names no kernel");
      break;
    }
    case OpKind::LangevinCorrector: {
      arity(op, 3);
      for (size_t i = 0; i < 3; ++i)
        expect(arena(op.operands[i], "state") == out, "operands must match the result");
      expect(static_cast<int64_t>(op.floats.size()) == d.steps + 1,
             "needs " + std::to_string(d.steps) + " alphas and the snr");
      for (double f : op.floats)
        expect(std::isfinite(f) && f >= 0, "alphas and snr must be finite and non-negative");
      break;
    }
    default:
      fail("unknown op kind " + std::to_string(static_cast<int>(op.kind)));
    }
  }

  const ModuleDesc &d;
  const std::string &origin;
  std::string where;
};

} // namespace

void verifyModule(const ModuleDesc &desc, const std::string &origin) {
  Checker(desc, origin).run();
}

} // namespace tweedie::module
