//===- SamplerAttrs.cpp - schedule and method attributes ------------------===//
//
// Each schedule says which process family it belongs to and gives, in float64,
// its process, its interval, its noise levels and its DDPM table (the schedule
// interface); each method says which schedules and parameterisations it can run
// with. `sampler.solve` asks both, and the expansions ask only the interface.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Numerics/DiscreteSchedules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <string>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace tweedie::sampler {
// Hooks for `custom<F64Array>` in the attribute assembly formats.
static ParseResult parseF64Array(AsmParser &parser, DenseF64ArrayAttr &values) {
  FailureOr<DenseF64ArrayAttr> parsed = tweedie::parseF64ArrayAttr(parser);
  if (succeeded(parsed))
    values = *parsed;
  return success(succeeded(parsed));
}
static void printF64Array(AsmPrinter &printer, DenseF64ArrayAttr values) {
  tweedie::printF64Array(printer, values.asArrayRef());
}
} // namespace tweedie::sampler

#include "tweedie/Dialect/Sampler/IR/SamplerEnums.cpp.inc"
#include "tweedie/Dialect/Sampler/IR/SamplerAttrInterfaces.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.cpp.inc"

void SamplerDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Parameter checks shared by the verifiers
//===----------------------------------------------------------------------===//

namespace {
using EmitFn = function_ref<InFlightDiagnostic()>;

LogicalResult positive(EmitFn emitError, StringRef name, double value) {
  if (!(value > 0) || !std::isfinite(value))
    return emitError() << name << " must be positive and finite, got "
                       << formatF64(value);
  return success();
}

LogicalResult nonNegative(EmitFn emitError, StringRef name, double value) {
  if (!(value >= 0) || !std::isfinite(value))
    return emitError() << name << " must be non-negative and finite, got "
                       << formatF64(value);
  return success();
}

LogicalResult inUnitInterval(EmitFn emitError, StringRef name, double value) {
  if (!(value > 0 && value < 1))
    return emitError() << name << " must lie in (0, 1), got " << formatF64(value);
  return success();
}

LogicalResult increasing(EmitFn emitError, StringRef lowName, double low,
                         StringRef highName, double high) {
  if (failed(positive(emitError, lowName, low)) ||
      failed(positive(emitError, highName, high)))
    return failure();
  if (!(low < high))
    return emitError() << lowName << " (" << formatF64(low) << ") must be below "
                       << highName << " (" << formatF64(high) << ")";
  return success();
}

LogicalResult atLeast(EmitFn emitError, StringRef name, int64_t value,
                      int64_t minimum) {
  if (value < minimum)
    return emitError() << name << " must be at least " << minimum << ", got "
                       << value;
  return success();
}

std::string describe(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << attr;
  return text;
}
} // namespace

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

/// DPM-Solver's continuous view of T training steps: t in [1/T, 1].
static numerics::TimeInterval discreteVPInterval(int64_t timesteps) {
  return {1.0, 1.0 / static_cast<double>(timesteps), 1.0};
}
/// A sigma schedule's span: from sigma_max, whose prior has std sigma_max.
static numerics::TimeInterval sigmaInterval(double sigmaMax, double sigmaMin) {
  return {sigmaMax, sigmaMin, sigmaMax};
}

LogicalResult DDPMLinearAttr::verify(EmitFn emitError, int64_t timesteps,
                                     F64 betaStart, F64 betaEnd) {
  if (failed(atLeast(emitError, "timesteps", timesteps, 2)) ||
      failed(inUnitInterval(emitError, "beta_start", betaStart)) ||
      failed(inUnitInterval(emitError, "beta_end", betaEnd)) ||
      failed(increasing(emitError, "beta_start", betaStart, "beta_end", betaEnd)))
    return failure();
  return success();
}
ProcessKind DDPMLinearAttr::getProcessKind() const {
  return ProcessKind::variance_preserving;
}
int64_t DDPMLinearAttr::getNumLevels() const { return getTimesteps(); }
std::vector<double> DDPMLinearAttr::getAlphaBars() const {
  return numerics::alphaBars(
      numerics::linearBetas(getTimesteps(), getBetaStart(), getBetaEnd()));
}
numerics::Process DDPMLinearAttr::getProcess() const {
  return numerics::Process::discreteVP(getAlphaBars());
}
numerics::TimeInterval DDPMLinearAttr::getInterval() const {
  return discreteVPInterval(getTimesteps());
}
std::vector<double> DDPMLinearAttr::getNoiseLevels(int64_t) const { return {}; }

LogicalResult DDPMScaledLinearAttr::verify(EmitFn emitError, int64_t timesteps,
                                           F64 betaStart, F64 betaEnd) {
  return DDPMLinearAttr::verify(emitError, timesteps, betaStart, betaEnd);
}
ProcessKind DDPMScaledLinearAttr::getProcessKind() const {
  return ProcessKind::variance_preserving;
}
int64_t DDPMScaledLinearAttr::getNumLevels() const { return getTimesteps(); }
std::vector<double> DDPMScaledLinearAttr::getAlphaBars() const {
  return numerics::alphaBars(
      numerics::scaledLinearBetas(getTimesteps(), getBetaStart(), getBetaEnd()));
}
numerics::Process DDPMScaledLinearAttr::getProcess() const {
  return numerics::Process::discreteVP(getAlphaBars());
}
numerics::TimeInterval DDPMScaledLinearAttr::getInterval() const {
  return discreteVPInterval(getTimesteps());
}
std::vector<double> DDPMScaledLinearAttr::getNoiseLevels(int64_t) const { return {}; }

LogicalResult DDPMCosineAttr::verify(EmitFn emitError, int64_t timesteps, F64 s,
                                     F64 maxBeta) {
  if (failed(atLeast(emitError, "timesteps", timesteps, 2)) ||
      failed(nonNegative(emitError, "s", s)) ||
      failed(inUnitInterval(emitError, "max_beta", maxBeta)))
    return failure();
  return success();
}
ProcessKind DDPMCosineAttr::getProcessKind() const {
  return ProcessKind::variance_preserving;
}
int64_t DDPMCosineAttr::getNumLevels() const { return getTimesteps(); }
std::vector<double> DDPMCosineAttr::getAlphaBars() const {
  return numerics::alphaBars(numerics::cosineBetas(getTimesteps(), getS(), getMaxBeta()));
}
numerics::Process DDPMCosineAttr::getProcess() const {
  return numerics::Process::discreteVP(getAlphaBars());
}
numerics::TimeInterval DDPMCosineAttr::getInterval() const {
  return discreteVPInterval(getTimesteps());
}
std::vector<double> DDPMCosineAttr::getNoiseLevels(int64_t) const { return {}; }

static LogicalResult verifyBetaRange(EmitFn emitError, double betaMin,
                                     double betaMax, double tMin) {
  if (failed(increasing(emitError, "beta_min", betaMin, "beta_max", betaMax)) ||
      failed(inUnitInterval(emitError, "t_min", tMin)))
    return failure();
  return success();
}

LogicalResult VPAttr::verify(EmitFn emitError, F64 betaMin, F64 betaMax,
                             F64 tMin) {
  return verifyBetaRange(emitError, betaMin, betaMax, tMin);
}
ProcessKind VPAttr::getProcessKind() const { return ProcessKind::variance_preserving; }
int64_t VPAttr::getNumLevels() const { return 0; }
numerics::Process VPAttr::getProcess() const {
  return numerics::Process::vp(getBetaMin(), getBetaMax());
}
numerics::TimeInterval VPAttr::getInterval() const { return {1.0, getTMin(), 1.0}; }
std::vector<double> VPAttr::getNoiseLevels(int64_t) const { return {}; }
std::vector<double> VPAttr::getAlphaBars() const { return {}; }

LogicalResult SubVPAttr::verify(EmitFn emitError, F64 betaMin, F64 betaMax,
                                F64 tMin) {
  return verifyBetaRange(emitError, betaMin, betaMax, tMin);
}
ProcessKind SubVPAttr::getProcessKind() const {
  return ProcessKind::sub_variance_preserving;
}
int64_t SubVPAttr::getNumLevels() const { return 0; }
numerics::Process SubVPAttr::getProcess() const {
  return numerics::Process::subVP(getBetaMin(), getBetaMax());
}
numerics::TimeInterval SubVPAttr::getInterval() const { return {1.0, getTMin(), 1.0}; }
std::vector<double> SubVPAttr::getNoiseLevels(int64_t) const { return {}; }
std::vector<double> SubVPAttr::getAlphaBars() const { return {}; }

LogicalResult VEAttr::verify(EmitFn emitError, F64 sigmaMin, F64 sigmaMax,
                             F64 tMin) {
  if (failed(increasing(emitError, "sigma_min", sigmaMin, "sigma_max", sigmaMax)) ||
      failed(inUnitInterval(emitError, "t_min", tMin)))
    return failure();
  return success();
}
ProcessKind VEAttr::getProcessKind() const { return ProcessKind::variance_exploding; }
int64_t VEAttr::getNumLevels() const { return 0; }
numerics::Process VEAttr::getProcess() const {
  return numerics::Process::ve(getSigmaMin(), getSigmaMax());
}
numerics::TimeInterval VEAttr::getInterval() const {
  return {1.0, getTMin(), getSigmaMax()};
}
std::vector<double> VEAttr::getNoiseLevels(int64_t) const { return {}; }
std::vector<double> VEAttr::getAlphaBars() const { return {}; }

LogicalResult NCSNAttr::verify(EmitFn emitError, F64 sigmaMin, F64 sigmaMax,
                               int64_t levels) {
  if (failed(increasing(emitError, "sigma_min", sigmaMin, "sigma_max", sigmaMax)) ||
      failed(atLeast(emitError, "levels", levels, 2)))
    return failure();
  return success();
}
ProcessKind NCSNAttr::getProcessKind() const {
  return ProcessKind::variance_exploding;
}
int64_t NCSNAttr::getNumLevels() const { return getLevels(); }
numerics::Process NCSNAttr::getProcess() const { return numerics::Process::sigmaTime(); }
numerics::TimeInterval NCSNAttr::getInterval() const {
  return sigmaInterval(getSigmaMax(), getSigmaMin());
}
std::vector<double> NCSNAttr::getNoiseLevels(int64_t) const {
  return numerics::geometricSigmas(getLevels(), getSigmaMin(), getSigmaMax());
}
std::vector<double> NCSNAttr::getAlphaBars() const { return {}; }

LogicalResult KarrasAttr::verify(EmitFn emitError, F64 sigmaMin, F64 sigmaMax,
                                 F64 rho) {
  if (failed(increasing(emitError, "sigma_min", sigmaMin, "sigma_max", sigmaMax)) ||
      failed(positive(emitError, "rho", rho)))
    return failure();
  return success();
}
ProcessKind KarrasAttr::getProcessKind() const {
  return ProcessKind::variance_exploding;
}
int64_t KarrasAttr::getNumLevels() const { return 0; }
numerics::Process KarrasAttr::getProcess() const { return numerics::Process::sigmaTime(); }
numerics::TimeInterval KarrasAttr::getInterval() const {
  // sigma_min, not 0: dx/dsigma is singular at sigma = 0.
  return sigmaInterval(getSigmaMax(), getSigmaMin());
}
std::vector<double> KarrasAttr::getNoiseLevels(int64_t steps) const {
  return numerics::karrasSigmas(steps, getSigmaMin(), getSigmaMax(), getRho());
}
std::vector<double> KarrasAttr::getAlphaBars() const { return {}; }

LogicalResult SigmasAttr::verify(EmitFn emitError, DenseF64ArrayAttr valuesAttr) {
  if (!valuesAttr)
    return emitError() << "needs an array of sigmas";
  ArrayRef<double> values = valuesAttr.asArrayRef();
  if (values.empty())
    return emitError() << "needs at least one sigma";
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0) || !std::isfinite(values[i]))
      return emitError() << "sigma #" << i << " must be positive and finite, got "
                         << formatF64(values[i]);
    if (i > 0 && !(values[i] < values[i - 1]))
      return emitError() << "sigmas must be strictly decreasing, but sigma #" << i
                         << " (" << formatF64(values[i]) << ") follows "
                         << formatF64(values[i - 1]);
  }
  return success();
}
ProcessKind SigmasAttr::getProcessKind() const {
  return ProcessKind::variance_exploding;
}
int64_t SigmasAttr::getNumLevels() const {
  return static_cast<int64_t>(getValues().size());
}
numerics::Process SigmasAttr::getProcess() const { return numerics::Process::sigmaTime(); }
numerics::TimeInterval SigmasAttr::getInterval() const {
  ArrayRef<double> levels = getValues().asArrayRef();
  return sigmaInterval(levels.front(), levels.back());
}
std::vector<double> SigmasAttr::getNoiseLevels(int64_t) const {
  ArrayRef<double> levels = getValues().asArrayRef();
  return {levels.begin(), levels.end()};
}
std::vector<double> SigmasAttr::getAlphaBars() const { return {}; }

//===----------------------------------------------------------------------===//
// Methods
//===----------------------------------------------------------------------===//

namespace {
bool isDiscreteVP(ScheduleAttrInterface schedule) {
  return schedule.isDiscrete() &&
         schedule.getProcessKind() == ProcessKind::variance_preserving;
}

LogicalResult requireDiscreteVP(StringRef method, ScheduleAttrInterface schedule,
                                EmitFn emitError) {
  if (isDiscreteVP(schedule))
    return success();
  return emitError() << "method '" << method
                     << "' needs a discrete variance-preserving schedule "
                        "(#sampler.ddpm_linear, ddpm_scaled_linear or ddpm_cosine), got "
                     << describe(schedule);
}

LogicalResult requireContinuous(StringRef method, ScheduleAttrInterface schedule,
                                EmitFn emitError) {
  if (!schedule.isDiscrete())
    return success();
  return emitError() << "method '" << method
                     << "' integrates a continuous-time SDE and needs "
                        "#sampler.vp, #sampler.subvp, #sampler.ve or "
                        "#sampler.karras, got "
                     << describe(schedule);
}
} // namespace

LogicalResult LangevinAttr::verify(EmitFn emitError, F64 stepSize) {
  return positive(emitError, "step_size", stepSize);
}
StringRef LangevinAttr::getMethodName() const { return "langevin"; }
LogicalResult LangevinAttr::verifyCompatibility(ScheduleAttrInterface,
                                                Parameterization, EmitFn) const {
  return success();
}

LogicalResult MALAAttr::verify(EmitFn emitError, F64 stepSize) {
  return positive(emitError, "step_size", stepSize);
}
StringRef MALAAttr::getMethodName() const { return "mala"; }
LogicalResult MALAAttr::verifyCompatibility(ScheduleAttrInterface,
                                            Parameterization prediction,
                                            EmitFn emitError) const {
  // The Metropolis test compares energies, which only an energy network has.
  if (prediction != Parameterization::energy)
    return emitError() << "method 'mala' needs an energy network (prediction "
                          "energy), got prediction "
                       << stringifyParameterization(prediction);
  return success();
}

LogicalResult AnnealedLangevinAttr::verify(EmitFn emitError, int64_t stepsPerLevel,
                                           F64 delta) {
  if (failed(atLeast(emitError, "steps_per_level", stepsPerLevel, 1)) ||
      failed(positive(emitError, "delta", delta)))
    return failure();
  return success();
}
StringRef AnnealedLangevinAttr::getMethodName() const { return "annealed_langevin"; }
LogicalResult AnnealedLangevinAttr::verifyCompatibility(ScheduleAttrInterface schedule,
                                                        Parameterization,
                                                        EmitFn emitError) const {
  // eta_l = delta sigma_l^2 / sigma_min^2 is defined on noise levels sigma.
  if (schedule.getProcessKind() != ProcessKind::variance_exploding)
    return emitError() << "method 'annealed_langevin' steps through noise levels "
                          "and needs a variance-exploding schedule "
                          "(#sampler.ncsn, #sampler.ve, #sampler.karras or "
                          "#sampler.sigmas), got "
                       << describe(schedule);
  return success();
}

LogicalResult DDPMAttr::verify(EmitFn, AncestralVariance) { return success(); }
StringRef DDPMAttr::getMethodName() const { return "ddpm"; }
LogicalResult DDPMAttr::verifyCompatibility(ScheduleAttrInterface schedule,
                                            Parameterization, EmitFn emitError) const {
  return requireDiscreteVP("ddpm", schedule, emitError);
}

LogicalResult DDIMAttr::verify(EmitFn emitError, F64 eta) {
  // DDIM (Song et al. 2021, eq. 16): sigma_t = eta sqrt((1 - a_prev)/(1 - a_t))
  // sqrt(1 - a_t/a_prev). At eta = 1 it is DDPM's posterior std; beyond, the
  // direction term sqrt(1 - a_prev - sigma_t^2) has no real value.
  if (!(eta >= 0 && eta <= 1))
    return emitError() << "eta must lie in [0, 1] (0: deterministic, 1: DDPM's posterior "
                          "variance), got "
                       << formatF64(eta);
  return success();
}
StringRef DDIMAttr::getMethodName() const { return "ddim"; }
LogicalResult DDIMAttr::verifyCompatibility(ScheduleAttrInterface schedule,
                                            Parameterization, EmitFn emitError) const {
  return requireDiscreteVP("ddim", schedule, emitError);
}

StringRef EulerMaruyamaAttr::getMethodName() const { return "euler_maruyama"; }
LogicalResult EulerMaruyamaAttr::verifyCompatibility(ScheduleAttrInterface schedule,
                                                     Parameterization,
                                                     EmitFn emitError) const {
  return requireContinuous("euler_maruyama", schedule, emitError);
}

LogicalResult PredictorCorrectorAttr::verify(EmitFn emitError, Predictor,
                                             int64_t correctorSteps, F64 snr) {
  if (failed(atLeast(emitError, "corrector_steps", correctorSteps, 0)) ||
      failed(positive(emitError, "snr", snr)))
    return failure();
  return success();
}
StringRef PredictorCorrectorAttr::getMethodName() const { return "pc"; }
LogicalResult PredictorCorrectorAttr::verifyCompatibility(
    ScheduleAttrInterface schedule, Parameterization, EmitFn emitError) const {
  if (getPredictor() == Predictor::ancestral) {
    // Song et al.'s ancestral predictor exists for DDPM (VP) and SMLD (VE) only.
    if (schedule.getProcessKind() == ProcessKind::sub_variance_preserving)
      return emitError() << "predictor 'ancestral' has no sub-VP form, got "
                         << describe(schedule);
    return success();
  }
  return requireContinuous("pc", schedule, emitError);
}

namespace {
// OdeSolvers.def's churn column: the solvers EDM's S_churn applies to.
bool takesChurn(OdeSolver solver) {
  switch (solver) {
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  case OdeSolver::name:                                                                     \
    return churn;
#include "tweedie/Numerics/OdeSolvers.def"
  }
  return false;
}
std::string churnSolverNames() {
  std::string names;
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  if (churn)                                                                                \
    names += (names.empty() ? "'" : ", '") + std::string(#name) + "'";
#include "tweedie/Numerics/OdeSolvers.def"
  return names;
}
} // namespace

LogicalResult ODEAttr::verify(EmitFn emitError, OdeSolver solver, F64 churn,
                              int64_t lowerOrderFinal) {
  if (failed(nonNegative(emitError, "churn", churn)))
    return failure();
  if (churn > 0 && !takesChurn(solver))
    return emitError() << "churn is an option of the EDM solvers (" << churnSolverNames()
                       << "), not of '" << stringifyOdeSolver(solver) << "'";
  if (lowerOrderFinal != 0 && lowerOrderFinal != 1)
    return emitError() << "lower_order_final must be 0 or 1, got " << lowerOrderFinal;
  return success();
}
StringRef ODEAttr::getMethodName() const { return stringifyOdeSolver(getSolver()); }
LogicalResult ODEAttr::verifyCompatibility(ScheduleAttrInterface, Parameterization,
                                           EmitFn) const {
  return success(); // every process has a probability-flow ODE
}

LogicalResult RK45Attr::verify(EmitFn emitError, F64 rtol, F64 atol) {
  if (failed(positive(emitError, "rtol", rtol)) ||
      failed(positive(emitError, "atol", atol)))
    return failure();
  return success();
}
StringRef RK45Attr::getMethodName() const { return "rk45"; }
LogicalResult RK45Attr::verifyCompatibility(ScheduleAttrInterface, Parameterization,
                                            EmitFn) const {
  return success();
}
