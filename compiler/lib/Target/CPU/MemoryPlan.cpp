//===- MemoryPlan.cpp - liveness and first-fit placement ------------------===//
#include "tweedie/Target/CPU/MemoryPlan.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include <map>

using namespace mlir;

namespace tweedie {

std::optional<int64_t> perSampleBytes(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.getRank() < 1 || !ranked.isDynamicDim(0))
    return std::nullopt;
  int64_t elements = 1;
  for (int64_t d : ranked.getShape().drop_front()) {
    if (ShapedType::isDynamic(d))
      return std::nullopt;
    elements *= d;
  }
  return elements * static_cast<int64_t>(ranked.getElementTypeBitWidth() / 8);
}

namespace {

int64_t alignUp(int64_t n) {
  return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

/// Free space of the arena as disjoint [offset, offset+size) ranges.
class FreeList {
public:
  int64_t allocate(int64_t size, int64_t &top) {
    for (auto it = ranges.begin(); it != ranges.end(); ++it) {
      if (it->second < size)
        continue;
      int64_t offset = it->first, left = it->second - size;
      ranges.erase(it);
      if (left > 0)
        ranges[offset + size] = left;
      return offset;
    }
    // Grow the arena, extending a free range that ends at its top.
    if (!ranges.empty()) {
      auto last = std::prev(ranges.end());
      if (last->first + last->second == top) {
        int64_t offset = last->first;
        ranges.erase(last);
        top = offset + size;
        return offset;
      }
    }
    int64_t offset = top;
    top += size;
    return offset;
  }

  void release(int64_t offset, int64_t size) {
    auto next = ranges.lower_bound(offset);
    if (next != ranges.end() && offset + size == next->first) {
      size += next->second;
      next = ranges.erase(next);
    }
    if (next != ranges.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        prev->second += size;
        return;
      }
    }
    ranges[offset] = size;
  }

private:
  std::map<int64_t, int64_t> ranges;
};

} // namespace

Block *plannedBody(Operation *op) {
  if (auto loop = dyn_cast<sampler::LoopOp>(op))
    return &loop.getBody().front();
  if (auto integrate = dyn_cast<sampler::OdeIntegrateOp>(op))
    return &integrate.getVelocity().front();
  return nullptr;
}

Block::BlockArgListType carriedArguments(Operation *op) {
  Block *body = plannedBody(op);
  return isa<sampler::LoopOp>(op) ? body->getArguments().drop_front() : body->getArguments();
}

FailureOr<LoopMemoryPlan> planBodyMemory(Operation *loop) {
  Block &body = *plannedBody(loop);
  // Program points: iteration arguments are defined at 0, op k at k + 1, and
  // the terminator (which reads the carried values) is the last point.
  llvm::DenseMap<Operation *, int64_t> position;
  int64_t point = 1;
  for (Operation &op : body)
    position[&op] = point++;
  const int64_t end = point;

  // Storage owner of each value: an alias (reshape) resolves to its source.
  auto ownerOf = [&](Value v) {
    while (auto reshape = v.getDefiningOp<score::ReshapeOp>())
      if (perSampleBytes(reshape.getInput().getType()))
        v = reshape.getInput();
      else
        break;
    return v;
  };
  llvm::DenseMap<Value, int64_t> lastUse;
  auto extend = [&](Value v, int64_t at) {
    Value owner = ownerOf(v);
    lastUse[owner] = std::max(lastUse.lookup(owner), at);
  };

  LoopMemoryPlan plan;
  SmallVector<Value> candidates(carriedArguments(loop));
  for (Operation &op : body)
    for (Value r : op.getResults())
      candidates.push_back(r);
  for (Value v : candidates) {
    Type type = v.getType();
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked || !ranked.hasRank() || ranked.getNumDynamicDims() == 0)
      continue;
    if (!perSampleBytes(type)) {
      Operation *at = v.getDefiningOp() ? v.getDefiningOp() : loop;
      return at->emitError("cannot plan memory for ")
             << type << ": only the leading (batch) dim may be dynamic";
    }
    extend(v, isa<BlockArgument>(v) ? end : position[v.getDefiningOp()]);
    for (OpOperand &use : v.getUses()) {
      Operation *user = body.findAncestorOpInBlock(*use.getOwner());
      extend(v, user ? position[user] : end);
    }
  }

  FreeList free;
  int64_t top = 0;
  // Values whose last use has passed are released before each op allocates;
  // values last used by the op itself are released after, so an op never
  // writes over its own operands.
  std::multimap<int64_t, Value> expiring;
  auto place = [&](Value v) {
    int64_t size = alignUp(*perSampleBytes(v.getType()));
    int64_t offset = free.allocate(size, top);
    plan.offsets[v] = offset;
    plan.values.push_back(v);
    plan.unplannedBytesPerSample += size;
    expiring.insert({lastUse[v], v});
  };
  auto releaseThrough = [&](int64_t at) {
    while (!expiring.empty() && expiring.begin()->first <= at) {
      Value v = expiring.begin()->second;
      free.release(plan.offsets[v], alignUp(*perSampleBytes(v.getType())));
      expiring.erase(expiring.begin());
    }
  };
  for (Value arg : carriedArguments(loop))
    if (lastUse.count(arg))
      place(arg);
  for (Operation &op : body) {
    releaseThrough(position[&op] - 1);
    for (Value r : op.getResults()) {
      if (!lastUse.count(ownerOf(r)))
        continue;
      if (ownerOf(r) != r)
        continue; // an alias: offset assigned below
      place(r);
    }
  }
  for (Value v : candidates)
    if (!plan.offsets.count(v) && plan.offsets.count(ownerOf(v)))
      plan.offsets[v] = plan.offsets[ownerOf(v)];
  plan.bytesPerSample = top;
  return plan;
}

} // namespace tweedie
