//===- ExpandStageSchemes.cpp - solves of continuous processes -> loops ---===//
//
// Samplers of the continuous processes (VP, sub-VP, VE SDEs and sigma
// schedules) expand through numerics::buildScheme: per step, each network
// evaluation's input and the step's result are linear combinations of the
// state, earlier network outputs and noise, with float64 coefficient tables.
// Those become chains of `sampler.affine_step`, and the conditioning of each
// evaluation a `sampler.timestep` table, so the whole solver is ops every
// later phase already handles (hoisting, planning, kernels).
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Numerics/DiscreteSchedules.h"
#include "tweedie/Numerics/StageSchemes.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

std::optional<numerics::SchemeMethod> schemeMethod(MethodAttrInterface method) {
  using numerics::SchemeMethod;
  if (isa<EulerMaruyamaAttr>(method))
    return SchemeMethod::EulerMaruyama;
  if (isa<LangevinAttr>(method))
    return SchemeMethod::Langevin;
  if (isa<AnnealedLangevinAttr>(method))
    return SchemeMethod::AnnealedLangevin;
  if (auto pc = dyn_cast<PredictorCorrectorAttr>(method)) {
    switch (pc.getPredictor()) {
    case Predictor::euler_maruyama:
      return SchemeMethod::EulerMaruyama;
    case Predictor::reverse_diffusion:
      return SchemeMethod::ReverseDiffusion;
    case Predictor::ancestral:
      return SchemeMethod::Ancestral;
    }
  }
  if (auto ode = dyn_cast<ODEAttr>(method))
    return static_cast<SchemeMethod>(static_cast<int>(ode.getSolver()));
  return std::nullopt;
}

// The dialect's OdeSolver (SamplerBase.td) is numerics::SchemeMethod's first
// enumerators, case for case as OdeSolvers.def lists them.
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  static_assert(static_cast<int>(OdeSolver::name) == static_cast<int>(numerics::SchemeMethod::Enum), \
                "OdeSolver::" #name " is not SchemeMethod::" #Enum);
#include "tweedie/Numerics/OdeSolvers.def"
static_assert(static_cast<int>(getMaxEnumValForOdeSolver()) + 1 == numerics::kNumOdeSolvers,
              "SamplerBase.td's OdeSolver and OdeSolvers.def list different solvers");

std::optional<numerics::Prediction> schemePrediction(Parameterization p) {
  switch (p) {
  case Parameterization::eps:
    return numerics::Prediction::Eps;
  case Parameterization::x0:
    return numerics::Prediction::X0;
  case Parameterization::v:
    return numerics::Prediction::V;
  case Parameterization::score:
    return numerics::Prediction::Score;
  default:
    return std::nullopt;
  }
}

/// `count` entries of `levels` evenly spread over it, first and last kept.
std::vector<double> pickLevels(ArrayRef<double> levels, int64_t count) {
  std::vector<double> picked;
  const int64_t n = static_cast<int64_t>(levels.size());
  for (int64_t i = 0; i < count; ++i)
    picked.push_back(levels[count == 1 ? n - 1
                                       : static_cast<int64_t>(std::llround(
                                             static_cast<double>(i) * (n - 1) / (count - 1)))]);
  return picked;
}

/// The process, the grid in the schedule's own coordinate (what the network
/// is conditioned on) and the prior's standard deviation, per schedule and
/// method. Continuous SDEs integrate t from 1 to t_min; sigma schedules walk
/// their levels (Karras: EDM's grid ending at sigma = 0).
struct Setup {
  numerics::SchemeRequest request;
  double priorStd = 1.0;
  /// final_sigma = zero on a grid that ends above it: the last step is the
  /// x0 estimate (a denoising step).
  bool endAtData = false;
};

FailureOr<Setup> setUp(SolveOp op, numerics::SchemeMethod method, std::string &why) {
  using numerics::SchemeMethod;
  Setup setup;
  numerics::SchemeRequest &r = setup.request;
  r.method = method;
  const int64_t steps = static_cast<int64_t>(op.getSteps());
  const bool langevin = method == SchemeMethod::Langevin;
  const bool annealed = method == SchemeMethod::AnnealedLangevin;
  ScheduleAttrInterface schedule = op.getSchedule();

  // The process and span from the schedule; levels of sigma schedules,
  // noisiest first; tMin for the time schedules, which integrate t from 1.
  r.process = schedule.getProcess();
  const numerics::TimeInterval interval = schedule.getInterval();
  const bool sigmaTime = r.process.kind == numerics::Process::Kind::SigmaTime;
  std::vector<double> levels;
  std::optional<double> tMin;
  const bool endAtMin = op.getFinalSigma() == FinalSigma::min;
  const bool endAtZero = op.getFinalSigma() == FinalSigma::zero;
  if (sigmaTime && !schedule.isDiscrete()) { // levels spaced per run (karras)
    if (langevin) {
      levels = {interval.tEnd};
    } else {
      levels = schedule.getNoiseLevels(steps);
      if (!annealed && !endAtMin)
        levels.push_back(0.0); // EDM: the last step lands on the data
    }
  } else if (sigmaTime) { // the schedule's own levels (ncsn, sigmas)
    levels = schedule.getNoiseLevels(steps);
  } else {
    tMin = interval.tEnd;
    setup.priorStd = interval.priorStd;
  }
  const bool pickedSteps =
      r.process.kind == numerics::Process::Kind::DiscreteVP &&
      (op.getSpacing() == TimeSpacing::leading || op.getSpacing() == TimeSpacing::trailing ||
       op.getTimesteps());

  if (tMin && pickedSteps) {
    // The training steps diffusers' schedulers start their steps from, at
    // t_n = (n + 1) / T, then training step 0 (t_min, final_sigma = min)
    // unless the last already is.
    const int64_t T = static_cast<int64_t>(r.process.logAlphas.size());
    for (int64_t n : solveTimesteps(op, T))
      r.grid.push_back(static_cast<double>(n + 1) / static_cast<double>(T));
    if (!endAtZero && r.grid.back() > *tMin)
      r.grid.push_back(*tMin);
  } else if (tMin) {
    // final_sigma = zero spends the last of the steps on the x0 estimate at
    // t_min (diffusers' Euler: linspace(0, T - 1, N) then sigma = 0), so the
    // grid has one point fewer.
    const int64_t points = langevin || (endAtZero && steps == 1) ? 1
                           : annealed || endAtZero              ? steps
                                                                : steps + 1;
    if (langevin) {
      r.grid = {*tMin};
    } else if (points == 1) {
      r.grid = {1.0}; // one step: the x0 estimate at the prior
    } else if (op.getSpacing() == TimeSpacing::logsnr) {
      // Uniform in lambda = log(alpha / sigma), the grid DPM-Solver uses.
      for (double lambda :
           numerics::linspace(r.process.logSNR(1.0), r.process.logSNR(*tMin), points))
        r.grid.push_back(r.process.timeOfLogSNR(lambda, *tMin, 1.0));
      r.grid.front() = 1.0; // exact ends: bisection leaves ~1 ulp
      r.grid.back() = *tMin;
    } else {
      r.grid = numerics::linspace(1.0, *tMin, points);
    }
  } else if (!schedule.isDiscrete()) {
    r.grid = levels;
  } else {
    // NCSN / explicit sigmas: Langevin at the smallest level, annealed
    // Langevin over `steps` of the levels, solvers over steps + 1 of them.
    const int64_t needed = langevin ? 1 : annealed ? steps : steps + 1;
    if (needed > static_cast<int64_t>(levels.size())) {
      why = std::to_string(steps) + " steps need " + std::to_string(needed) +
            " noise levels, the schedule has " + std::to_string(levels.size());
      return failure();
    }
    r.grid = langevin ? std::vector<double>{levels.back()} : pickLevels(levels, needed);
  }
  if (!tMin && !langevin)
    setup.priorStd = r.grid.front();
  // final_sigma = zero on a DDPM schedule: one more step, from the grid's last
  // time to the data, returns the x0 estimate there (diffusers'
  // final_sigmas_type "zero").
  if (endAtZero && tMin)
    setup.endAtData = true;

  if (langevin) {
    r.iterations = steps;
    if (auto attr = dyn_cast<LangevinAttr>(op.getMethod())) // mala reads its own
      r.stepSize = attr.getStepSize();
    setup.priorStd = 1.0; // the chain starts from the noise as given
  } else if (annealed) {
    auto attr = cast<AnnealedLangevinAttr>(op.getMethod());
    r.iterations = attr.getStepsPerLevel();
    r.stepSize = attr.getDelta();
  }
  return setup;
}

/// Predictor-corrector: before each predictor step, `steps` Langevin
/// corrector steps at the step's time with the SNR rule (Song et al. 2021,
/// alg. 5). The corrector reads the score, score = u x + w p at that time.
struct Corrector {
  int64_t steps = 0;
  double snr = 0;
  std::vector<double> time, alpha, u, w;
};

struct Plan {
  Setup setup;
  numerics::StageScheme scheme;
  Corrector corrector;
};

/// The corrector's tables, one entry per scheme step. alpha_i = 1 - beta_i,
/// the VP discretisation's (beta(t) dt = -2 f dt), 1 for VE and sigma
/// schedules, as in Song et al.'s code; 0 (no move) on a denoise_final step.
Corrector correctorOf(PredictorCorrectorAttr pc, const numerics::SchemeRequest &r,
                      int64_t steps) {
  Corrector c;
  c.steps = pc.getCorrectorSteps();
  c.snr = pc.getSnr();
  for (int64_t i = 0; i < steps; ++i) {
    const bool last = i + 1 >= static_cast<int64_t>(r.grid.size());
    const double t = r.grid[last ? r.grid.size() - 1 : i];
    const double dt = last ? 0.0 : r.grid[i] - r.grid[i + 1];
    auto [u, w] = numerics::scoreConversion(r.process, r.prediction, t);
    c.time.push_back(t);
    c.alpha.push_back(last ? 0.0 : std::max(0.0, 1.0 + 2.0 * r.process.drift(t) * dt));
    c.u.push_back(u);
    c.w.push_back(w);
  }
  return c;
}

/// The scheme of a solve; failure with `why` empty when the method is not a
/// stage scheme, with `why` set when it is but the request cannot be met.
FailureOr<Plan> planScheme(SolveOp op, std::string &why) {
  std::optional<numerics::SchemeMethod> method = schemeMethod(op.getMethod());
  std::optional<numerics::Prediction> prediction = schemePrediction(op.getPrediction());
  if (!method || !prediction)
    return failure();
  FailureOr<Setup> setup = setUp(op, *method, why);
  if (failed(setup))
    return failure();
  numerics::SchemeRequest &request = setup->request;
  request.prediction = *prediction;
  request.denoiseFinal = op.getDenoiseFinal() || setup->endAtData;
  if (auto ode = dyn_cast<ODEAttr>(op.getMethod())) {
    request.churn = ode.getChurn();
    // Ending at the data, the last step is the first-order x0 estimate
    // already (diffusers lowers the order of that step, not of the one before).
    request.lowerOrderFinal = ode.getLowerOrderFinal() != 0 && !setup->endAtData;
  }
  Plan plan{*setup, numerics::buildScheme(request, why), {}};
  if (!why.empty())
    return failure();
  if (auto pc = dyn_cast<PredictorCorrectorAttr>(op.getMethod()))
    plan.corrector = correctorOf(pc, request, plan.scheme.steps);
  return plan;
}

struct ExpandStageSchemeSolve : OpRewritePattern<SolveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SolveOp op, PatternRewriter &rewriter) const override {
    auto network =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
    if (!network)
      return rewriter.notifyMatchFailure(op, "network not found");
    std::string why;
    FailureOr<Plan> plan = planScheme(op, why);
    if (failed(plan))
      return rewriter.notifyMatchFailure(op, why);
    const numerics::StageScheme &scheme = plan->scheme;
    const Setup *setup = &plan->setup;

    Location loc = op.getLoc();
    RankedTensorType stateType = op.getType();
    auto timeType = RankedTensorType::get({stateType.getDimSize(0)}, rewriter.getF32Type());
    auto tables = [&](ArrayRef<double> values) { return rewriter.getDenseF64ArrayAttr(values); };
    // What the network is conditioned on at each time (the step index on
    // discrete schedules).
    auto conditioning = [&](ArrayRef<double> times) {
      std::vector<double> inputs;
      for (double t : times)
        inputs.push_back(setup->request.process.conditioning(t));
      return tables(inputs);
    };

    // The prior: the solve's standard normal noise scaled by the prior's std.
    Value init = scalePrior(rewriter, loc, op.getNoise(), setup->priorStd);

    // The state and the scheme's extra carried states, which start as the prior.
    SmallVector<Value> inits(1 + scheme.carried, init);
    SmallVector<Type> carriedTypes(1 + scheme.carried, stateType);
    auto loop = rewriter.create<LoopOp>(loc, carriedTypes,
                                        rewriter.getI64IntegerAttr(scheme.steps), inits);
    SmallVector<Type> argTypes{rewriter.getIndexType()};
    argTypes.append(carriedTypes);
    Block *body = rewriter.createBlock(&loop.getBody(), {}, argTypes,
                                       SmallVector<Location>(argTypes.size(), loc));
    Value step = body->getArgument(0);

    // Basis [x, h..., z, p...]; z is drawn only by stochastic schemes.
    std::vector<Value> basis(body->args_begin() + 1, body->args_end());
    Value x = basis.front();

    // Predictor-corrector: the corrector steps come first, on noise draws
    // 1 .. n (the predictor's is draw 0); the predictor then starts from
    // their result.
    const Corrector &corrector = plan->corrector;
    for (int64_t k = 0; k < corrector.steps; ++k) {
      Value time = rewriter.create<TimestepOp>(loc, timeType, step, x,
                                               conditioning(corrector.time));
      Value output =
          rewriter.create<func::CallOp>(loc, network, ValueRange{x, time}).getResult(0);
      Value score = output;
      if (op.getPrediction() != Parameterization::score)
        score = rewriter.create<AffineStepOp>(loc, stateType, x, output, Value(), step,
                                              tables(corrector.u), tables(corrector.w),
                                              tables(std::vector<double>(scheme.steps, 0.0)));
      Value z = rewriter.create<RandnOp>(loc, stateType, x, op.getSeed(), op.getFirstSample(),
                                         step, rewriter.getI64IntegerAttr(k + 1));
      x = rewriter.create<LangevinCorrectorOp>(loc, stateType, x, score, z, step,
                                               tables(corrector.alpha),
                                               rewriter.getF64FloatAttr(corrector.snr));
    }
    basis.front() = x;

    basis.push_back(scheme.noisy ? rewriter.create<RandnOp>(loc, stateType, x, op.getSeed(),
                                                            op.getFirstSample(), step,
                                                            rewriter.getI64IntegerAttr(0))
                                 : Value());

    // sum_k coefficient_k[step] * basis_k as a chain of affine steps
    // (a x + b y + c z) over the terms with a nonzero table; one term with
    // coefficient 1 throughout is that term itself.
    auto combine = [&](ArrayRef<std::vector<double>> coefficients) -> Value {
      SmallVector<std::pair<Value, const std::vector<double> *>> terms;
      for (size_t k = 0; k < coefficients.size(); ++k)
        if (llvm::any_of(coefficients[k], [](double c) { return c != 0.0; }))
          terms.push_back({basis[k], &coefficients[k]});
      if (terms.size() == 1 &&
          llvm::all_of(*terms[0].second, [](double c) { return c == 1.0; }))
        return terms[0].first;
      std::vector<double> ones(scheme.steps, 1.0), zeros(scheme.steps, 0.0);
      if (terms.empty()) // the zero tensor, as 0 x
        terms.push_back({x, &zeros});
      if (terms.size() == 1) // a y alone: a y + 0 y
        return rewriter.create<AffineStepOp>(loc, stateType, terms[0].first, terms[0].first,
                                             Value(), step, tables(*terms[0].second),
                                             tables(zeros), tables(zeros));
      Value acc = terms[0].first;
      const std::vector<double> *accCoefficient = terms[0].second;
      for (size_t k = 1; k < terms.size();) {
        Value y = terms[k].first;
        const bool withZ = k + 1 < terms.size();
        Value z = withZ ? terms[k + 1].first : Value();
        acc = rewriter.create<AffineStepOp>(loc, stateType, acc, y, z, step,
                                            tables(*accCoefficient), tables(*terms[k].second),
                                            tables(withZ ? *terms[k + 1].second : zeros));
        accCoefficient = &ones;
        k += withZ ? 2 : 1;
      }
      return acc;
    };

    for (size_t j = 0; j < scheme.stageTime.size(); ++j) {
      Value input = combine(scheme.stageInput[j]);
      Value time = rewriter.create<TimestepOp>(loc, timeType, step, input,
                                               conditioning(scheme.stageTime[j]));
      basis.push_back(
          rewriter.create<func::CallOp>(loc, network, ValueRange{input, time}).getResult(0));
    }
    SmallVector<Value> results;
    for (const auto &form : scheme.next)
      results.push_back(combine(form));
    rewriter.create<YieldOp>(loc, results);
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

} // namespace

std::vector<int64_t> tweedie::solveTimesteps(SolveOp op, int64_t T) {
  if (std::optional<ArrayRef<int64_t>> picked = op.getTimesteps())
    return {picked->begin(), picked->end()};
  numerics::Spacing spacing = numerics::Spacing::Linspace;
  if (op.getSpacing() == TimeSpacing::leading)
    spacing = numerics::Spacing::Leading;
  else if (op.getSpacing() == TimeSpacing::trailing)
    spacing = numerics::Spacing::Trailing;
  return numerics::samplingTimesteps(T, static_cast<int64_t>(op.getSteps()), spacing,
                                     op.getStepsOffset());
}

Value tweedie::scalePrior(OpBuilder &b, Location loc, Value noise, double std) {
  if (std == 1.0)
    return noise;
  auto scalarType = RankedTensorType::get({1}, b.getF32Type());
  Value scale = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(scalarType, b.getF32FloatAttr(std).getValue()));
  return b.create<score::MulOp>(loc, noise.getType(), noise, scale);
}

FailureOr<double> tweedie::langevinConditioning(SolveOp op, std::string &why) {
  FailureOr<Setup> setup = setUp(op, numerics::SchemeMethod::Langevin, why);
  if (failed(setup))
    return failure();
  const numerics::SchemeRequest &r = setup->request;
  return r.process.conditioning(r.grid.front());
}

std::string tweedie::whyStageSchemeFails(SolveOp op) {
  std::string why;
  (void)planScheme(op, why);
  return why;
}

void tweedie::populateExpandStageSchemePatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandStageSchemeSolve>(patterns.getContext());
}
