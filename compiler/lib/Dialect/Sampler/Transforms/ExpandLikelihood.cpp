//===- ExpandLikelihood.cpp - sampler.likelihood -> an augmented flow ----===//
//
// log p(x) through the probability-flow ODE (Song et al. 2021, appendix D):
// integrate [x, l] from the data's end to the prior's with dx/dt = v(x, t)
// and dl/dt = div_x v(x, t); then log p(x) = log N(x_T; 0, sigma_T^2) + l_T.
//
// The divergence is sum_k v_k . (grad_x (v_k . v)): `@<net>_flow_probe(x, t,
// v) = v . v(x, t)` has the network's body cloned in, and the autodiff's
// input gradient of it at the probe v_k is J^T v_k. With the d unit vectors
// as probes that is the exact trace (d reverse passes, for small d); with K
// random probes drawn once per point (`hutchinson`) it is Hutchinson's
// unbiased estimate, K reverse passes whatever the dimension.
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Autodiff/Autodiff.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

std::string probeName(LikelihoodOp op) { return (op.getNetwork() + "_flow_probe").str(); }

/// [B, d] -> [B, 1]: each point's sum.
Value rowSum(OpBuilder &b, Location loc, Value x) {
  return b.create<score::ReduceSumOp>(loc, x, b.getDenseI64ArrayAttr({1}));
}

/// The probability-flow velocity at (x, t): the network's output `p` and the
/// schedule's coefficients at the per-point times.
Value flowVelocity(OpBuilder &b, Location loc, LikelihoodOp op, Value x, Value t, Value p) {
  auto column =
      RankedTensorType::get({cast<RankedTensorType>(x.getType()).getDimSize(0), 1}, b.getF32Type());
  Value time = b.create<score::ReshapeOp>(loc, column, t);
  TimeExpr expr(b, loc, column);
  Coefficients coefficients = coefficientsOf(op.getSchedule(), time, expr);
  return probabilityFlowVelocity(op.getPrediction(), coefficients, x, p, expr, b, loc);
}

struct ExpandLikelihood : OpRewritePattern<LikelihoodOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LikelihoodOp op, PatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    auto probe = module.lookupSymbol<func::FuncOp>(probeName(op) + "_grad");
    auto network = module.lookupSymbol<func::FuncOp>(op.getNetworkAttr());
    if (!probe || !network)
      return rewriter.notifyMatchFailure(op, "no probe gradient (ExpandSolvePass makes it)");
    std::string why;
    FailureOr<numerics::TimeInterval> interval = flowIntervalOf(op.getSchedule(), why);
    if (failed(interval))
      return rewriter.notifyMatchFailure(op, why);

    Location loc = op.getLoc();
    RankedTensorType augmented = op.getType();
    const int64_t d = augmented.getDimSize(1) - 1;
    auto timeType = RankedTensorType::get({augmented.getDimSize(0)}, rewriter.getF32Type());

    // From the data (the smallest time) to the prior.
    auto integrate = rewriter.create<OdeIntegrateOp>(
        loc, augmented, op.getInput(), rewriter.getF64FloatAttr(interval->tEnd),
        rewriter.getF64FloatAttr(interval->tStart), op.getRtolAttr(), op.getAtolAttr(),
        op.getMaxStepsAttr(), DenseF64ArrayAttr());
    Block *body =
        rewriter.createBlock(&integrate.getVelocity(), {}, {augmented, timeType}, {loc, loc});
    Value y = body->getArgument(0), t = body->getArgument(1);
    Value x = rewriter.create<score::SliceOp>(loc, y, 1, 0, d);
    Value p = rewriter.create<func::CallOp>(loc, network, ValueRange{x, t}).getResult(0);
    Value velocity = flowVelocity(rewriter, loc, op, x, t, p);

    // The probes: the unit vectors (exact), or K random ones per point drawn
    // at step 0, the same at every evaluation along the trajectory.
    SmallVector<Value> probes;
    if (op.getProbes() == 0) {
      auto unitType = RankedTensorType::get({d}, rewriter.getF32Type());
      for (int64_t i = 0; i < d; ++i) {
        std::vector<float> unit(d, 0.0f);
        unit[i] = 1.0f;
        Value e = rewriter.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(unitType, ArrayRef<float>(unit)));
        probes.push_back(rewriter.create<score::BroadcastOp>(loc, e, x));
      }
    } else {
      Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      const bool rademacher = op.getProbe() == ProbeDistribution::rademacher;
      for (int64_t k = 0; k < op.getProbes(); ++k)
        probes.push_back(rewriter.create<RandnOp>(
            loc, x.getType(), x, op.getSeed(), op.getFirstSample(), zero,
            rewriter.getI64IntegerAttr(k), rademacher ? rewriter.getUnitAttr() : UnitAttr()));
    }
    // div v = sum (or mean) over the probes of v_k . (grad (v_k . v)).
    Value divergence;
    for (Value v : probes) {
      Value vjp = rewriter.create<func::CallOp>(loc, probe, ValueRange{x, t, v}).getResult(1);
      Value term = rowSum(rewriter, loc, rewriter.create<score::MulOp>(loc, v, vjp));
      divergence = divergence ? rewriter.create<score::AddOp>(loc, divergence, term) : term;
    }
    if (op.getProbes() > 1) {
      TimeExpr scale(rewriter, loc, cast<RankedTensorType>(divergence.getType()));
      divergence = scale.scale(divergence, 1.0 / static_cast<double>(op.getProbes()));
    }
    Value rates = rewriter.create<score::ConcatOp>(loc, ValueRange{velocity, divergence}, 1);
    rewriter.create<YieldOp>(loc, ValueRange{rates});
    // The log-density of the prior the flow ends in, for the runtime.
    rewriter.modifyOpInPlace(op->getParentOfType<func::FuncOp>(), [&] {
      op->getParentOfType<func::FuncOp>()->setAttr(kLikelihoodPriorStdAttr,
                                                   rewriter.getF64FloatAttr(interval->priorStd));
    });
    rewriter.replaceOp(op, integrate.getResult());
    return success();
  }
};

} // namespace

LogicalResult tweedie::prepareLikelihoodProbe(LikelihoodOp op) {
  auto module = op->getParentOfType<ModuleOp>();
  std::string name = probeName(op);
  if (module.lookupSymbol(name + "_grad"))
    return success();
  if (module.lookupSymbol(name))
    return op.emitOpError("needs @") << name << " for the divergence, but that name is taken";
  auto network = module.lookupSymbol<func::FuncOp>(op.getNetworkAttr());
  Location loc = op.getLoc();
  OpBuilder b(module.getContext());
  auto state = cast<RankedTensorType>(network.getArgumentTypes()[0]);
  auto timeType = cast<RankedTensorType>(network.getArgumentTypes()[1]);

  // @<net>_flow_probe(x, t, v) = v . v(x, t) per point, the network's body
  // cloned in (the autodiff differentiates no calls).
  b.setInsertionPointAfter(network);
  auto fn =
      b.create<func::FuncOp>(loc, name, b.getFunctionType({state, timeType, state}, {timeType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value x = body->getArgument(0), t = body->getArgument(1), v = body->getArgument(2);
  Value velocity = flowVelocity(b, loc, op, x, t, cloneNetworkAt(b, network, x, t));
  Value dot = rowSum(b, loc, b.create<score::MulOp>(loc, v, velocity));
  b.create<func::ReturnOp>(loc, ValueRange{b.create<score::ReshapeOp>(loc, timeType, dot)});
  return createGradientFunction(fn, /*params=*/false, {0});
}

std::string tweedie::whyLikelihoodFails(LikelihoodOp op) {
  std::string why;
  (void)flowIntervalOf(op.getSchedule(), why);
  return why;
}

void tweedie::populateExpandLikelihoodPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandLikelihood>(patterns.getContext());
}
