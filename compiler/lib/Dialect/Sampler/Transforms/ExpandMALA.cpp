//===- ExpandMALA.cpp - sampler.solve with mala -> a Metropolis loop -----===//
//
// Metropolis-adjusted Langevin on an energy network at the schedule's
// smallest noise level. Each step proposes y = x + eta s(x) + sqrt(2 eta) z
// (s = -grad_x E, noise draw 0) and accepts it per sample against a uniform
// (draw 1) with the Metropolis-Hastings ratio of the Langevin proposal, so
// the chain's stationary law is exp(-E) for any step size: unadjusted
// Langevin's O(eta) bias is gone.
//
// The energy and gradient at x are evaluated again each step rather than
// carried: the CPU backend's loops carry copies of the prior only, so a
// carried E(x) would have no first value. That costs one extra network
// evaluation per step.
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

/// `@<net>_grad` made before the patterns run (ExpandSolvePass), or null.
func::FuncOp lookUpEnergyGradient(SolveOp op) {
  auto module = op->getParentOfType<ModuleOp>();
  auto gradient = module.lookupSymbol<func::FuncOp>((op.getNetwork() + "_grad").str());
  if (!gradient || gradient.getNumResults() != 2)
    return {};
  return gradient;
}

struct ExpandMALASolve : OpRewritePattern<SolveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SolveOp op, PatternRewriter &rewriter) const override {
    auto mala = dyn_cast<MALAAttr>(op.getMethod());
    if (!mala)
      return rewriter.notifyMatchFailure(op, "method is not mala");
    if (!whyMALAFails(op).empty())
      return rewriter.notifyMatchFailure(op, "mala cannot expand this solve");
    func::FuncOp gradient = lookUpEnergyGradient(op);
    std::string why;
    FailureOr<double> conditioning = langevinConditioning(op, why);
    if (failed(conditioning))
      return failure();

    Location loc = op.getLoc();
    RankedTensorType stateType = op.getType();
    Type energyType = gradient.getResultTypes()[0];
    const int64_t steps = static_cast<int64_t>(op.getSteps());
    auto table = [&](double value) {
      return rewriter.getDenseF64ArrayAttr(std::vector<double>(steps, value));
    };
    auto minusOne = [&](Value v) {
      TimeExpr e(rewriter, loc, stateType);
      return e.scale(v, -1.0);
    };

    // The chain starts from the solve's noise as given, as langevin does.
    auto loop = rewriter.create<LoopOp>(
        loc, TypeRange{stateType}, rewriter.getI64IntegerAttr(steps), ValueRange{op.getNoise()});
    Block *body =
        rewriter.createBlock(&loop.getBody(), {}, {rewriter.getIndexType(), stateType}, {loc, loc});
    Value step = body->getArgument(0), x = body->getArgument(1);
    Value time = rewriter.create<TimestepOp>(
        loc, RankedTensorType::get({stateType.getDimSize(0)}, rewriter.getF32Type()), step, x,
        table(*conditioning));
    auto energyAndScore = [&](Value at) -> std::pair<Value, Value> {
      auto call = rewriter.create<func::CallOp>(loc, gradient, ValueRange{at, time});
      return {call.getResult(0), minusOne(call.getResult(1))};
    };

    auto [energy, score] = energyAndScore(x);
    Value z = rewriter.create<RandnOp>(loc, stateType, x, op.getSeed(), op.getFirstSample(), step,
                                       rewriter.getI64IntegerAttr(0));
    auto stepSize = table(mala.getStepSize());
    Value proposal = rewriter.create<LangevinStepOp>(loc, stateType, x, score, z, step, stepSize);
    auto [proposalEnergy, proposalScore] = energyAndScore(proposal);
    Value u = rewriter.create<RandUniformOp>(loc, energyType, x, op.getSeed(), op.getFirstSample(),
                                             step, rewriter.getI64IntegerAttr(1));
    Value next = rewriter.create<MALAStepOp>(loc, stateType, x, proposal, energy, proposalEnergy,
                                             score, proposalScore, u, step, stepSize);
    rewriter.create<YieldOp>(loc, ValueRange{next});
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

} // namespace

std::string tweedie::whyMALAFails(SolveOp op) {
  if (!isa<MALAAttr>(op.getMethod()))
    return "";
  if (op.getDenoiseFinal())
    return "mala does not take denoise_final yet";
  if (!lookUpEnergyGradient(op))
    return "mala needs @" + op.getNetwork().str() +
           "_grad, the energy's input gradient (run --tweedie-expand-solve, which makes it)";
  std::string why;
  if (failed(langevinConditioning(op, why)))
    return why;
  return "";
}

void tweedie::populateExpandMALAPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandMALASolve>(patterns.getContext());
}
