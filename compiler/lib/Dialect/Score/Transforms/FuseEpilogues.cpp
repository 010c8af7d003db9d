//===- FuseEpilogues.cpp - act / residual add -> the producer's epilogue --===//
//
// The CPU and CUDA libraries apply bias, activation and a residual add in the
// same pass over the output (oneDNN post-ops, cuBLASLt epilogues); this phase
// makes that visible in the IR so every later phase sees one op per call.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Dialect/Score/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEFUSEEPILOGUES
#include "tweedie/Dialect/Score/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;
using namespace tweedie::score;

namespace {

/// A copy of `op` (dense or conv2d) with the given epilogue parts replaced.
Operation *rebuild(PatternRewriter &rewriter, Operation *op, Location loc,
                   ActKindAttr activation, Value residual) {
  if (auto dense = dyn_cast<DenseOp>(op))
    return rewriter.create<DenseOp>(loc, dense.getType(), dense.getInput(),
                                    dense.getWeight(), dense.getBias(), residual,
                                    activation);
  auto conv = cast<Conv2DOp>(op);
  return rewriter.create<Conv2DOp>(loc, conv.getType(), conv.getInput(), conv.getWeight(),
                                   conv.getBias(), residual, conv.getStrideAttr(),
                                   conv.getPaddingAttr(), conv.getGroupsAttr(), activation);
}

ActKindAttr activationOf(Operation *op) {
  if (auto dense = dyn_cast<DenseOp>(op))
    return dense.getActivationAttr();
  return cast<Conv2DOp>(op).getActivationAttr();
}

Value residualOf(Operation *op) {
  if (auto dense = dyn_cast<DenseOp>(op))
    return dense.getResidual();
  return cast<Conv2DOp>(op).getResidual();
}

/// act(dense|conv2d|group_norm) -> the op with `act`. The activation applies
/// before the residual, so a producer that already has one cannot take it.
struct FoldActivation : OpRewritePattern<ActOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActOp act, PatternRewriter &rewriter) const override {
    Operation *producer = act.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse())
      return rewriter.notifyMatchFailure(act, "producer has other users");
    auto kind = ActKindAttr::get(rewriter.getContext(), act.getKind());
    if (auto norm = dyn_cast<GroupNormOp>(producer)) {
      if (norm.getActivationAttr())
        return failure();
      rewriter.replaceOpWithNewOp<GroupNormOp>(act, norm.getType(), norm.getInput(),
                                               norm.getGamma(), norm.getBeta(),
                                               norm.getGroupsAttr(), norm.getEpsilonAttr(),
                                               kind);
      rewriter.eraseOp(norm);
      return success();
    }
    if (!isa<DenseOp, Conv2DOp>(producer) || activationOf(producer) || residualOf(producer))
      return failure();
    Operation *fused = rebuild(rewriter, producer, act.getLoc(), kind, Value());
    rewriter.replaceOp(act, fused->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// add(dense|conv2d, r) with r shaped like the result -> the op with residual r.
struct FoldResidual : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      Operation *producer = mine.getDefiningOp();
      if (!producer || !isa<DenseOp, Conv2DOp>(producer) || !producer->hasOneUse() ||
          residualOf(producer) || other == mine ||
          other.getType() != add.getType() || mine.getType() != add.getType())
        continue;
      // Built at the add, where both the producer's operands and r are defined.
      Operation *fused =
          rebuild(rewriter, producer, add.getLoc(), activationOf(producer), other);
      rewriter.replaceOp(add, fused->getResults());
      rewriter.eraseOp(producer);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no foldable producer");
  }
};

struct FuseEpiloguesPass : tweedie::impl::TweedieFuseEpiloguesBase<FuseEpiloguesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseEpiloguePatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void tweedie::populateFuseEpiloguePatterns(RewritePatternSet &patterns) {
  patterns.add<FoldActivation, FoldResidual>(patterns.getContext());
}
