//===- ChannelsLast.cpp - the layout groups of a CPU module ---------------===//
#include "tweedie/Target/CPU/ChannelsLast.h"
#include "tweedie/module/Layout.h"
#include "tweedie/module/OpAttrs.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace tweedie {

namespace {

using module::OpKind;
using module::ValueKind;

/// Values that must share a layout, with what each group has met: something
/// that reads plain layout only, or a convolution that would reorder.
class LayoutGroups {
public:
  explicit LayoutGroups(const module::ModuleDesc &desc)
      : desc_(desc), parent_(desc.values.size()), plain_(desc.values.size()),
        convolved_(desc.values.size()) {
    std::iota(parent_.begin(), parent_.end(), 0);
    // Constants lie as they were written.
    for (size_t v = 0; v < desc.values.size(); ++v)
      if (desc.values[v].kind == ValueKind::Constant ||
          desc.values[v].kind == ValueKind::TableRow)
        requirePlain(static_cast<int32_t>(v));
  }

  /// [N, C, ...]: an arena value's batch included.
  std::vector<int64_t> fullShape(int32_t v) const {
    std::vector<int64_t> shape = desc_.values[v].shape;
    if (desc_.values[v].kind == ValueKind::Arena)
      shape.insert(shape.begin(), 1);
    return shape;
  }

  void unite(int32_t a, int32_t b) {
    if (a < 0 || b < 0)
      return;
    a = find(a);
    b = find(b);
    if (a == b)
      return;
    parent_[b] = a;
    plain_[a] = plain_[a] || plain_[b];
    convolved_[a] = convolved_[a] || convolved_[b];
  }

  /// Read in plain layout: a constraint only where the layouts differ.
  void requirePlain(int32_t v) {
    if (v >= 0 && !module::layoutIsTrivial(fullShape(v)))
      plain_[find(v)] = true;
  }

  /// Read or written by a convolution (or its gradients).
  void convolved(int32_t v) {
    if (v >= 0)
      convolved_[find(v)] = true;
  }

  bool channelsLast(int32_t v) {
    const int32_t root = find(v);
    return convolved_[root] && !plain_[root] && fullShape(v).size() >= 3;
  }

private:
  int32_t find(int32_t v) {
    while (parent_[v] != v)
      v = parent_[v] = parent_[parent_[v]];
    return v;
  }

  const module::ModuleDesc &desc_;
  std::vector<int32_t> parent_;
  std::vector<char> plain_, convolved_;
};

/// Whether `to` regroups only the axes after the channels of `from` (the
/// same batch and channels): then both layouts keep the same bytes.
bool keepsChannels(const std::vector<int64_t> &from, const std::vector<int64_t> &to) {
  return from.size() >= 2 && to.size() >= 2 && from[0] == to[0] && from[1] == to[1];
}

/// A reshape, aliased or copied: one group when it keeps the channels, else
/// both sides plain.
void reshape(LayoutGroups &groups, int32_t from, int32_t to) {
  if (keepsChannels(groups.fullShape(from), groups.fullShape(to))) {
    groups.unite(from, to);
    return;
  }
  groups.requirePlain(from);
  groups.requirePlain(to);
}

/// Every value an op reads or writes.
std::vector<int32_t> touched(const module::OpDesc &op) {
  std::vector<int32_t> values(op.operands.begin(), op.operands.end());
  values.push_back(op.result);
  for (int64_t v : module::furtherResults(op))
    values.push_back(static_cast<int32_t>(v));
  return values;
}

/// An op whose operands and result line up element for element, or by
/// broadcasting: one group. A lower-rank operand is aligned from the right
/// (NumPy), so its kernel reads it in the result's layout after padding its
/// shape with leading ones; that reads the same bytes only if the padded
/// shape's layouts agree ([C, 1, 1] against [N, C, H, W] does, [W] does not).
void sameLayout(LayoutGroups &groups, const module::OpDesc &op,
                std::span<const int32_t> operands) {
  const std::vector<int64_t> result = groups.fullShape(op.result);
  for (int32_t v : operands) {
    if (v < 0)
      continue;
    std::vector<int64_t> padded = groups.fullShape(v);
    if (padded.size() == result.size()) {
      groups.unite(op.result, v);
      continue;
    }
    padded.insert(padded.begin(), result.size() - std::min(padded.size(), result.size()), 1);
    if (!module::layoutIsTrivial(padded))
      groups.requirePlain(op.result);
  }
}

void constrain(LayoutGroups &groups, const module::OpDesc &op) {
  const std::vector<int32_t> &in = op.operands;
  auto operand = [&](size_t i) { return i < in.size() ? in[i] : -1; };
  switch (op.kind) {
  case OpKind::Conv2D: // [x, w, bias?, residual?]: x and the result may differ
    groups.convolved(in[0]);
    groups.convolved(op.result);
    groups.unite(op.result, operand(3));
    return;
  case OpKind::Conv2DBackwardData: // [grad, weight] -> d input
    groups.convolved(in[0]);
    groups.convolved(op.result);
    return;
  case OpKind::Conv2DBackwardWeight: // [input, grad] -> d weight
    groups.convolved(in[0]);
    groups.convolved(in[1]);
    groups.requirePlain(op.result);
    return;
  case OpKind::GroupNorm:
  case OpKind::Upsample:
  case OpKind::ReduceSum:
  case OpKind::Slice:
  case OpKind::Pad:
    groups.unite(op.result, in[0]);
    return;
  case OpKind::GroupNormGrad: { // [x, gamma, grad] -> d x (first cotangent)
    const int64_t dx = module::GroupNormGradAttrs::read(op).cotangents[0];
    groups.unite(in[0], in[2]);
    groups.unite(in[0], static_cast<int32_t>(dx));
    return;
  }
  case OpKind::Concat:
  case OpKind::Act:
  case OpKind::ActGrad:
  case OpKind::Add:
  case OpKind::Mul:
  case OpKind::Scale:
  case OpKind::AffineStep:
  case OpKind::LangevinCorrector:
    sameLayout(groups, op, in);
    return;
  case OpKind::Broadcast: // [x, like]: like lends its shape only
    sameLayout(groups, op, std::span(in).first(1));
    return;
  case OpKind::Copy:
    if (groups.fullShape(in[0]) == groups.fullShape(op.result))
      groups.unite(op.result, in[0]);
    else
      reshape(groups, in[0], op.result);
    return;
  case OpKind::Transpose: // its kernel maps any layouts
    return;
  default: // dense, attention, the noise, ...: plain layout only
    for (int32_t v : touched(op))
      groups.requirePlain(v);
    return;
  }
}

} // namespace

int64_t assignChannelsLast(module::ModuleDesc &desc, std::span<const ValueView> views) {
  LayoutGroups groups(desc);
  for (const module::OpDesc &op : desc.body)
    constrain(groups, op);
  for (const auto &[source, view] : views)
    reshape(groups, source, view);
  // What the host writes or reads lies as it expects.
  for (int32_t v : {desc.state, desc.nextState})
    groups.requirePlain(v);
  for (const std::vector<int32_t> *list : {&desc.extraStates, &desc.nextExtraStates})
    for (int32_t v : *list)
      groups.requirePlain(v);
  if (desc.integrator)
    groups.requirePlain(desc.integrator->time);
  if (const auto &t = desc.training) {
    for (int32_t v : {t->loss, t->labels, t->output})
      groups.requirePlain(v);
    for (int32_t v : t->gradients)
      groups.requirePlain(v);
  }
  int64_t count = 0;
  for (size_t v = 0; v < desc.values.size(); ++v) {
    const bool last = groups.channelsLast(static_cast<int32_t>(v));
    desc.values[v].channelsLast = last;
    count += last;
  }
  return count;
}

} // namespace tweedie
