//===- OpAttrs.h - the typed attributes of each op kind -------------------===//
//
// A module op carries its attributes as two untyped vectors (`ints`,
// `floats`, as module.fbs stores them). These views are the one place that
// says which entry means what: the module builder writes through them, the
// verifier and every backend's kernels read through them.
//
// read() throws AttrLayoutError when the vectors do not have the view's
// layout (the verifier reports it as a format error naming the op); it
// checks sizes only, not values, which the verifier checks against shapes.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_MODULE_OPATTRS_H
#define TWEEDIE_MODULE_OPATTRS_H

#include "tweedie/module/ModuleDesc.h"

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace tweedie::module {

struct AttrLayoutError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

namespace detail {
/// Throws AttrLayoutError(what). Out of line (ModuleVerifier.cpp): the
/// compiler, built without exceptions, writes through these views too.
[[noreturn]] void attrLayoutError(const std::string &what);

/// Throws unless op has exactly `ints` integer and `floats` float attributes
/// (-1: any number).
inline void expectAttrs(const OpDesc &op, long ints, long floats) {
  auto count = [](long want, size_t have, const char *what) {
    if (want >= 0 && have != static_cast<size_t>(want))
      attrLayoutError("needs " + std::to_string(want) + " " + what + " attributes, has " +
                            std::to_string(have));
  };
  count(ints, op.ints.size(), "integer");
  count(floats, op.floats.size(), "float");
}
} // namespace detail

/// conv2d and its two gradients: ints {stride h, w, padding h, w, groups}.
struct Conv2DAttrs {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0};
  int64_t groups = 1;

  static Conv2DAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 5, -1);
    return {{op.ints[0], op.ints[1]}, {op.ints[2], op.ints[3]}, op.ints[4]};
  }
  void write(OpDesc &op) const {
    op.ints = {stride[0], stride[1], padding[0], padding[1], groups};
  }
};

/// group_norm: ints {groups}; floats {epsilon}.
struct GroupNormAttrs {
  int64_t groups = 1;
  double epsilon = 1e-5;

  static GroupNormAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 1, 1);
    return {op.ints[0], op.floats[0]};
  }
  void write(OpDesc &op) const {
    op.ints = {groups};
    op.floats = {epsilon};
  }
};

/// layer_norm: floats {epsilon}.
struct LayerNormAttrs {
  double epsilon = 1e-5;

  static LayerNormAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 0, 1);
    return {op.floats[0]};
  }
  void write(OpDesc &op) const { op.floats = {epsilon}; }
};

/// attention: ints {heads}.
struct AttentionAttrs {
  int64_t heads = 1;

  static AttentionAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 1, 0);
    return {op.ints[0]};
  }
  void write(OpDesc &op) const { op.ints = {heads}; }
};

/// Ops with one integer: concat {axis of the [B, ...] tensor}, upsample
/// {scale}, act_grad {order 1 or 2}, rand_uniform {draw}.
struct IntAttr {
  int64_t value = 0;

  static IntAttr read(const OpDesc &op) {
    detail::expectAttrs(op, 1, 0);
    return {op.ints[0]};
  }
  void write(OpDesc &op) const { op.ints = {value}; }
};

/// avg_pool: ints {kernel h, w, stride h, w}.
struct AvgPoolAttrs {
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1};

  static AvgPoolAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 4, 0);
    return {{op.ints[0], op.ints[1]}, {op.ints[2], op.ints[3]}};
  }
  void write(OpDesc &op) const { op.ints = {kernel[0], kernel[1], stride[0], stride[1]}; }
};

/// Ops whose ints are one list: transpose {the permutation of the full
/// shape, [0] = 0}, reduce_sum {the axes of the full shape}.
struct IntListAttr {
  std::span<const int64_t> values;

  static IntListAttr read(const OpDesc &op) {
    detail::expectAttrs(op, -1, 0);
    return {op.ints};
  }
};

/// randn: ints {draw, rademacher?} (1: the signs of the normals).
struct RandnAttrs {
  int64_t draw = 0;
  bool rademacher = false;

  static RandnAttrs read(const OpDesc &op) {
    if (op.ints.size() != 1 && op.ints.size() != 2)
      detail::attrLayoutError("needs the draw and a 0/1 Rademacher flag");
    detail::expectAttrs(op, -1, 0);
    return {op.ints[0], op.ints.size() > 1 && op.ints[1] != 0};
  }
  void write(OpDesc &op) const { op.ints = {draw, rademacher ? 1 : 0}; }
};

/// affine_step: floats {a[steps], b[steps], c[steps]}; the op's `kernel`
/// names its generated function.
struct AffineStepAttrs {
  std::span<const double> a, b, c;

  static AffineStepAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 0, -1);
    const size_t n = op.floats.size() / 3;
    if (n * 3 != op.floats.size())
      detail::attrLayoutError("needs 3 coefficient tables of equal length");
    std::span<const double> f = op.floats;
    return {f.subspan(0, n), f.subspan(n, n), f.subspan(2 * n, n)};
  }
  /// The three tables, one after the other.
  static void write(OpDesc &op, std::span<const double> a, std::span<const double> b,
                    std::span<const double> c) {
    op.floats.assign(a.begin(), a.end());
    op.floats.insert(op.floats.end(), b.begin(), b.end());
    op.floats.insert(op.floats.end(), c.begin(), c.end());
  }
};

/// langevin_corrector: floats {alpha[steps], snr}.
struct LangevinCorrectorAttrs {
  std::span<const double> alpha;
  double snr = 0;

  static LangevinCorrectorAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 0, -1);
    if (op.floats.empty())
      detail::attrLayoutError("needs its alphas and the snr");
    std::span<const double> f = op.floats;
    return {f.first(f.size() - 1), f.back()};
  }
  static void write(OpDesc &op, std::span<const double> alpha, double snr) {
    op.floats.assign(alpha.begin(), alpha.end());
    op.floats.push_back(snr);
  }
};

/// mala_step: floats {eta[steps]}.
struct MALAStepAttrs {
  std::span<const double> stepSize;

  static MALAStepAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 0, -1);
    return {op.floats};
  }
  static void write(OpDesc &op, std::span<const double> stepSize) {
    op.floats.assign(stepSize.begin(), stepSize.end());
  }
};

/// slice and pad: ints {axis of the full shape, offset / before, size / after}.
struct AxisRangeAttrs {
  int64_t axis = 0, first = 0, second = 0;

  static AxisRangeAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 3, 0);
    return {op.ints[0], op.ints[1], op.ints[2]};
  }
  void write(OpDesc &op) const { op.ints = {axis, first, second}; }
};

/// time_embedding: ints {dim}; floats {max period} (read when the op has no
/// frequencies operand: the sinusoidal family).
struct TimeEmbeddingAttrs {
  int64_t dim = 0;
  double maxPeriod = 0;

  static TimeEmbeddingAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 1, -1);
    if (op.floats.size() > 1)
      detail::attrLayoutError("needs at most one float attribute (the max period)");
    return {op.ints[0], op.floats.empty() ? 0.0 : op.floats[0]};
  }
  void write(OpDesc &op) const {
    op.ints = {dim};
    op.floats = {maxPeriod};
  }
};

/// scale: floats {factor, shift}.
struct ScaleAttrs {
  double factor = 1, shift = 0;

  static ScaleAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 0, 2);
    return {op.floats[0], op.floats[1]};
  }
  void write(OpDesc &op) const { op.floats = {factor, shift}; }
};

/// interpolate: ints {discrete 0/1}; floats {the table}.
struct InterpolateAttrs {
  std::span<const double> table;
  bool discrete = false;

  static InterpolateAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 1, -1);
    return {op.floats, op.ints[0] != 0};
  }
  static void write(OpDesc &op, std::span<const double> table, bool discrete) {
    op.ints = {discrete ? 1 : 0};
    op.floats.assign(table.begin(), table.end());
  }
};

/// attention_grad: ints {heads, dq, dk, dv}: the values its cotangents go
/// to, -1 for one not read; the op's result is the first of them.
struct AttentionGradAttrs {
  int64_t heads = 1;
  std::array<int64_t, 3> cotangents{-1, -1, -1};

  static AttentionGradAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 4, 0);
    return {op.ints[0], {op.ints[1], op.ints[2], op.ints[3]}};
  }
  void write(OpDesc &op) const {
    op.ints = {heads, cotangents[0], cotangents[1], cotangents[2]};
  }
};

/// group_norm_grad: ints {groups, d input, d gamma, d beta}: the values its
/// cotangents go to, -1 for one not read (the op's result is the first of
/// them); floats {epsilon}.
struct GroupNormGradAttrs {
  int64_t groups = 1;
  double epsilon = 1e-5;
  std::array<int64_t, 3> cotangents{-1, -1, -1};

  static GroupNormGradAttrs read(const OpDesc &op) {
    detail::expectAttrs(op, 4, 1);
    return {op.ints[0], op.floats[0], {op.ints[1], op.ints[2], op.ints[3]}};
  }
  void write(OpDesc &op) const {
    op.ints = {groups, cotangents[0], cotangents[1], cotangents[2]};
    op.floats = {epsilon};
  }
};

/// The values an op writes besides its result (the further cotangents of the
/// multi-result gradient ops, -1 for one not read), for the memory planner.
inline std::array<int64_t, 3> furtherResults(const OpDesc &op) {
  switch (op.kind) {
  case OpKind::AttentionGrad: return AttentionGradAttrs::read(op).cotangents;
  case OpKind::GroupNormGrad: return GroupNormGradAttrs::read(op).cotangents;
  default: return {-1, -1, -1};
  }
}

} // namespace tweedie::module

#endif
