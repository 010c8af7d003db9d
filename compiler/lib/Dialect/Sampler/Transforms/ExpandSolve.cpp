//===- ExpandSolve.cpp - sampler.solve -> sampler.loop of step ops -------===//
//
// The first lowering of a sampler: the time grid and the schedule's
// coefficients become float64 tables folded into step-op attributes, so later
// phases see a loop whose every number is a compile-time constant.
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Numerics/DiscreteSchedules.h"
#include "tweedie/Numerics/StageSchemes.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEEXPANDSOLVE
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

/// "euler/heun/...": the fixed-step ODE solvers, from OdeSolvers.def.
std::string odeSolverNames() {
  std::string names;
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  names += (names.empty() ? "" : "/") + std::string(#name);
#include "tweedie/Numerics/OdeSolvers.def"
  return names;
}

struct ExpandDiscreteVPSolve : OpRewritePattern<SolveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SolveOp op, PatternRewriter &rewriter) const override {
    MethodAttrInterface method = op.getMethod();
    if (!isa<DDPMAttr, DDIMAttr>(method))
      return rewriter.notifyMatchFailure(op, "method is not ddpm or ddim");
    if (op.getPrediction() == Parameterization::energy || op.getDenoiseFinal())
      return rewriter.notifyMatchFailure(op, "an energy (its score comes first) / denoise_final");
    const std::vector<double> alphaBars = op.getSchedule().getAlphaBars();
    if (alphaBars.empty())
      return rewriter.notifyMatchFailure(op, "schedule is not discrete VP");
    auto network =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
    if (!network)
      return rewriter.notifyMatchFailure(op, "network not found");

    const int64_t steps = static_cast<int64_t>(op.getSteps());
    // The last step ends at the data (abar 1) or at training step 0's noise
    // (final_sigma = min, diffusers' set_alpha_to_one = false).
    const bool endAtStep0 = op.getFinalSigma() == FinalSigma::min;
    const numerics::StepTables tables = numerics::stepTables(
        alphaBars, solveTimesteps(op, static_cast<int64_t>(alphaBars.size())),
        endAtStep0 ? alphaBars.front() : 1.0);
    // x_t = alpha x_0 + sigma eps with alpha = sqrt(abar), sigma = sqrt(1 - abar).
    std::vector<double> alpha, sigma;
    for (double abar : tables.alphaBar) {
      alpha.push_back(std::sqrt(abar));
      sigma.push_back(std::sqrt(1.0 - abar));
    }

    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType stateType = op.getType();
    auto timeType = RankedTensorType::get({stateType.getDimSize(0)}, rewriter.getF32Type());

    // The VP prior is N(0, I): the solve's standard normal noise is x_T as is.
    auto loop = rewriter.create<LoopOp>(loc, TypeRange{stateType},
                                        rewriter.getI64IntegerAttr(steps),
                                        ValueRange{op.getNoise()});
    Block *body = rewriter.createBlock(&loop.getBody(), {},
                                       {rewriter.getIndexType(), stateType}, {loc, loc});
    Value step = body->getArgument(0), x = body->getArgument(1);

    Value time = rewriter.create<TimestepOp>(loc, timeType, step, x,
                                             rewriter.getDenseF64ArrayAttr(tables.timestep));
    Value eps =
        rewriter.create<func::CallOp>(loc, network, ValueRange{x, time}).getResult(0);
    if (op.getPrediction() != Parameterization::eps)
      eps = rewriter.create<ReparameterizeOp>(
          loc, stateType, eps, x, step,
          ParameterizationAttr::get(context, op.getPrediction()),
          ParameterizationAttr::get(context, Parameterization::eps),
          rewriter.getDenseF64ArrayAttr(alpha), rewriter.getDenseF64ArrayAttr(sigma));

    // x0 clipping as diffusers' clip_sample: each step's x0 estimate clipped
    // to [-r, r] (relu(x0 + r) - relu(x0 - r) - r, between per-step affine
    // maps). DDPM's posterior mean takes the clipped x0, which is eps
    // recomputed from it; DDIM keeps the network's eps for its direction
    // (use_clipped_model_output = False), which is the step from the state
    // alpha clip(x0) + sigma eps.
    Value stepState = x;
    if (const double r = op.getClipX0().convertToDouble(); r > 0) {
      std::vector<double> toX0X, toX0Eps, toEpsX, toEpsX0, zero(alpha.size(), 0.0);
      for (size_t i = 0; i < alpha.size(); ++i) {
        toX0X.push_back(1 / alpha[i]);
        toX0Eps.push_back(-sigma[i] / alpha[i]);
        toEpsX.push_back(1 / sigma[i]);
        toEpsX0.push_back(-alpha[i] / sigma[i]);
      }
      auto affine = [&](Value u, Value v, ArrayRef<double> a, ArrayRef<double> b) -> Value {
        return rewriter.create<AffineStepOp>(loc, stateType, u, v, Value(), step,
                                             rewriter.getDenseF64ArrayAttr(a),
                                             rewriter.getDenseF64ArrayAttr(b),
                                             rewriter.getDenseF64ArrayAttr(zero));
      };
      auto shifted = [&](Value v, double shift) -> Value {
        return rewriter.create<score::ScaleOp>(loc, v, rewriter.getF64FloatAttr(1.0),
                                               rewriter.getF64FloatAttr(shift));
      };
      auto relu = [&](Value v) -> Value {
        return rewriter.create<score::ActOp>(loc, score::ActKind::relu, v);
      };
      Value x0 = affine(x, eps, toX0X, toX0Eps);
      Value below = rewriter.create<score::ScaleOp>(loc, relu(shifted(x0, -r)),
                                                    rewriter.getF64FloatAttr(-1.0),
                                                    rewriter.getF64FloatAttr(-r));
      Value clipped = rewriter.create<score::AddOp>(loc, relu(shifted(x0, r)), below);
      if (isa<DDIMAttr>(method))
        stepState = affine(clipped, eps, alpha, sigma);
      else
        eps = affine(x, clipped, toEpsX, toEpsX0);
    }

    auto alphaBar = rewriter.getDenseF64ArrayAttr(tables.alphaBar);
    auto alphaBarPrev = rewriter.getDenseF64ArrayAttr(tables.alphaBarPrev);
    auto noise = [&]() -> Value {
      return rewriter.create<RandnOp>(loc, stateType, x, op.getSeed(), op.getFirstSample(),
                                      step, rewriter.getI64IntegerAttr(0));
    };
    Value next;
    if (auto ddpm = dyn_cast<DDPMAttr>(method)) {
      next = rewriter.create<AncestralStepOp>(
          loc, stateType, stepState, eps, noise(), step, alphaBar, alphaBarPrev,
          AncestralVarianceAttr::get(context, ddpm.getVariance()));
    } else {
      double eta = cast<DDIMAttr>(method).getEta();
      // eta = 0 is deterministic: no noise is drawn at all.
      next = rewriter.create<DDIMStepOp>(loc, stateType, stepState, eps,
                                         eta > 0 ? noise() : Value(), step, alphaBar,
                                         alphaBarPrev, rewriter.getF64FloatAttr(eta));
    }
    rewriter.create<YieldOp>(loc, ValueRange{next});
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

struct ExpandSolvePass : tweedie::impl::TweedieExpandSolveBase<ExpandSolvePass> {
  /// Energy networks get their input gradient from the autodiff here,
  /// before any pattern runs (patterns add no functions). mala reads E and
  /// its gradient; every other method samples the score network -grad_x E.
  LogicalResult prepareEnergyNetworks() {
    SmallVector<SolveOp> energies;
    getOperation().walk([&](SolveOp op) {
      if (op.getPrediction() == Parameterization::energy)
        energies.push_back(op);
    });
    for (SolveOp op : energies) {
      auto network =
          SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
      if (isa<MALAAttr>(op.getMethod())) {
        if (failed(energyInputGradient(network, op)))
          return failure();
        continue;
      }
      FailureOr<func::FuncOp> score = energyScoreFunction(network, op);
      if (failed(score))
        return failure();
      op.setNetworkAttr(FlatSymbolRefAttr::get(score->getSymNameAttr()));
      op.setPrediction(Parameterization::score);
    }
    return success();
  }

  void runOnOperation() override {
    if (failed(prepareEnergyNetworks()))
      return signalPassFailure();
    WalkResult probes = getOperation().walk([](LikelihoodOp op) {
      if (!whyLikelihoodFails(op).empty()) {
        op.emitOpError("cannot be expanded: ") << whyLikelihoodFails(op);
        return WalkResult::interrupt();
      }
      return failed(prepareLikelihoodProbe(op)) ? WalkResult::interrupt()
                                                : WalkResult::advance();
    });
    if (probes.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateExpandSolvePatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Whatever is left has no expansion yet: say so rather than pass it on.
    WalkResult result = getOperation().walk([](SolveOp op) {
      std::string why = whyStageSchemeFails(op);
      if (why.empty())
        why = whyAdaptiveSolveFails(op);
      if (why.empty())
        why = whyMALAFails(op);
      if (!why.empty()) {
        op.emitOpError("cannot be expanded: ") << why;
        return WalkResult::interrupt();
      }
      op.emitOpError("cannot be expanded yet: method '")
          << op.getMethod().getMethodName() << "' on schedule " << op.getSchedule()
          << " with prediction " << stringifyParameterization(op.getPrediction())
          << (op.getDenoiseFinal() ? " and denoise_final" : "")
          << " (expanded so far: ddpm and ddim on ddpm_linear/ddpm_scaled_linear/ddpm_cosine; "
             "euler_maruyama, langevin, annealed_langevin and the ODE solvers "
          << odeSolverNames()
          << " on vp, subvp, ve, karras, ncsn and sigmas; rk45 on the same; mala; energy "
             "networks through their score)";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void tweedie::populateExpandSolvePatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandDiscreteVPSolve>(patterns.getContext());
  populateExpandStageSchemePatterns(patterns);
  populateExpandAdaptiveSolvePatterns(patterns);
  populateExpandMALAPatterns(patterns);
  populateExpandLikelihoodPatterns(patterns);
}
