//===- ExpandAdaptiveSolve.cpp - rk45 solves -> sampler.ode_integrate -----===//
//
// An adaptive solver picks its times at run time, per sample, so no float64
// table can hold its coefficients. The expansion writes the probability-flow
// velocity as IR instead: the network's output p at (y, t), the process's
// coefficients as score ops on the per-sample time t, and
//
//   dy/dt = f(t) y - g(t)^2 / 2 score,   score = u(t) y + w(t) p,
//
// so dy/dt = A(t) y + B(t) p. The runtime's integrator evaluates that region
// at whatever (y, t) its step control asks for. The coefficients are float32
// like the network; the only cancellation, 1 - alpha^2 near t = 0 on VP,
// costs ~3e-4 relative in sigma^2 at t = 1e-3, far below the velocity's
// own error there (see docs/design-notes.md).
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Numerics/Processes.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

Coefficients tweedie::coefficientsOf(ScheduleAttrInterface schedule, Value t,
                                   TimeExpr &e) {
  Coefficients c;
  auto vpFamily = [&](double betaMin, double betaMax, bool sub) {
    const double slope = betaMax - betaMin;
    Value beta = e.shift(e.scale(t, slope), betaMin);
    // log alpha = t (-1/4 (b1 - b0) t - 1/2 b0); alpha^2 = exp(2 log alpha).
    Value logAlpha = e.mul(t, e.shift(e.scale(t, -0.25 * slope), -0.5 * betaMin));
    Value alphaSq = e.act(score::ActKind::exp, e.scale(logAlpha, 2.0));
    c.alpha = e.act(score::ActKind::exp, logAlpha);
    c.drift = e.scale(beta, -0.5);
    Value oneMinusAlphaSq = e.shift(e.scale(alphaSq, -1.0), 1.0);
    if (sub) { // sigma = 1 - alpha^2, g^2 = beta (1 - alpha^4)
      c.sigma = oneMinusAlphaSq;
      c.sigmaSq = e.act(score::ActKind::square, c.sigma);
      Value alpha4 = e.act(score::ActKind::square, alphaSq);
      c.diffusionSq = e.mul(beta, e.shift(e.scale(alpha4, -1.0), 1.0));
    } else { // sigma^2 = 1 - alpha^2, g^2 = beta
      c.sigmaSq = oneMinusAlphaSq;
      c.sigma = e.act(score::ActKind::sqrt, c.sigmaSq);
      c.diffusionSq = beta;
    }
  };
  const numerics::Process process = schedule.getProcess();
  switch (process.kind) {
  case numerics::Process::Kind::VP:
    vpFamily(process.betaMin, process.betaMax, false);
    break;
  case numerics::Process::Kind::SubVP:
    vpFamily(process.betaMin, process.betaMax, true);
    break;
  case numerics::Process::Kind::VE: {
    // sigma = sigma_min (sigma_max / sigma_min)^t, g^2 = 2 log(sigma_max/sigma_min) sigma^2.
    const double logRatio = std::log(process.sigmaMax / process.sigmaMin);
    Value logSigma = e.shift(e.scale(t, logRatio), std::log(process.sigmaMin));
    c.sigma = e.act(score::ActKind::exp, logSigma);
    c.sigmaSq = e.act(score::ActKind::exp, e.scale(logSigma, 2.0));
    c.diffusionSq = e.scale(c.sigmaSq, 2.0 * logRatio);
    break;
  }
  case numerics::Process::Kind::SigmaTime: // t is sigma, d(sigma^2)/d sigma = 2 sigma
    c.sigma = t;
    c.sigmaSq = e.act(score::ActKind::square, t);
    c.diffusionSq = e.scale(t, 2.0);
    break;
  case numerics::Process::Kind::DiscreteVP:
    llvm_unreachable("DDPM schedules have tables, not closed-form coefficients "
                     "(flowIntervalOf and the objective take them apart first)");
  }
  return c;
}

FailureOr<numerics::TimeInterval> tweedie::flowIntervalOf(ScheduleAttrInterface schedule,
                                                std::string &why) {
  const numerics::Process::Kind kind = schedule.getProcess().kind;
  if (kind == numerics::Process::Kind::DiscreteVP) {
    why = "the adaptive probability-flow ODE (rk45, likelihood) needs a continuous process "
          "(vp, subvp, ve) or a sigma schedule; on DDPM schedules use ddim or the "
          "fixed-step ODE solvers (e.g. dpm_solver_3)";
    return failure();
  }
  const numerics::TimeInterval interval = schedule.getInterval();
  if (kind == numerics::Process::Kind::SigmaTime && !(interval.tEnd > 0)) { // dx/dsigma is singular at 0
    why = "the adaptive probability-flow ODE (rk45, likelihood) integrates to a positive "
          "sigma; this schedule ends at sigma = 0";
    return failure();
  }
  return interval;
}

/// dy/dt = A y + B p for the network's prediction p (see the file comment):
/// score: A = f, B = -g^2/2; eps: A = f, B = g^2 / (2 sigma);
/// x0: A = f + g^2 / (2 sigma^2), B = -g^2 alpha / (2 sigma^2);
/// v: A = f + g^2 / (2 (alpha^2 + sigma^2)), B = g^2 alpha / (2 sigma (alpha^2 + sigma^2)).
Value tweedie::probabilityFlowVelocity(Parameterization prediction, const Coefficients &c,
                                      Value y, Value p, TimeExpr &e, OpBuilder &b,
                                      Location loc) {
  Value halfG2 = e.scale(c.diffusionSq, 0.5);
  Value scoreTerm; // -g^2/2 u, the part of A from the score (x0, v)
  Value a = c.drift, coefficient;
  auto timesAlpha = [&](Value v) { return c.alpha ? e.mul(v, c.alpha) : v; };
  switch (prediction) {
  case Parameterization::score:
    coefficient = e.scale(halfG2, -1.0);
    break;
  case Parameterization::eps:
    coefficient = e.mul(halfG2, e.reciprocal(c.sigma));
    break;
  case Parameterization::x0: {
    Value invSigmaSq = e.reciprocal(c.sigmaSq);
    scoreTerm = e.mul(halfG2, invSigmaSq);
    coefficient = e.scale(timesAlpha(scoreTerm), -1.0);
    break;
  }
  case Parameterization::v: {
    Value alphaSq = c.alpha ? e.act(score::ActKind::square, c.alpha) : Value();
    Value total = alphaSq ? e.add(alphaSq, c.sigmaSq) : e.shift(c.sigmaSq, 1.0);
    scoreTerm = e.mul(halfG2, e.reciprocal(total));
    coefficient = e.mul(timesAlpha(scoreTerm), e.reciprocal(c.sigma));
    break;
  }
  default:
    llvm_unreachable("energy solves take their score network before expansion");
  }
  if (scoreTerm)
    a = a ? e.add(a, scoreTerm) : scoreTerm;
  auto stateType = cast<RankedTensorType>(y.getType());
  Value v = b.create<score::MulOp>(loc, stateType, p, coefficient);
  if (a)
    v = b.create<score::AddOp>(loc, stateType, v,
                               b.create<score::MulOp>(loc, stateType, y, a));
  return v;
}

namespace {

/// Tweedie's x0 = (x + sigma^2 s) / alpha at time t, written through the
/// velocity v = f x - g^2/2 s (all the body computes): s = 2 (f x - v) / g^2,
/// so x0 = a x + b v with a = (1 + 2 sigma^2 f / g^2) / alpha and
/// b = -2 sigma^2 / (g^2 alpha), in float64.
std::vector<double> denoiseThroughVelocity(ScheduleAttrInterface schedule, double t) {
  const numerics::Process process = schedule.getProcess();
  const double alpha = process.alpha(t), sigma = process.sigma(t);
  const double f = process.drift(t), g2 = process.diffusionSq(t);
  return {(1.0 + 2.0 * sigma * sigma * f / g2) / alpha, -2.0 * sigma * sigma / (g2 * alpha)};
}

std::string whyNot(SolveOp op) {
  if (!isa<RK45Attr>(op.getMethod()))
    return "";
  if (op.getSpacing() != TimeSpacing::linspace)
    return "rk45 chooses its own steps; a spacing does not apply to it";
  std::string why;
  (void)flowIntervalOf(op.getSchedule(), why);
  return why;
}

struct ExpandAdaptiveSolve : OpRewritePattern<SolveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SolveOp op, PatternRewriter &rewriter) const override {
    auto method = dyn_cast<RK45Attr>(op.getMethod());
    if (!method || !whyNot(op).empty())
      return rewriter.notifyMatchFailure(op, "not an rk45 solve this expansion takes");
    auto network =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
    if (!network)
      return rewriter.notifyMatchFailure(op, "network not found");
    std::string why;
    FailureOr<numerics::TimeInterval> interval = flowIntervalOf(op.getSchedule(), why);
    if (failed(interval))
      return rewriter.notifyMatchFailure(op, why);

    Location loc = op.getLoc();
    RankedTensorType stateType = op.getType();
    auto timeType = RankedTensorType::get({stateType.getDimSize(0)}, rewriter.getF32Type());
    Value prior = scalePrior(rewriter, loc, op.getNoise(), interval->priorStd);
    auto integrate = rewriter.create<OdeIntegrateOp>(
        loc, stateType, prior, rewriter.getF64FloatAttr(interval->tStart),
        rewriter.getF64FloatAttr(interval->tEnd), rewriter.getF64FloatAttr(method.getRtol()),
        rewriter.getF64FloatAttr(method.getAtol()),
        rewriter.getI64IntegerAttr(static_cast<int64_t>(op.getSteps())),
        op.getDenoiseFinal() ? rewriter.getDenseF64ArrayAttr(denoiseThroughVelocity(
                                   op.getSchedule(), interval->tEnd))
                             : DenseF64ArrayAttr());
    Block *body = rewriter.createBlock(&integrate.getVelocity(), {}, {stateType, timeType},
                                       {loc, loc});
    Value y = body->getArgument(0), t = body->getArgument(1);
    Value p = rewriter.create<func::CallOp>(loc, network, ValueRange{y, t}).getResult(0);

    // t as [B, 1, ..., 1], broadcasting against the state.
    SmallVector<int64_t> coefficientShape(stateType.getRank(), 1);
    coefficientShape[0] = ShapedType::kDynamic;
    auto coefficientType = RankedTensorType::get(coefficientShape, rewriter.getF32Type());
    Value time = rewriter.create<score::ReshapeOp>(loc, coefficientType, t);
    TimeExpr expr(rewriter, loc, coefficientType);
    Coefficients coefficients = coefficientsOf(op.getSchedule(), time, expr);
    Value v =
        probabilityFlowVelocity(op.getPrediction(), coefficients, y, p, expr, rewriter, loc);
    rewriter.create<YieldOp>(loc, ValueRange{v});
    rewriter.replaceOp(op, integrate.getResult());
    return success();
  }
};

} // namespace

std::string tweedie::whyAdaptiveSolveFails(SolveOp op) { return whyNot(op); }

void tweedie::populateExpandAdaptiveSolvePatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandAdaptiveSolve>(patterns.getContext());
}
