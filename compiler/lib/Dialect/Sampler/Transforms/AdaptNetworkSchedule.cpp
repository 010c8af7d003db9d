//===- AdaptNetworkSchedule.cpp - sample a network on a schedule it was not trained on -===//
//
// A network's `sampler.schedule` attribute says what its conditioning input
// means (a DDPM step index, a time in [0, 1], a noise level). A sampler on
// another schedule feeds it its own coordinate; unconverted, a DDPM network
// sampled on Karras sigmas reads sigma = 80 as step 80 and diverges. This
// pass puts @<net>_on_<schedule> between them: from the sampler's
// conditioning it reads (float64 tables, NoiseConditioning.h) the network's
// conditioning at equal noise-to-signal ratio and the input scale
// alpha_n / alpha_s, and returns a prediction the sampler's coordinates
// mean the same by. A schedule whose noise leaves the network's trained span
// is refused here, at compile time.
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"
#include "tweedie/Numerics/NoiseConditioning.h"

#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include <cstdio>

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEADAPTNETWORKSCHEDULE
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

/// Table points over the sampler's span: 4.6e-4 of a training step of
/// interpolation error at worst on DDPM's linear schedule (whose log-sigma
/// knots are 0.37 apart at the low end; NoiseConditioningTest), 32 KiB a table.
constexpr int64_t kTableEntries = 4097;

/// EDM's churn raises a sigma schedule's noise by at most sqrt(2) per step.
constexpr double kChurnHeadroom = 1.4142135623730951;

std::string scheduleName(ScheduleAttrInterface schedule) {
  StringRef name = cast<Attribute>(schedule).getAbstractAttribute().getName();
  return name.drop_front(name.find('.') + 1).str();
}

/// Six digits, for messages.
std::string shortly(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

/// The noise-to-signal span a schedule's sampler visits.
numerics::NoiseSpan visitedSpan(ScheduleAttrInterface schedule) {
  const numerics::Process process = schedule.getProcess();
  const numerics::TimeInterval interval = schedule.getInterval();
  return {numerics::noiseToSignal(process, interval.tEnd),
          numerics::noiseToSignal(process, interval.tStart)};
}

/// Builds @<net>_on_<schedule> for one solve or likelihood.
class Adapter {
public:
  Adapter(Operation *user, func::FuncOp network, ScheduleAttrInterface schedule,
          ScheduleAttrInterface trained, Parameterization prediction)
      : user(user), network(network), schedule(schedule), trained(trained),
        prediction(prediction) {}

  /// The wrapper and the prediction it returns.
  FailureOr<std::pair<func::FuncOp, Parameterization>> build() {
    if (prediction == Parameterization::energy)
      return user->emitOpError("samples the energy network @")
             << network.getSymName() << " on schedule " << schedule << ", but it was trained on "
             << trained << ": an energy's conditioning is not converted yet; sample it on its "
             << "own schedule's process";
    if (failed(checkSpan()))
      return failure();
    const numerics::Process samplerProcess = schedule.getProcess();
    const numerics::TimeInterval interval = schedule.getInterval();
    double lo = samplerProcess.conditioning(interval.tEnd);
    double hi = samplerProcess.conditioning(interval.tStart);
    if (schedule.isSigmaTime())
      hi *= kChurnHeadroom;
    map = numerics::conditioningMap(samplerProcess, trained.getProcess(), lo, hi, kTableEntries);
    return std::make_pair(createFunction(), prediction == Parameterization::v
                                                ? Parameterization::eps
                                                : prediction);
  }

private:
  LogicalResult checkSpan() {
    const numerics::NoiseSpan visited = visitedSpan(schedule);
    const numerics::NoiseSpan span = numerics::trainedNoiseSpan(trained.getProcess());
    constexpr double kSlack = 1e-9; // the spans' own float64 rounding
    if (visited.hi <= span.hi * (1 + kSlack) && visited.lo >= span.lo * (1 - kSlack))
      return success();
    auto diagnostic = user->emitOpError("samples @")
                      << network.getSymName() << " on schedule " << schedule
                      << ", whose noise sigma/alpha spans " << shortly(visited.lo) << " .. "
                      << shortly(visited.hi) << ", but it was trained on " << trained
                      << ", which spans " << shortly(span.lo) << " .. " << shortly(span.hi);
    if (schedule.isSigmaTime())
      diagnostic << ": give the schedule sigma_min and sigma_max within that span (tweedie-"
                    "compile --sampler takes them from the network when left out)";
    else
      diagnostic << ": use a schedule within that span, or the network's own";
    return failure();
  }

  func::FuncOp createFunction() {
    OpBuilder b(network);
    b.setInsertionPointAfter(network);
    Location loc = network.getLoc();
    FunctionType type = network.getFunctionType();
    auto fn = b.create<func::FuncOp>(
        loc, (network.getSymName() + "_on_" + scheduleName(schedule)).str(), type);
    fn.setPrivate();
    SymbolTable(network->getParentOfType<ModuleOp>()).insert(fn); // renames on a clash
    Block *body = fn.addEntryBlock();
    b.setInsertionPointToStart(body);
    Value x = body->getArgument(0), c = body->getArgument(1);
    auto vector = cast<RankedTensorType>(c.getType());
    TimeExpr e(b, loc, vector);

    // u in [0, 1]: where c sits in the tables (clamped by the reads).
    Value u;
    if (map.logarithmic) {
      const double logLo = std::log(map.lo), width = std::log(map.hi) - logLo;
      u = e.shift(e.scale(e.act(score::ActKind::log, c), 1.0 / width), -logLo / width);
    } else {
      const double width = map.hi - map.lo;
      u = e.scale(c, 1.0 / width);
      if (map.lo != 0)
        u = e.shift(u, -map.lo / width);
    }
    auto table = [&](ArrayRef<double> entries) -> Value {
      return b.create<InterpolateOp>(loc, vector, u, b.getDenseF64ArrayAttr(entries),
                                     UnitAttr());
    };
    auto stateType = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> columnShape(stateType.getRank(), 1);
    columnShape[0] = stateType.getDimSize(0);
    auto columnType = RankedTensorType::get(columnShape, b.getF32Type());
    auto column = [&](ArrayRef<double> entries) -> Value {
      return b.create<score::ReshapeOp>(loc, columnType, table(entries));
    };
    TimeExpr state(b, loc, stateType);

    Value scale = map.unitScale() ? Value() : column(map.inputScale);
    Value input = scale ? state.mul(x, scale) : x;
    Value p = cloneNetworkAt(b, network, input, table(map.conditioning));
    if (prediction == Parameterization::score && scale) {
      p = state.mul(p, scale); // score_s = (alpha_n / alpha_s) score_n
    } else if (prediction == Parameterization::v) {
      // x_n = a x0 + s eps, v = a eps - s x0: eps = (s x_n + a v) / (a^2 + s^2).
      std::vector<double> onInput, onV;
      for (size_t k = 0; k < map.alpha.size(); ++k) {
        const double a = map.alpha[k], s = map.sigma[k], norm = a * a + s * s;
        onInput.push_back(s / norm);
        onV.push_back(a / norm);
      }
      Value fromInput = state.mul(input, column(onInput));
      Value fromV = state.mul(p, column(onV));
      p = state.add(fromInput, fromV);
    }
    b.create<func::ReturnOp>(loc, p);
    return fn;
  }

  Operation *user;
  func::FuncOp network;
  ScheduleAttrInterface schedule, trained;
  Parameterization prediction;
  numerics::ConditioningMap map;
};

/// The network `op` samples, when it was trained on a schedule whose
/// conditioning differs from the op's; null when nothing is to be done.
template <typename OpT> LogicalResult adapt(OpT op) {
  auto network = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getNetworkAttr());
  if (!network)
    return success(); // the op's verifier reports it
  auto trained = network->template getAttrOfType<ScheduleAttrInterface>("sampler.schedule");
  ScheduleAttrInterface schedule = op.getSchedule();
  if (!trained || numerics::sameConditioning(trained.getProcess(), schedule.getProcess()))
    return success();
  Adapter adapter(op, network, schedule, trained, op.getPrediction());
  auto adapted = adapter.build();
  if (failed(adapted))
    return failure();
  op.setNetworkAttr(FlatSymbolRefAttr::get(adapted->first.getSymNameAttr()));
  op.setPrediction(adapted->second);
  return success();
}

struct AdaptNetworkSchedulePass
    : tweedie::impl::TweedieAdaptNetworkScheduleBase<AdaptNetworkSchedulePass> {
  void runOnOperation() override {
    SmallVector<Operation *> users;
    getOperation().walk([&](Operation *op) {
      if (isa<SolveOp, LikelihoodOp>(op))
        users.push_back(op);
    });
    for (Operation *op : users) {
      LogicalResult result = isa<SolveOp>(op) ? adapt(cast<SolveOp>(op))
                                              : adapt(cast<LikelihoodOp>(op));
      if (failed(result))
        return signalPassFailure();
    }
  }
};

} // namespace
