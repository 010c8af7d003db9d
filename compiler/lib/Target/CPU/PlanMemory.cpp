//===- PlanMemory.cpp - one arena, static per-sample offsets --------------===//
//
// Every activation of a sampler step has the batch as its leading dim, so its
// size is (per-sample bytes) x B. Planning offsets in per-sample bytes makes
// one plan valid for every batch: the runtime multiplies by B. Liveness is the
// program order of the loop body (or of an integrator's velocity region);
// space is reused first-fit.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Target/CPU/MemoryPlan.h"
#include "tweedie/Target/CPU/Passes.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEPLANMEMORY
#include "tweedie/Target/CPU/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

struct PlanMemoryPass : public tweedie::impl::TweediePlanMemoryBase<PlanMemoryPass> {
  using TweediePlanMemoryBase::TweediePlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    int64_t arena = 0, unplanned = 0;
    WalkResult walk = fn.walk([&](Operation *loop) {
      if (!plannedBody(loop))
        return WalkResult::advance();
      FailureOr<LoopMemoryPlan> plan = planBodyMemory(loop);
      if (failed(plan))
        return WalkResult::interrupt();
      annotate(loop, *plan);
      arena = std::max(arena, plan->bytesPerSample);
      unplanned = std::max(unplanned, plan->unplannedBytesPerSample);
      if (report)
        loop->emitRemark("arena: ")
            << plan->bytesPerSample << " bytes per sample (" << plan->values.size()
            << " tensors, " << plan->unplannedBytesPerSample
            << " bytes without reuse)";
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    Builder b(fn.getContext());
    fn->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(arena));
    fn->setAttr(kUnplannedBytesAttr, b.getI64IntegerAttr(unplanned));
  }

  static void annotate(Operation *loop, const LoopMemoryPlan &plan) {
    Builder b(loop->getContext());
    auto offsetOf = [&](Value v) -> int64_t {
      auto it = plan.offsets.find(v);
      return it == plan.offsets.end() ? -1 : it->second;
    };
    SmallVector<int64_t> iter;
    for (Value arg : carriedArguments(loop))
      iter.push_back(offsetOf(arg));
    loop->setAttr(kIterSlotsAttr, b.getDenseI64ArrayAttr(iter));
    for (Operation &op : plannedBody(loop)->without_terminator()) {
      if (op.getNumResults() == 0)
        continue;
      SmallVector<int64_t> slots;
      for (Value r : op.getResults())
        slots.push_back(offsetOf(r));
      if (llvm::any_of(slots, [](int64_t s) { return s >= 0; }))
        op.setAttr(kSlotsAttr, b.getDenseI64ArrayAttr(slots));
    }
  }
};

} // namespace
