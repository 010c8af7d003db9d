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
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Numerics/StageSchemes.h"
#include "tweedie/Transforms/Passes.h"

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
  if (auto ode = dyn_cast<ODEAttr>(method)) {
    if (ode.getChurn() > 0)
      return std::nullopt;
    switch (ode.getSolver()) {
    case OdeSolver::euler:
      return SchemeMethod::Euler;
    case OdeSolver::heun:
      return SchemeMethod::Heun;
    case OdeSolver::rk4:
      return SchemeMethod::RK4;
    case OdeSolver::dpm_solver_2:
      return SchemeMethod::DPMSolver2;
    case OdeSolver::dpm_solver_3:
      return SchemeMethod::DPMSolver3;
    default:
      return std::nullopt;
    }
  }
  return std::nullopt;
}

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

  // Levels of sigma schedules, noisiest first.
  std::vector<double> levels;
  std::optional<double> tMin;
  if (auto vp = dyn_cast<VPAttr>(schedule)) {
    r.process = numerics::Process::vp(vp.getBetaMin(), vp.getBetaMax());
    tMin = vp.getTMin();
  } else if (auto subvp = dyn_cast<SubVPAttr>(schedule)) {
    r.process = numerics::Process::subVP(subvp.getBetaMin(), subvp.getBetaMax());
    tMin = subvp.getTMin();
  } else if (auto ve = dyn_cast<VEAttr>(schedule)) {
    r.process = numerics::Process::ve(ve.getSigmaMin(), ve.getSigmaMax());
    tMin = ve.getTMin();
    setup.priorStd = ve.getSigmaMax();
  } else if (auto karras = dyn_cast<KarrasAttr>(schedule)) {
    r.process = numerics::Process::sigmaTime();
    if (langevin) {
      levels = {karras.getSigmaMin()};
    } else {
      levels = numerics::karrasSigmas(steps, karras.getSigmaMin(), karras.getSigmaMax(),
                                      karras.getRho());
      if (!annealed)
        levels.push_back(0.0); // EDM: the last step lands on the data
    }
  } else if (auto ncsn = dyn_cast<NCSNAttr>(schedule)) {
    r.process = numerics::Process::sigmaTime();
    levels = numerics::geometricSigmas(ncsn.getLevels(), ncsn.getSigmaMin(),
                                       ncsn.getSigmaMax());
  } else if (auto sigmas = dyn_cast<SigmasAttr>(schedule)) {
    r.process = numerics::Process::sigmaTime();
    levels.assign(sigmas.getValues().asArrayRef().begin(),
                  sigmas.getValues().asArrayRef().end());
  } else {
    why = "discrete DDPM schedules are sampled by ddpm and ddim";
    return failure();
  }

  if (tMin) {
    if (langevin)
      r.grid = {*tMin};
    else if (annealed)
      r.grid = numerics::linspace(1.0, *tMin, steps);
    else
      r.grid = numerics::linspace(1.0, *tMin, steps + 1);
  } else if (isa<KarrasAttr>(schedule)) {
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

  if (langevin) {
    r.iterations = steps;
    r.stepSize = cast<LangevinAttr>(op.getMethod()).getStepSize();
    setup.priorStd = 1.0; // the chain starts from the noise as given
  } else if (annealed) {
    auto attr = cast<AnnealedLangevinAttr>(op.getMethod());
    r.iterations = attr.getStepsPerLevel();
    r.stepSize = attr.getDelta();
  }
  return setup;
}

struct ExpandStageSchemeSolve : OpRewritePattern<SolveOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SolveOp op, PatternRewriter &rewriter) const override {
    std::optional<numerics::SchemeMethod> method = schemeMethod(op.getMethod());
    if (!method)
      return rewriter.notifyMatchFailure(op, "not a linear stage scheme");
    std::optional<numerics::Prediction> prediction = schemePrediction(op.getPrediction());
    if (!prediction || op.getDenoiseFinal())
      return rewriter.notifyMatchFailure(op, "energy networks / denoise_final");
    auto network =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
    if (!network)
      return rewriter.notifyMatchFailure(op, "network not found");
    std::string why;
    FailureOr<Setup> setup = setUp(op, *method, why);
    if (failed(setup))
      return rewriter.notifyMatchFailure(op, why);
    setup->request.prediction = *prediction;
    numerics::StageScheme scheme = numerics::buildScheme(setup->request, why);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);

    Location loc = op.getLoc();
    RankedTensorType stateType = op.getType();
    auto timeType = RankedTensorType::get({stateType.getDimSize(0)}, rewriter.getF32Type());
    auto tables = [&](ArrayRef<double> values) { return rewriter.getDenseF64ArrayAttr(values); };

    // The prior: the solve's standard normal noise scaled by the prior's std.
    Value init = op.getNoise();
    if (setup->priorStd != 1.0) {
      auto scalarType = RankedTensorType::get({1}, rewriter.getF32Type());
      Value scale = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(scalarType,
                                      rewriter.getF32FloatAttr(setup->priorStd).getValue()));
      init = rewriter.create<score::MulOp>(loc, stateType, init, scale);
    }

    auto loop = rewriter.create<LoopOp>(loc, TypeRange{stateType},
                                        rewriter.getI64IntegerAttr(scheme.steps),
                                        ValueRange{init});
    Block *body = rewriter.createBlock(&loop.getBody(), {},
                                       {rewriter.getIndexType(), stateType}, {loc, loc});
    Value step = body->getArgument(0), x = body->getArgument(1);

    // sum_k coefficient_k[step] * terms_k as a chain of affine steps
    // (a x + b y + c z), the state's term first.
    auto combine = [&](ArrayRef<Value> terms,
                       ArrayRef<std::vector<double>> coefficients) -> Value {
      std::vector<double> ones(scheme.steps, 1.0), zeros(scheme.steps, 0.0);
      Value acc = terms[0];
      std::vector<double> accCoefficient = coefficients[0];
      size_t k = 1;
      if (terms.size() == 1) // a x alone: a x + 0 x
        return rewriter.create<AffineStepOp>(loc, stateType, acc, acc, Value(), step,
                                             tables(accCoefficient), tables(zeros),
                                             tables(zeros));
      while (k < terms.size()) {
        Value y = terms[k], z = k + 1 < terms.size() ? terms[k + 1] : Value();
        acc = rewriter.create<AffineStepOp>(
            loc, stateType, acc, y, z, step, tables(accCoefficient), tables(coefficients[k]),
            tables(z ? coefficients[k + 1] : zeros));
        accCoefficient = ones;
        k += z ? 2 : 1;
      }
      return acc;
    };

    std::vector<Value> basis{x};
    for (size_t j = 0; j < scheme.stageTime.size(); ++j) {
      Value input = x;
      if (j > 0)
        input = combine(basis, scheme.stageInput[j]);
      Value time =
          rewriter.create<TimestepOp>(loc, timeType, step, input, tables(scheme.stageTime[j]));
      basis.push_back(
          rewriter.create<func::CallOp>(loc, network, ValueRange{input, time}).getResult(0));
    }
    std::vector<Value> terms = basis;
    std::vector<std::vector<double>> coefficients = scheme.update;
    if (!scheme.noise.empty()) {
      terms.push_back(rewriter.create<RandnOp>(loc, stateType, x, op.getSeed(),
                                               op.getFirstSample(), step,
                                               rewriter.getI64IntegerAttr(0)));
      coefficients.push_back(scheme.noise);
    }
    rewriter.create<YieldOp>(loc, ValueRange{combine(terms, coefficients)});
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

} // namespace

void tweedie::populateExpandStageSchemePatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandStageSchemeSolve>(patterns.getContext());
}
