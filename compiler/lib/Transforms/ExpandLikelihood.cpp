//===- ExpandLikelihood.cpp - sampler.likelihood -> an augmented flow ----===//
//
// log p(x) through the probability-flow ODE (Song et al. 2021, appendix D):
// integrate [x, l] from the data's end to the prior's with dx/dt = v(x, t)
// and dl/dt = div_x v(x, t); then log p(x) = log N(x_T; 0, sigma_T^2) + l_T.
//
// The divergence is exact: `@<net>_flow_probe(x, t, e) = e . v(x, t)` has the
// network's body cloned in, and the autodiff's input gradient of it at the
// unit column e_i is row i of the Jacobian, whose entry i is dv_i/dx_i. So
// each velocity evaluation makes d calls of the probe's gradient function,
// which give both v_i (its value) and dv_i/dx_i: d forward and d reverse
// passes, fine for the small dimensions this is for.
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Transforms/Autodiff.h"
#include "tweedie/Transforms/Passes.h"


using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

std::string probeName(LikelihoodOp op) { return (op.getNetwork() + "_flow_probe").str(); }

/// A [d, 1] column: e_i, as a constant a dense layer reads as its weight.
Value unitColumn(OpBuilder &b, Location loc, int64_t d, int64_t i) {
  auto type = RankedTensorType::get({d, 1}, b.getF32Type());
  std::vector<float> values(d, 0.0f);
  values[i] = 1.0f;
  return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

struct ExpandLikelihood : OpRewritePattern<LikelihoodOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LikelihoodOp op, PatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    auto probe = module.lookupSymbol<func::FuncOp>(probeName(op) + "_grad");
    if (!probe)
      return rewriter.notifyMatchFailure(op, "no probe gradient (ExpandSolvePass makes it)");
    std::string why;
    FailureOr<FlowInterval> interval = flowIntervalOf(op.getSchedule(), why);
    if (failed(interval))
      return rewriter.notifyMatchFailure(op, why);

    Location loc = op.getLoc();
    RankedTensorType augmented = op.getType();
    const int64_t d = augmented.getDimSize(1) - 1;
    const int64_t batch = augmented.getDimSize(0);
    auto column = RankedTensorType::get({batch, 1}, rewriter.getF32Type());
    auto timeType = RankedTensorType::get({batch}, rewriter.getF32Type());

    // From the data (the smallest time) to the prior.
    auto integrate = rewriter.create<OdeIntegrateOp>(
        loc, augmented, op.getInput(), rewriter.getF64FloatAttr(interval->tEnd),
        rewriter.getF64FloatAttr(interval->tStart), op.getRtolAttr(), op.getAtolAttr(),
        op.getMaxStepsAttr());
    Block *body =
        rewriter.createBlock(&integrate.getVelocity(), {}, {augmented, timeType}, {loc, loc});
    Value y = body->getArgument(0), t = body->getArgument(1);
    Value x = rewriter.create<score::SliceOp>(loc, y, 1, 0, d);
    SmallVector<Value> pieces;
    Value divergence;
    for (int64_t i = 0; i < d; ++i) {
      Value e = unitColumn(rewriter, loc, d, i);
      auto call = rewriter.create<func::CallOp>(loc, probe, ValueRange{x, t, e});
      pieces.push_back(rewriter.create<score::ReshapeOp>(loc, column, call.getResult(0)));
      Value diagonal = rewriter.create<score::DenseOp>(loc, call.getResult(1), e, Value(), Value(),
                                                       score::ActKindAttr());
      divergence = divergence ? rewriter.create<score::AddOp>(loc, divergence, diagonal) : diagonal;
    }
    pieces.push_back(divergence);
    Value velocity = rewriter.create<score::ConcatOp>(loc, pieces, 1);
    rewriter.create<YieldOp>(loc, ValueRange{velocity});
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
  RankedTensorType augmented = op.getType();
  const int64_t d = augmented.getDimSize(1) - 1, batch = augmented.getDimSize(0);
  OpBuilder b(module.getContext());
  auto state = cast<RankedTensorType>(network.getArgumentTypes()[0]);
  auto timeType = cast<RankedTensorType>(network.getArgumentTypes()[1]);
  auto column = RankedTensorType::get({batch, 1}, b.getF32Type());
  auto probeType = RankedTensorType::get({d, 1}, b.getF32Type());

  // @<net>_flow_probe(x, t, e) = v(x, t) e, the network's body cloned in.
  b.setInsertionPointAfter(network);
  auto fn = b.create<func::FuncOp>(loc, name,
                                   b.getFunctionType({state, timeType, probeType}, {timeType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value x = body->getArgument(0), t = body->getArgument(1), e = body->getArgument(2);
  Value p = cloneNetworkAt(b, network, x, t);
  Value time = b.create<score::ReshapeOp>(loc, column, t);
  TimeExpr expr(b, loc, column);
  Coefficients coefficients = coefficientsOf(op.getSchedule(), time, expr);
  Value v = probabilityFlowVelocity(op.getPrediction(), coefficients, x, p, expr, b, loc);
  Value dot = b.create<score::DenseOp>(loc, v, e, Value(), Value(), score::ActKindAttr());
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
