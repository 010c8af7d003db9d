//===- WholeBatchMemoryPlan.cpp ---------------------------------------------===//
#include "tweedie/Target/CPU/WholeBatchMemoryPlan.h"
#include "tweedie/module/OpAttrs.h"

#include <algorithm>
#include <limits>
#include <map>
#include <vector>

namespace tweedie {

namespace {

constexpr int64_t kAlignment = 64;
int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

/// One piece of storage: the values at one builder offset (a value and its
/// views), its size and the ops during which it must hold its bytes.
struct Storage {
  int64_t bytes = 0;
  int64_t first = std::numeric_limits<int64_t>::max(), last = -1;
  int64_t offset = -1;
  void touch(int64_t at) {
    first = std::min(first, at);
    last = std::max(last, at);
  }
};

/// First fit of `storages` (of one kind) by interval; returns the bytes used.
int64_t place(std::vector<Storage *> &storages) {
  std::sort(storages.begin(), storages.end(), [](const Storage *a, const Storage *b) {
    return a->first != b->first ? a->first < b->first : a->bytes > b->bytes;
  });
  std::vector<Storage *> placed;
  int64_t end = 0;
  for (Storage *s : storages) {
    // The live placed blocks that overlap s in time, by offset.
    std::vector<Storage *> busy;
    for (Storage *p : placed)
      if (p->first <= s->last && s->first <= p->last)
        busy.push_back(p);
    std::sort(busy.begin(), busy.end(),
              [](const Storage *a, const Storage *b) { return a->offset < b->offset; });
    int64_t at = 0;
    for (Storage *p : busy) {
      if (at + s->bytes <= p->offset)
        break;
      at = std::max(at, p->offset + p->bytes);
    }
    s->offset = at;
    end = std::max(end, at + s->bytes);
    placed.push_back(s);
  }
  return end;
}

} // namespace

WholeBatchMemoryStats planWholeBatchMemory(module::ModuleDesc &desc) {
  using module::ValueKind;
  WholeBatchMemoryStats stats;
  stats.arenaBytesBefore = desc.arenaBytesPerSample;
  stats.wholeBytesBefore = desc.training->wholeBytes;
  // Storage by (kind, builder offset): a view shares its source's offset.
  std::map<std::pair<ValueKind, int64_t>, Storage> storages;
  auto storageOf = [&](int32_t value) -> Storage * {
    if (value < 0)
      return nullptr;
    const module::ValueDesc &v = desc.values[value];
    if (v.kind != ValueKind::Arena && v.kind != ValueKind::Whole)
      return nullptr;
    Storage &s = storages[{v.kind, v.offset}];
    s.bytes = std::max(s.bytes, aligned(v.numel() * 4));
    return &s;
  };
  const int64_t end = static_cast<int64_t>(desc.body.size());
  for (int32_t v = 0; v < static_cast<int32_t>(desc.values.size()); ++v)
    storageOf(v); // sizes
  for (int64_t i = 0; i < end; ++i) {
    const module::OpDesc &op = desc.body[i];
    for (int32_t operand : op.operands)
      if (Storage *s = storageOf(operand))
        s->touch(i);
    if (Storage *s = storageOf(op.result))
      s->touch(i);
    for (int64_t c : module::furtherResults(op))
      if (Storage *s = storageOf(static_cast<int32_t>(c)))
        s->touch(i);
  }
  // What the host writes before the run or reads after it lives throughout.
  auto pin = [&](int32_t value) {
    if (Storage *s = storageOf(value)) {
      s->touch(0);
      s->touch(end);
    }
  };
  pin(desc.state);
  pin(desc.training->labels);
  pin(desc.training->loss);
  pin(desc.training->output);
  for (int32_t g : desc.training->gradients)
    pin(g);
  for (auto &[key, s] : storages)
    if (s.last < 0) // never touched: keep it out of everyone's way
      s.touch(0), s.touch(end);

  for (ValueKind kind : {ValueKind::Arena, ValueKind::Whole}) {
    std::vector<Storage *> group;
    for (auto &[key, s] : storages)
      if (key.first == kind)
        group.push_back(&s);
    const int64_t bytes = place(group);
    (kind == ValueKind::Arena ? desc.arenaBytesPerSample : desc.training->wholeBytes) = bytes;
  }
  for (module::ValueDesc &v : desc.values)
    if (v.kind == ValueKind::Arena || v.kind == ValueKind::Whole)
      v.offset = storages.at({v.kind, v.offset}).offset;
  stats.arenaBytesAfter = desc.arenaBytesPerSample;
  stats.wholeBytesAfter = desc.training->wholeBytes;
  return stats;
}

} // namespace tweedie
