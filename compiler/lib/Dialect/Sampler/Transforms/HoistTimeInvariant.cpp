//===- HoistTimeInvariant.cpp - time-only work -> per-step tables ---------===//
//
// A score network conditions on the time through a chain that never sees the
// state: timestep -> time embedding -> time MLP -> per-block projections. In
// a sampler loop that chain has one value per step, the same for every sample,
// so it moves into a `sampler.precompute` evaluated once per step when the
// weights are bound, and the loop reads rows of the resulting tables.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEHOISTTIMEINVARIANT
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

/// Constants a hoisted op may read: cloned into the precompute body as needed.
bool isFree(Value v) {
  Operation *def = v.getDefiningOp();
  return def && isa<score::ParamOp, arith::ConstantOp>(def);
}

/// The consumers that take a batch-1 row in place of a [B, ...] value: the
/// broadcasting ops whose other operand keeps the batch (with only rows and
/// constants to read, the result would be batch 1 too, not its [B, ...] type).
bool broadcasts(Operation *user, const llvm::SetVector<Operation *> &hoisted) {
  return isa<score::AddOp, score::MulOp>(user) && llvm::any_of(user->getOperands(), [&](Value v) {
           return !isFree(v) && !(v.getDefiningOp() && hoisted.contains(v.getDefiningOp()));
         });
}

/// Time-only ops that may run in a precompute: score ops without regions, and
/// the table reads of a network's conditioning adapter.
bool hoistable(Operation &op) {
  if (isa<sampler::InterpolateOp>(op))
    return true;
  return isa<score::ScoreDialect>(op.getDialect()) && !isa<score::ParamOp>(op) &&
         op.getNumRegions() == 0;
}

/// `type` at batch 1: every dynamic dim (the batch) becomes 1.
Type atBatchOne(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return type;
  SmallVector<int64_t> shape(ranked.getShape());
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = 1;
  return RankedTensorType::get(shape, ranked.getElementType());
}

/// The loop-body ops that depend on the step but not on the state, such that
/// every value leaving the set reaches only broadcasting consumers.
llvm::SetVector<Operation *> timeOnlyOps(sampler::LoopOp loop) {
  llvm::SetVector<Operation *> set;
  Block &body = loop.getBody().front();
  for (Operation &op : body.without_terminator()) {
    if (isa<sampler::TimestepOp>(op)) {
      set.insert(&op);
      continue;
    }
    if (!hoistable(op))
      continue;
    bool anyTime = false, allAvailable = true;
    for (Value v : op.getOperands()) {
      bool time = v.getDefiningOp() && set.contains(v.getDefiningOp());
      anyTime |= time;
      allAvailable &= time || isFree(v);
    }
    if (anyTime && allAvailable)
      set.insert(&op);
  }
  // Shrink to a fixpoint: a value leaving the set must reach only consumers
  // that broadcast, and a member must read only members and constants.
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *op : llvm::to_vector(set)) {
      bool keep = true;
      for (Value v : op->getOperands())
        if (!isFree(v) && !(v.getDefiningOp() && set.contains(v.getDefiningOp())) &&
            !isa<sampler::TimestepOp>(op))
          keep = false;
      for (Operation *user : op->getUsers())
        if (!set.contains(user) && !broadcasts(user, set))
          keep = false;
      if (!keep) {
        set.remove(op);
        changed = true;
      }
    }
  }
  return set;
}

/// Builds the precompute body for `hoisted` and returns the op, placed before
/// `loop`; `rows` receives the in-loop values its results replace, in order.
sampler::PrecomputeOp buildPrecompute(sampler::LoopOp loop,
                                      const llvm::SetVector<Operation *> &hoisted,
                                      SmallVectorImpl<Value> &rows) {
  MLIRContext *ctx = loop.getContext();
  auto *block = new Block();
  Value step = block->addArgument(IndexType::get(ctx), loop.getLoc());
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(block);
  IRMapping mapping;
  auto operandIn = [&](Value v) {
    if (!mapping.contains(v) && isFree(v))
      mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  };
  for (Operation *op : hoisted) {
    if (auto ts = dyn_cast<sampler::TimestepOp>(op)) {
      auto type = RankedTensorType::get({1}, b.getF32Type());
      mapping.map(ts.getResult(), b.create<sampler::TimeValueOp>(
                                       ts.getLoc(), type, step, ts.getValuesAttr()));
      continue;
    }
    for (Value v : op->getOperands())
      operandIn(v);
    Operation *copy = b.clone(*op, mapping);
    for (Value result : copy->getResults())
      result.setType(atBatchOne(result.getType()));
  }
  SmallVector<Value> yielded;
  SmallVector<Type> tableTypes;
  for (Operation *op : hoisted)
    for (Value v : op->getResults())
      if (llvm::any_of(v.getUsers(), [&](Operation *u) { return !hoisted.contains(u); })) {
        rows.push_back(v);
        Value row = mapping.lookup(v);
        yielded.push_back(row);
        auto type = cast<RankedTensorType>(row.getType());
        SmallVector<int64_t> shape = {static_cast<int64_t>(loop.getSteps())};
        llvm::append_range(shape, type.getShape());
        tableTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
      }
  b.create<sampler::YieldOp>(loop.getLoc(), yielded);

  OpBuilder outside(loop);
  auto pre = outside.create<sampler::PrecomputeOp>(loop.getLoc(), tableTypes,
                                                   loop.getStepsAttr());
  pre.getBody().push_back(block);
  return pre;
}

/// A row added to a dense/conv2d output without epilogue, per channel: the
/// row joins the op's bias. Returns the op and its bias (null when absent).
struct BiasFold {
  score::AddOp add;
  Operation *producer;
  sampler::TableRowOp row;
};

std::optional<BiasFold> matchBiasFold(score::AddOp add) {
  auto row = add.getRhs().getDefiningOp<sampler::TableRowOp>();
  Value other = add.getLhs();
  if (!row) {
    row = add.getLhs().getDefiningOp<sampler::TableRowOp>();
    other = add.getRhs();
  }
  Operation *producer = other.getDefiningOp();
  if (!row || !producer || !producer->hasOneUse())
    return std::nullopt;
  auto out = cast<RankedTensorType>(other.getType());
  auto rowShape = row.getType().getShape();
  int64_t channelAxis;
  if (auto dense = dyn_cast<score::DenseOp>(producer)) {
    if (dense.getResidual() || dense.getActivationAttr())
      return std::nullopt;
    channelAxis = out.getRank() - 1;
  } else if (auto conv = dyn_cast<score::Conv2DOp>(producer)) {
    if (conv.getResidual() || conv.getActivationAttr())
      return std::nullopt;
    channelAxis = 1;
  } else {
    return std::nullopt;
  }
  if (static_cast<int64_t>(rowShape.size()) != out.getRank() ||
      add.getType() != out)
    return std::nullopt;
  for (auto [axis, d] : llvm::enumerate(rowShape))
    if (static_cast<int64_t>(axis) == channelAxis ? d != out.getDimSize(axis) : d != 1)
      return std::nullopt;
  return BiasFold{add, producer, row};
}

Value biasOf(Operation *op) {
  if (auto dense = dyn_cast<score::DenseOp>(op))
    return dense.getBias();
  return cast<score::Conv2DOp>(op).getBias();
}

void setBias(Operation *op, Value bias) {
  if (auto dense = dyn_cast<score::DenseOp>(op))
    dense.getBiasMutable().assign(bias);
  else
    cast<score::Conv2DOp>(op).getBiasMutable().assign(bias);
}

/// `pre` rebuilt to yield `yielded` (typed `types`); its old result k is
/// replaced by new result newIndex[k] (-1: the old result has no uses).
sampler::PrecomputeOp rebuildPrecompute(sampler::PrecomputeOp pre,
                                        ArrayRef<Value> yielded, ArrayRef<Type> types,
                                        ArrayRef<int> newIndex) {
  auto yield = cast<sampler::YieldOp>(pre.getBody().front().getTerminator());
  OpBuilder(yield).create<sampler::YieldOp>(yield.getLoc(), yielded);
  yield.erase();
  OpBuilder outside(pre);
  auto rebuilt = outside.create<sampler::PrecomputeOp>(pre.getLoc(), types,
                                                       pre.getStepsAttr());
  rebuilt.getBody().takeBody(pre.getBody());
  for (auto [k, from] : llvm::enumerate(pre.getResults()))
    if (newIndex[k] >= 0)
      from.replaceAllUsesWith(rebuilt.getResult(newIndex[k]));
  pre.erase();
  return rebuilt;
}

/// Appends one bias table per fold to `pre` (bias + row, computed in its
/// body) and rewires the producers; returns the rebuilt precompute op.
sampler::PrecomputeOp foldBiases(sampler::LoopOp loop, sampler::PrecomputeOp pre,
                                 ArrayRef<BiasFold> folds) {
  if (folds.empty())
    return pre;
  auto yield = cast<sampler::YieldOp>(pre.getBody().front().getTerminator());
  OpBuilder b(yield);
  SmallVector<Value> yielded(yield.getValues());
  SmallVector<Type> types(pre.getResultTypes());
  for (BiasFold fold : folds) {
    Value row = yielded[cast<OpResult>(fold.row.getTable()).getResultNumber()];
    auto out = cast<RankedTensorType>(fold.producer->getResult(0).getType());
    int64_t channels =
        out.getDimSize(isa<score::Conv2DOp>(fold.producer) ? 1 : out.getRank() - 1);
    auto vector = RankedTensorType::get({channels}, b.getF32Type());
    Value bias = b.create<score::ReshapeOp>(fold.add.getLoc(), vector, row);
    if (Value old = biasOf(fold.producer))
      bias = b.create<score::AddOp>(fold.add.getLoc(), vector,
                                    b.clone(*old.getDefiningOp())->getResult(0), bias);
    yielded.push_back(bias);
    types.push_back(RankedTensorType::get(
        {static_cast<int64_t>(loop.getSteps()), channels}, b.getF32Type()));
  }
  SmallVector<int> same(pre.getNumResults());
  std::iota(same.begin(), same.end(), 0);
  sampler::PrecomputeOp rebuilt = rebuildPrecompute(pre, yielded, types, same);

  for (auto [k, foldRef] : llvm::enumerate(folds)) {
    BiasFold fold = foldRef;
    Value table = rebuilt.getResult(types.size() - folds.size() + k);
    OpBuilder in(fold.producer);
    auto biasRow = in.create<sampler::TableRowOp>(
        fold.add.getLoc(),
        RankedTensorType::get(cast<RankedTensorType>(table.getType()).getShape().drop_front(),
                              in.getF32Type()),
        table, loop.getStepIndex());
    setBias(fold.producer, biasRow);
    fold.add.getResult().replaceAllUsesWith(fold.producer->getResult(0));
    fold.add.erase();
  }
  return rebuilt;
}

/// Erases ops of `block` that nothing uses and that have no effects.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

struct HoistTimeInvariantPass
    : public tweedie::impl::TweedieHoistTimeInvariantBase<HoistTimeInvariantPass> {
  void runOnOperation() override {
    SmallVector<sampler::LoopOp> loops;
    getOperation().walk([&](sampler::LoopOp loop) { loops.push_back(loop); });
    for (sampler::LoopOp loop : loops) {
      llvm::SetVector<Operation *> hoisted = timeOnlyOps(loop);
      if (hoisted.empty())
        continue;
      SmallVector<Value> rows;
      sampler::PrecomputeOp pre = buildPrecompute(loop, hoisted, rows);
      Block &body = loop.getBody().front();
      OpBuilder in = OpBuilder::atBlockBegin(&body);
      for (auto [k, value] : llvm::enumerate(rows)) {
        auto tableType = cast<RankedTensorType>(pre.getResult(k).getType());
        auto row = in.create<sampler::TableRowOp>(
            value.getLoc(),
            RankedTensorType::get(tableType.getShape().drop_front(),
                                  tableType.getElementType()),
            pre.getResult(k), loop.getStepIndex());
        value.replaceUsesWithIf(row, [&](OpOperand &use) {
          return !hoisted.contains(use.getOwner());
        });
      }
      for (Operation *op : llvm::reverse(hoisted))
        op->erase();

      SmallVector<BiasFold> folds;
      for (Operation &op : body)
        if (auto add = dyn_cast<score::AddOp>(op))
          if (auto fold = matchBiasFold(add))
            folds.push_back(*fold);
      pre = foldBiases(loop, pre, folds);
      eraseDeadOps(body);
      eraseDeadOps(pre.getBody().front());
      // Tables no row reads any more (fully folded into biases) go too.
      auto yield = cast<sampler::YieldOp>(pre.getBody().front().getTerminator());
      SmallVector<Value> kept;
      SmallVector<Type> types;
      SmallVector<int> newIndex;
      for (auto [k, table] : llvm::enumerate(pre.getResults())) {
        newIndex.push_back(table.use_empty() ? -1 : static_cast<int>(kept.size()));
        if (!table.use_empty()) {
          kept.push_back(yield.getValues()[k]);
          types.push_back(table.getType());
        }
      }
      if (kept.size() != pre.getNumResults()) {
        pre = rebuildPrecompute(pre, kept, types, newIndex);
        eraseDeadOps(pre.getBody().front());
      }
    }
  }
};

} // namespace
