//===- ExpandObjective.cpp - sampler.dsm_loss -> score ops
//-----------------===//
//
// A DSM loss becomes ordinary IR that the autodiff pass differentiates:
//
//   u = rand_uniform (draw 0)          the example's noise level, as a uniform
//   t, alpha, sigma = f(u)             (a table read, or the process's
//                                      coefficients written as score ops)
//   z = randn (draw 1);  x_t = alpha x_0 + sigma z
//   eps_hat = the network's prediction as a noise estimate
//   loss = sum((eps_hat - z)^2) / (2 B)
//
// (1/2) ||eps_hat - z||^2 is (lambda / 2) ||s + z / sigma||^2 with lambda =
// sigma^2, since eps_hat = -sigma s. Noise is keyed by (seed, row, training
// step), so a step's batch always sees the same draws (what makes --resume
// bit-identical).
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Numerics/Processes.h"
#include "tweedie/Autodiff/Autodiff.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEEXPANDOBJECTIVE
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

/// Philox draws of an example: its noise level, its noise, and the probes of
/// sliced score matching (draws kProbeDraw + k).
enum Draw : int64_t { kLevelDraw = 0, kNoiseDraw = 1, kLogNormalDraw = 2, kProbeDraw = 3 };

/// One example's noise level: the network's conditioning, and the
/// coefficients of x_t = alpha x_0 + sigma z ([B] each; alpha null means 1).
struct NoiseLevel {
  Value conditioning, alpha, sigma;
};

class Expander {
public:
  Expander(OpBuilder &b, DSMLossOp op)
      : b(b), op(op), loc(op.getLoc()),
        vector(RankedTensorType::get({cast<RankedTensorType>(op.getData().getType()).getDimSize(0)},
                                     b.getF32Type())),
        e(b, loc, vector) {}

  FailureOr<Value> expand() {
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value data = op.getData();
    Value u = b.create<RandUniformOp>(loc, vector, data, op.getSeed(), zero, op.getStep(),
                                      b.getI64IntegerAttr(kLevelDraw));
    const NoiseLevel level = drawLevel(u, zero);
    Value z = b.create<RandnOp>(loc, data.getType(), data, op.getSeed(), zero, op.getStep(),
                                b.getI64IntegerAttr(kNoiseDraw));
    Value sigma = column(level.sigma);
    Value alpha = level.alpha ? column(level.alpha) : Value();
    Value signal = alpha ? b.create<score::MulOp>(loc, data, alpha).getResult() : data;
    Value noisy = b.create<score::AddOp>(loc, signal, b.create<score::MulOp>(loc, z, sigma));

    if (op.getProbes() > 0)
      return slicedLoss(noisy, level, alpha, sigma, u);
    FailureOr<Value> epsHat = noiseEstimate(noisy, level.conditioning, alpha, sigma);
    if (failed(epsHat))
      return failure();
    Value residual = b.create<score::AddOp>(loc, *epsHat, scaled(z, -1.0));
    Value squared = b.create<score::ActOp>(loc, score::ActKind::square, residual);
    auto type = cast<RankedTensorType>(squared.getType());
    SmallVector<int64_t> all;
    for (int64_t d = 0; d < type.getRank(); ++d)
      all.push_back(d);
    Value total = b.create<score::ReduceSumOp>(loc, squared, b.getDenseI64ArrayAttr(all));
    Value loss = b.create<score::ReshapeOp>(loc, op.getLoss().getType(), total);
    // 1 / (2 B), B counted at run time: the batch is dynamic.
    Value ones = b.create<score::BroadcastOp>(loc, constant(1.0), u);
    Value count = b.create<score::ReduceSumOp>(loc, ones, b.getDenseI64ArrayAttr({0}));
    Value perExample = b.create<score::ActOp>(loc, score::ActKind::reciprocal, scaled(count, 2.0));
    return b.create<score::MulOp>(loc, loss, perExample).getResult();
  }

private:
  /// Sliced score matching at x_t (variance-reduced, Song et al. 2019), with
  /// lambda = sigma^2 and s = -eps/sigma: per example
  ///   1/2 |eps|^2 - sigma mean_k v_k^T (grad_x eps) v_k,
  /// v_k . (grad_x eps)^T v_k from the gradient of v_k . eps(x) (the
  /// autodiff on @<net>_sliced_probe), then the batch mean.
  FailureOr<Value> slicedLoss(Value noisy, const NoiseLevel &level, Value alpha, Value sigma,
                              Value u) {
    FailureOr<Value> epsHat = noiseEstimate(noisy, level.conditioning, alpha, sigma);
    FailureOr<func::FuncOp> probe = probeGradient(alpha != nullptr);
    if (failed(epsHat) || failed(probe))
      return failure();
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    const bool rademacher = op.getProbe() == ProbeDistribution::rademacher;
    Value trace;
    for (int64_t k = 0; k < op.getProbes(); ++k) {
      Value v = b.create<RandnOp>(loc, noisy.getType(), noisy, op.getSeed(), zero, op.getStep(),
                                  b.getI64IntegerAttr(kProbeDraw + k),
                                  rademacher ? b.getUnitAttr() : UnitAttr());
      SmallVector<Value> args{noisy, level.conditioning};
      if (alpha)
        args.push_back(alpha);
      args.append({sigma, v});
      Value vjp = b.create<func::CallOp>(loc, *probe, args).getResult(1);
      Value quadratic = perExample(b.create<score::MulOp>(loc, v, vjp));
      trace = trace ? e.add(trace, quadratic) : quadratic;
    }
    trace = e.scale(trace, 1.0 / static_cast<double>(op.getProbes()));
    Value half =
        e.scale(perExample(b.create<score::ActOp>(loc, score::ActKind::square, *epsHat)), 0.5);
    Value terms = e.add(half, e.scale(e.mul(level.sigma, trace), -1.0));
    Value total = b.create<score::ReduceSumOp>(loc, terms, b.getDenseI64ArrayAttr({0}));
    Value ones = b.create<score::BroadcastOp>(loc, constant(1.0), u);
    Value count = b.create<score::ReduceSumOp>(loc, ones, b.getDenseI64ArrayAttr({0}));
    return b
        .create<score::MulOp>(loc, total,
                              b.create<score::ActOp>(loc, score::ActKind::reciprocal, count))
        .getResult();
  }

  /// [B, ...] -> [B]: the sum over each example's elements.
  Value perExample(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> axes;
    for (int64_t d = 1; d < type.getRank(); ++d)
      axes.push_back(d);
    Value sum = b.create<score::ReduceSumOp>(loc, x, b.getDenseI64ArrayAttr(axes));
    return b.create<score::ReshapeOp>(loc, vector, sum);
  }

  /// `@<net>_sliced_probe(x, t, [alpha,] sigma, v) = v . eps(x)` per example,
  /// with the network's body inlined (the autodiff differentiates no calls),
  /// and its gradient with respect to x, made once per module.
  FailureOr<func::FuncOp> probeGradient(bool withAlpha) {
    auto module = op->getParentOfType<ModuleOp>();
    auto network = module.lookupSymbol<func::FuncOp>(op.getNetworkAttr());
    std::string name = (network.getSymName() + "_sliced_probe").str();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name + "_grad"))
      return existing;
    if (module.lookupSymbol(name))
      return op.emitOpError("needs @") << name << " for sliced score matching, but that "
                                       << "name is taken";
    Type state = op.getData().getType();
    RankedTensorType column = columnType();
    SmallVector<Type> inputs{state, vector};
    if (withAlpha)
      inputs.push_back(column);
    inputs.append({column, state});

    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfter(network);
    auto fn = b.create<func::FuncOp>(loc, name, b.getFunctionType(inputs, {vector}));
    fn.setPrivate();
    Block *body = fn.addEntryBlock();
    b.setInsertionPointToStart(body);
    Value x = body->getArgument(0), t = body->getArgument(1);
    Value alpha = withAlpha ? body->getArgument(2) : Value();
    Value sigma = body->getArgument(withAlpha ? 3 : 2);
    Value v = body->getArguments().back();
    auto inlined = [&](Value at, Value conditioning) {
      return cloneNetworkAt(b, network, at, conditioning);
    };
    FailureOr<Value> eps = noiseEstimate(x, t, alpha, sigma, inlined);
    if (failed(eps))
      return failure();
    b.create<func::ReturnOp>(loc, perExample(b.create<score::MulOp>(loc, v, *eps)));
    return createGradientFunction(fn, /*params=*/false, {0});
  }

  Value constant(double c) {
    auto scalar = RankedTensorType::get({1}, b.getF32Type());
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(scalar, b.getF32FloatAttr(c).getValue()));
  }
  Value scaled(Value x, double c) { return b.create<score::MulOp>(loc, x, constant(c)); }

  /// [B, 1, ..., 1]: a per-example number that broadcasts against the data.
  RankedTensorType columnType() {
    auto data = cast<RankedTensorType>(op.getData().getType());
    SmallVector<int64_t> shape(data.getRank(), 1);
    shape[0] = data.getDimSize(0);
    return RankedTensorType::get(shape, b.getF32Type());
  }

  /// [B] -> [B, 1, ..., 1]
  Value column(Value v) { return b.create<score::ReshapeOp>(loc, columnType(), v); }

  Value table(Value u, ArrayRef<double> entries, bool discrete) {
    return b.create<InterpolateOp>(loc, u.getType(), u, b.getDenseF64ArrayAttr(entries),
                                   discrete ? b.getUnitAttr() : UnitAttr());
  }

  NoiseLevel drawLevel(Value u, Value zero) {
    ScheduleAttrInterface schedule = op.getSchedule();
    NoiseLevel level;
    if (op.getLevels() == NoiseLevelSampling::lognormal) {
      // EDM: log sigma ~ N(p_mean, p_std^2).
      Value n = b.create<RandnOp>(loc, vector, u, op.getSeed(), zero, op.getStep(),
                                  b.getI64IntegerAttr(kLogNormalDraw));
      Value logSigma =
          e.shift(e.scale(n, op.getPStd().convertToDouble()), op.getPMean().convertToDouble());
      level.sigma = level.conditioning = e.act(score::ActKind::exp, logSigma);
      return level;
    }
    if (std::vector<double> alphaBars = schedule.getAlphaBars(); !alphaBars.empty()) {
      // L_simple: training step n + 1 uniform in {1..T}; the network sees n.
      std::vector<double> steps, alphas, sigmas;
      for (size_t n = 0; n < alphaBars.size(); ++n) {
        steps.push_back(static_cast<double>(n));
        alphas.push_back(std::sqrt(alphaBars[n]));
        sigmas.push_back(std::sqrt(1.0 - alphaBars[n]));
      }
      level.conditioning = table(u, steps, true);
      level.alpha = table(u, alphas, true);
      level.sigma = table(u, sigmas, true);
      return level;
    }
    if (schedule.isSigmaTime() && schedule.isDiscrete()) {
      // NCSN: a level per example (one level: single-sigma DSM).
      level.sigma = level.conditioning = table(u, schedule.getNoiseLevels(0), true);
      return level;
    }
    if (schedule.isSigmaTime()) {
      // Uniform in log sigma over the schedule's span (karras).
      const numerics::TimeInterval interval = schedule.getInterval();
      const double lo = std::log(interval.tEnd), hi = std::log(interval.tStart);
      level.sigma = level.conditioning =
          e.act(score::ActKind::exp, e.shift(e.scale(u, hi - lo), lo));
      return level;
    }
    // Continuous time (vp, subvp, ve), t uniform in [t_min, 1].
    const double tMin = op.getTMin().convertToDouble();
    Value t = e.shift(e.scale(u, 1.0 - tMin), tMin);
    Coefficients c = coefficientsOf(schedule, t, e);
    level.conditioning = t;
    level.alpha = c.alpha;
    level.sigma = c.sigma;
    return level;
  }

  /// The network's prediction at x_t as an estimate of z; `evaluate` runs
  /// the network (by default a call of it).
  FailureOr<Value> noiseEstimate(Value noisy, Value conditioning, Value alpha, Value sigma,
                                 llvm::function_ref<Value(Value, Value)> evaluate = {}) {
    auto module = op->getParentOfType<ModuleOp>();
    auto network = module.lookupSymbol<func::FuncOp>(op.getNetworkAttr());
    auto output = [&]() {
      return evaluate ? evaluate(noisy, conditioning) : call(network, noisy, conditioning, 0);
    };
    switch (op.getPrediction()) {
    case Parameterization::eps:
      return output();
    case Parameterization::score: // eps = -sigma s
      return b.create<score::MulOp>(loc, output(), scaled(sigma, -1.0)).getResult();
    case Parameterization::x0: { // eps = (x_t - alpha x0) / sigma
      Value x0 = output();
      Value signal = alpha ? b.create<score::MulOp>(loc, x0, alpha).getResult() : x0;
      Value diff = b.create<score::AddOp>(loc, noisy, scaled(signal, -1.0));
      return b
          .create<score::MulOp>(loc, diff,
                                b.create<score::ActOp>(loc, score::ActKind::reciprocal, sigma))
          .getResult();
    }
    case Parameterization::energy: { // s = -grad_x E, so eps = sigma grad_x E
      FailureOr<func::FuncOp> gradient = energyInputGradient(network, op);
      if (failed(gradient))
        return failure();
      return b.create<score::MulOp>(loc, call(*gradient, noisy, conditioning, 1), sigma)
          .getResult();
    }
    case Parameterization::v: {
      // v = alpha z - sigma x0, so eps = (alpha v + sigma x_t) / (alpha^2 + sigma^2).
      Value v = output();
      Value alphaV = alpha ? b.create<score::MulOp>(loc, v, alpha).getResult() : v;
      Value numerator =
          b.create<score::AddOp>(loc, alphaV, b.create<score::MulOp>(loc, noisy, sigma));
      Value sigmaSq = b.create<score::ActOp>(loc, score::ActKind::square, sigma);
      Value alphaSq =
          alpha ? b.create<score::ActOp>(loc, score::ActKind::square, alpha).getResult() : Value();
      Value denominator = alphaSq ? b.create<score::AddOp>(loc, alphaSq, sigmaSq).getResult()
                                  : b.create<score::AddOp>(loc, sigmaSq, constant(1.0)).getResult();
      return b
          .create<score::MulOp>(
              loc, numerator, b.create<score::ActOp>(loc, score::ActKind::reciprocal, denominator))
          .getResult();
    }
    }
    return op.emitOpError("cannot train prediction ")
           << stringifyParameterization(op.getPrediction());
  }

  Value call(func::FuncOp callee, Value x, Value conditioning, unsigned result) {
    return b.create<func::CallOp>(loc, callee, ValueRange{x, conditioning}).getResult(result);
  }

  OpBuilder &b;
  DSMLossOp op;
  Location loc;
  RankedTensorType vector; // [B]
  TimeExpr e;
};

/// A classifier's cross-entropy: the batch mean of logsumexp(l) - y . l.
/// The log-sum-exp is taken around each row's mean logit c, exactly
/// (LSE(l) = c + LSE(l - c) for any c, so its gradient is exact too), which
/// keeps exp in range while the logits spread less than ~80 apart.
Value expandCrossEntropy(OpBuilder &b, CrossEntropyLossOp op) {
  Location loc = op.getLoc();
  auto module = op->getParentOfType<ModuleOp>();
  auto network = module.lookupSymbol<func::FuncOp>(op.getNetworkAttr());
  auto scalar = RankedTensorType::get({1}, b.getF32Type());
  auto constant = [&](double c) -> Value {
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(scalar, b.getF32FloatAttr(c).getValue()));
  };
  Value labels = op.getLabels();
  const int64_t classes = op.getLabels().getType().getDimSize(1);
  Value logits = b.create<func::CallOp>(loc, network, ValueRange{op.getData()}).getResult(0);
  auto rows = [&](Value v) { // [B, K] -> [B, 1]
    return b.create<score::ReduceSumOp>(loc, v, b.getDenseI64ArrayAttr({1})).getResult();
  };
  Value centre = b.create<score::MulOp>(loc, rows(logits), constant(1.0 / classes));
  Value shifted =
      b.create<score::AddOp>(loc, logits, b.create<score::MulOp>(loc, centre, constant(-1.0)));
  Value sumExp = rows(b.create<score::ActOp>(loc, score::ActKind::exp, shifted));
  Value lse = b.create<score::AddOp>(loc, centre,
                                     b.create<score::ActOp>(loc, score::ActKind::log, sumExp));
  Value picked = rows(b.create<score::MulOp>(loc, labels, logits));
  Value perExample =
      b.create<score::AddOp>(loc, lse, b.create<score::MulOp>(loc, picked, constant(-1.0)));
  Value total = b.create<score::ReduceSumOp>(loc, perExample, b.getDenseI64ArrayAttr({0, 1}));
  // B counted at run time: the batch is dynamic. One-hot rows sum to B, but
  // soft labels need not, so count a column of ones instead.
  Value ones = b.create<score::BroadcastOp>(loc, constant(1.0), centre);
  Value count = b.create<score::ReduceSumOp>(loc, ones, b.getDenseI64ArrayAttr({0, 1}));
  Value mean = b.create<score::MulOp>(
      loc, total, b.create<score::ActOp>(loc, score::ActKind::reciprocal, count));
  return b.create<score::ReshapeOp>(loc, op.getLoss().getType(), mean);
}

struct ExpandObjectivePass : tweedie::impl::TweedieExpandObjectiveBase<ExpandObjectivePass> {
  void runOnOperation() override {
    SmallVector<CrossEntropyLossOp> classifiers;
    getOperation().walk([&](CrossEntropyLossOp op) { classifiers.push_back(op); });
    for (CrossEntropyLossOp op : classifiers) {
      OpBuilder b(op);
      op.getLoss().replaceAllUsesWith(expandCrossEntropy(b, op));
      op.erase();
    }
    SmallVector<DSMLossOp> losses;
    getOperation().walk([&](DSMLossOp op) { losses.push_back(op); });
    for (DSMLossOp op : losses) {
      OpBuilder b(op);
      FailureOr<Value> loss = Expander(b, op).expand();
      if (failed(loss))
        return signalPassFailure();
      op.getLoss().replaceAllUsesWith(*loss);
      op.erase();
    }
  }
};

} // namespace
