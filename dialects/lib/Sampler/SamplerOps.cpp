//===- SamplerOps.cpp - verifiers and syntax of sampler ops ---------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Common/FloatSyntax.h"
#include "tweedie/Dialect/Common/ShapeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;

namespace {

std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// Every named operand must have exactly the state's type: step ops do not
/// broadcast, so a mismatch is always a wiring bug in the sampler program.
LogicalResult verifySameState(Operation *op, Value state,
                              ArrayRef<std::pair<StringRef, Value>> operands) {
  for (auto [name, value] : operands) {
    if (value && value.getType() != state.getType())
      return op->emitOpError("operand '")
             << name << "' type " << value.getType() << " must match state 'x' type "
             << state.getType();
  }
  return success();
}

/// A per-sample vector [B] whose B agrees with the state's batch dim.
LogicalResult verifyBatchVector(Operation *op, StringRef name, Value vector,
                                Value state) {
  auto vec = cast<ShapedType>(vector.getType());
  auto st = cast<ShapedType>(state.getType());
  if (st.getRank() < 1 || !dimsCompatible(vec.getDimSize(0), st.getDimSize(0)))
    return op->emitOpError("operand '")
           << name << "' shape " << formatShape(vec.getShape())
           << " must be [B] for the batch of state shape "
           << formatShape(st.getShape());
  return success();
}

/// Coefficient tables: non-empty, finite, equally long, and -- inside a
/// `sampler.loop` -- one entry per step (plus `extra`, e.g. a grid's endpoint).
LogicalResult verifyTables(Operation *op,
                           ArrayRef<std::pair<StringRef, ArrayRef<double>>> tables,
                           int64_t extra = 0) {
  std::optional<size_t> length;
  StringRef first;
  for (auto [name, values] : tables) {
    if (values.empty())
      return op->emitOpError("coefficient table '") << name << "' is empty";
    for (auto [i, v] : llvm::enumerate(values))
      if (!std::isfinite(v))
        return op->emitOpError("coefficient table '")
               << name << "' has a non-finite entry at step " << i;
    if (length && *length != values.size())
      return op->emitOpError("coefficient tables '")
             << first << "' (" << *length << " entries) and '" << name << "' ("
             << values.size() << " entries) differ in length";
    if (!length) {
      length = values.size();
      first = name;
    }
  }
  Operation *steps = op->getParentOp();
  while (steps && !isa<LoopOp, PrecomputeOp>(steps))
    steps = steps->getParentOp();
  if (steps) {
    int64_t count = isa<LoopOp>(steps) ? cast<LoopOp>(steps).getSteps()
                                       : cast<PrecomputeOp>(steps).getSteps();
    int64_t expected = count + extra;
    if (length && static_cast<int64_t>(*length) != expected)
      return op->emitOpError("coefficient table '")
             << first << "' has " << *length << " entries but the enclosing "
             << steps->getName() << " runs " << count << " steps (expected "
             << expected << ")";
  }
  return success();
}

/// The velocity region of the ODE ops: ^bb0(%y: <state>, %t: tensor<Bxf32>)
/// yielding one value of the state's type.
LogicalResult verifyVelocityRegion(Operation *op, Region &region, Value state) {
  Block &block = region.front();
  if (block.getNumArguments() != 2)
    return op->emitOpError("velocity region must take (state, time) arguments, got ")
           << block.getNumArguments() << " arguments";
  if (block.getArgument(0).getType() != state.getType())
    return op->emitOpError("velocity region argument #0 type ")
           << block.getArgument(0).getType() << " must match state type "
           << state.getType();
  auto time = dyn_cast<RankedTensorType>(block.getArgument(1).getType());
  if (!time || time.getRank() != 1 || !time.getElementType().isF32() ||
      failed(verifyBatchVector(op, "time", block.getArgument(1), state)))
    return op->emitOpError("velocity region argument #1 must be the per-sample "
                           "time tensor<Bxf32>, got ")
           << block.getArgument(1).getType();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != state.getType())
    return op->emitOpError("velocity region must yield one value of state type ")
           << state.getType();
  return success();
}

} // namespace

// custom<StepTable>: per-step float64 tables print exactly (shortest
// round-tripping form); the builtin array syntax rounds to 7 digits.
static ParseResult parseStepTable(OpAsmParser &parser, DenseF64ArrayAttr &values) {
  FailureOr<DenseF64ArrayAttr> parsed = tweedie::parseF64ArrayAttr(parser);
  if (succeeded(parsed))
    values = *parsed;
  return success(succeeded(parsed));
}
static void printStepTable(OpAsmPrinter &printer, Operation *, DenseF64ArrayAttr values) {
  tweedie::printF64Array(printer, values.asArrayRef());
}

// custom<SameType>: an optional operand, when present, takes the type printed
// for the state; nothing of its own appears in the text.
static ParseResult
parseSameType(OpAsmParser &, std::optional<OpAsmParser::UnresolvedOperand> operand,
              Type stateType, Type &type) {
  if (operand)
    type = stateType;
  return success();
}
static void printSameType(OpAsmPrinter &, Operation *, Value, Type, Type) {}

//===----------------------------------------------------------------------===//
// SolveOp
//===----------------------------------------------------------------------===//

LogicalResult SolveOp::verify() {
  ScheduleAttrInterface schedule = getSchedule();
  MethodAttrInterface method = getMethod();
  if (failed(method.verifyCompatibility(schedule, getPrediction(),
                                        [&]() { return emitOpError(); })))
    return failure();
  if (getType().getRank() < 1)
    return emitOpError("samples must have a leading batch dim, got type ")
           << getType();
  // Spacings pick time steps: leading/trailing among a DDPM schedule's
  // training steps, logsnr on the continuous time of an SDE.
  using Kind = numerics::Process::Kind;
  const Kind process = schedule.getProcess().kind;
  const bool ddpm = process == Kind::DiscreteVP;
  const bool sde =
      process == Kind::VP || process == Kind::SubVP || process == Kind::VE;
  TimeSpacing spacing = getSpacing();
  if ((spacing == TimeSpacing::leading || spacing == TimeSpacing::trailing) && !ddpm)
    return emitOpError("spacing ") << stringifyTimeSpacing(spacing)
                                   << " picks steps of a discrete DDPM schedule, not of "
                                   << schedule;
  if (getDenoiseFinal() && isa<DDPMAttr, DDIMAttr>(method))
    return emitOpError("denoise_final: the last ")
           << method.getMethodName()
           << " step already returns the x0 estimate (it ends at abar = 1)";
  // x0 clipping (diffusers' clip_sample) is a step of the DDPM-schedule methods.
  const double clip = getClipX0().convertToDouble();
  if (!(clip >= 0) || !std::isfinite(clip))
    return emitOpError("clip_x0 must be a finite range >= 0 (0: off), got ") << clip;
  if (clip > 0 && !isa<DDPMAttr, DDIMAttr>(method))
    return emitOpError("clip_x0 is applied by ddpm and ddim so far, not by ")
           << method.getMethodName();
  // Where the last step ends: a choice of the DDPM-schedule samplers (ddim
  // reaches the data or training step 0; the ODE solvers t_min or the x0
  // estimate before it) and of Karras' sigmas (0 or sigma_min).
  if (std::optional<FinalSigma> final = getFinalSigma()) {
    const bool karras = isa<KarrasAttr>(schedule);
    if (!isa<DDIMAttr, DDPMAttr, ODEAttr>(method) || (!ddpm && !karras))
      return emitOpError("final_sigma applies to ddim, ddpm and the fixed-step ODE solvers "
                         "on DDPM schedules, and to karras sigmas; not to ")
             << method.getMethodName() << " on " << schedule;
    if (isa<DDPMAttr>(method) && *final == FinalSigma::min)
      return emitOpError("final_sigma = min: ddpm's last step is the posterior mean at the "
                         "data (its variance is 0 there only)");
    if (*final == FinalSigma::zero && getDenoiseFinal())
      return emitOpError("denoise_final with final_sigma = zero: the last step already "
                         "returns the x0 estimate");
  }
  // diffusers' steps_offset moves leading spacing's steps up by k (off t = 0).
  if (const int64_t offset = getStepsOffset(); offset != 0) {
    if (offset < 0 || !ddpm || spacing != TimeSpacing::leading)
      return emitOpError("steps_offset (")
             << offset << ") shifts the steps of spacing leading on a DDPM schedule up by "
             << "k >= 0, as diffusers' steps_offset";
    const int64_t T = schedule.getNumLevels(), steps = static_cast<int64_t>(getSteps());
    if (steps <= T && (steps - 1) * (T / steps) + offset > T - 1)
      return emitOpError("steps_offset (")
             << offset << ") moves the noisiest step past the schedule's last training "
             << "step " << T - 1;
  }
  // Explicit training steps (diffusers' custom timesteps, Align Your Steps):
  // one per step, strictly decreasing, within the schedule.
  if (std::optional<ArrayRef<int64_t>> picked = getTimesteps()) {
    if (!ddpm || getStepsOffset() != 0 || spacing != TimeSpacing::linspace)
      return emitOpError("timesteps name training steps of a DDPM schedule (and replace "
                         "spacing and steps_offset), not of ")
             << schedule;
    if (static_cast<int64_t>(picked->size()) != static_cast<int64_t>(getSteps()))
      return emitOpError("timesteps lists ")
             << picked->size() << " steps for steps = " << getSteps();
    const int64_t T = schedule.getNumLevels();
    for (size_t i = 0; i < picked->size(); ++i) {
      const int64_t n = (*picked)[i];
      if (n < 0 || n > T - 1)
        return emitOpError("timesteps: ") << n << " lies outside the training steps 0.."
                                          << T - 1;
      if (i > 0 && n >= (*picked)[i - 1])
        return emitOpError("timesteps must decrease strictly, got ")
               << (*picked)[i - 1] << " then " << n;
    }
  }
  // DDPM schedules have a continuous form for the ODE solvers (DPM-Solver's).
  if (spacing == TimeSpacing::logsnr && !sde && !(ddpm && isa<ODEAttr>(method)))
    return emitOpError("spacing logsnr applies to the vp, subvp and ve schedules (and to "
                       "DDPM schedules with the ODE solvers), not to ")
           << schedule << " with " << method.getMethodName();
  // Langevin-type methods repeat one level as often as asked; every other
  // method visits distinct levels of a discrete schedule.
  bool repeatsLevels = isa<LangevinAttr, MALAAttr>(method);
  if (schedule.isDiscrete() && !repeatsLevels &&
      static_cast<int64_t>(getSteps()) > schedule.getNumLevels())
    return emitOpError("steps (")
           << getSteps() << ") exceeds the " << schedule.getNumLevels()
           << " levels of schedule " << schedule;
  return success();
}

/// The network a solve or an objective names: (state, conditioning [B]) ->
/// a state-shaped prediction or one energy per sample.
static LogicalResult verifyNetwork(Operation *op, FlatSymbolRefAttr name,
                                   RankedTensorType state, Parameterization prediction,
                                   SymbolTableCollection &symbolTable) {
  auto network = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(op, name);
  StringRef callee = name.getValue();
  if (!network)
    return op->emitOpError("network '@")
           << callee << "' does not name a func.func in this module";
  FunctionType fnType = network.getFunctionType();
  if (fnType.getNumInputs() != 2 || fnType.getNumResults() != 1)
    return op->emitOpError("network '@")
           << callee << "' must have type (state, conditioning) -> output, got " << fnType;
  auto input = dyn_cast<RankedTensorType>(fnType.getInput(0));
  auto sameShape = [](RankedTensorType a, RankedTensorType b) {
    if (!a || !b || a.getRank() != b.getRank() ||
        a.getElementType() != b.getElementType())
      return false;
    for (int64_t d = 0; d < a.getRank(); ++d)
      if (!dimsCompatible(a.getDimSize(d), b.getDimSize(d)))
        return false;
    return true;
  };
  if (!sameShape(input, state))
    return op->emitOpError("network '@")
           << callee << "' state input " << fnType.getInput(0)
           << " does not match the samples' type " << state;
  auto cond = dyn_cast<RankedTensorType>(fnType.getInput(1));
  if (!cond || cond.getRank() != 1 || !cond.getElementType().isF32() ||
      !dimsCompatible(cond.getDimSize(0), state.getDimSize(0)))
    return op->emitOpError("network '@")
           << callee << "' conditioning input must be tensor<Bxf32> for the "
           << "batch of " << state << ", got " << fnType.getInput(1);
  auto output = dyn_cast<RankedTensorType>(fnType.getResult(0));
  if (prediction == Parameterization::energy) {
    bool perSample = output && output.getRank() >= 1 && output.getRank() <= 2 &&
                     dimsCompatible(output.getDimSize(0), state.getDimSize(0)) &&
                     (output.getRank() == 1 || output.getDimSize(1) == 1);
    if (!perSample)
      return op->emitOpError("energy network '@")
             << callee << "' must return one energy per sample ([B] or "
             << "[B, 1]), got " << fnType.getResult(0);
  } else if (!sameShape(output, state)) {
    return op->emitOpError("network '@")
           << callee << "' output " << fnType.getResult(0)
           << " must have the samples' shape " << state << " for prediction "
           << stringifyParameterization(prediction);
  }
  return success();
}

LogicalResult SolveOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyNetwork(*this, getNetworkAttr(), getType(), getPrediction(), symbolTable);
}

//===----------------------------------------------------------------------===//
// Training objectives
//===----------------------------------------------------------------------===//

LogicalResult DSMLossOp::verify() {
  auto data = getData().getType();
  if (data.getRank() < 2)
    return emitOpError("data must be [B, features...], got ") << data;
  if (getLoss().getType().getDimSize(0) != 1)
    return emitOpError("the loss is one number, tensor<1xf32>, got ") << getLoss().getType();
  ScheduleAttrInterface schedule = getSchedule();
  if (getLevels() == NoiseLevelSampling::lognormal && !schedule.isSigmaTime())
    return emitOpError("levels lognormal draws sigma itself, for the ncsn, sigmas and "
                       "karras schedules, not for ")
           << schedule;
  if (!(getPStd().convertToDouble() > 0.0))
    return emitOpError("p_std must be positive, got ") << getPStd().convertToDouble();
  const double tMin = getTMin().convertToDouble();
  if (!(tMin > 0.0 && tMin < 1.0))
    return emitOpError("t_min must lie in (0, 1), got ") << tMin;
  if (getProbes() < 0 || getProbes() > 64)
    return emitOpError("sliced score matching takes 1 to 64 probes, got ") << getProbes();
  if (getProbes() > 0 && getPrediction() == Parameterization::energy)
    return emitOpError("sliced score matching trains eps, x0 and score networks; an "
                       "energy's needs third derivatives (train it by denoising)");
  return success();
}

LogicalResult DSMLossOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyNetwork(*this, getNetworkAttr(), getData().getType(), getPrediction(),
                       symbolTable);
}

LogicalResult CrossEntropyLossOp::verify() {
  RankedTensorType data = getData().getType(), labels = getLabels().getType();
  if (data.getRank() < 2)
    return emitOpError("data must be [B, features...], got ") << data;
  if (labels.getRank() != 2 || ShapedType::isDynamic(labels.getDimSize(1)) ||
      labels.getDimSize(1) < 2)
    return emitOpError("labels must be [B, K] rows over K >= 2 classes, got ") << labels;
  if (data.getDimSize(0) != labels.getDimSize(0))
    return emitOpError("data ") << data << " and labels " << labels
                                << " disagree on the batch";
  if (getLoss().getType().getDimSize(0) != 1)
    return emitOpError("the loss is one number, tensor<1xf32>, got ") << getLoss().getType();
  return success();
}

LogicalResult CrossEntropyLossOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getNetworkAttr());
  if (!fn)
    return emitOpError("no func.func named ") << getNetworkAttr();
  FunctionType type = fn.getFunctionType();
  if (type.getNumInputs() != 1 || type.getInput(0) != getData().getType())
    return emitOpError("classifier @")
           << getNetwork() << " must take the data alone, " << getData().getType() << ", got "
           << type;
  if (type.getNumResults() != 1 || type.getResult(0) != getLabels().getType())
    return emitOpError("classifier @")
           << getNetwork() << " must return logits shaped like the labels, "
           << getLabels().getType() << ", got " << type;
  return success();
}

LogicalResult LikelihoodOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() != 2 || ShapedType::isDynamic(type.getDimSize(1)) ||
      type.getDimSize(1) < 2)
    return emitOpError("rows are [x, l]: the input must be [B, d + 1] with a static d >= 1, "
                       "got ")
           << type;
  if (!(getRtol().convertToDouble() > 0) || !(getAtol().convertToDouble() > 0))
    return emitOpError("rtol and atol must be positive");
  if (getProbes() < 0 || getProbes() > 64)
    return emitOpError("hutchinson takes 1 to 64 probes, got ") << getProbes();
  if (getPrediction() == Parameterization::energy)
    return emitOpError("takes eps, x0, v and score networks; an energy's divergence needs "
                       "its Hessian (not built yet)");
  return success();
}

LogicalResult LikelihoodOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  RankedTensorType type = getInput().getType();
  auto state = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1) - 1},
                                     type.getElementType());
  return verifyNetwork(*this, getNetworkAttr(), state, getPrediction(), symbolTable);
}

LogicalResult RandUniformOp::verify() {
  if (getLike().getType().getRank() < 1)
    return emitOpError("operand 'like' needs a leading sample dim, got ")
           << getLike().getType();
  if (getDrawAttr().getInt() < 0)
    return emitOpError("draw must be non-negative, got ") << getDrawAttr().getInt();
  return verifyBatchVector(*this, "result", getResult(), getLike());
}

LogicalResult InterpolateOp::verify() {
  if (getTable().empty())
    return emitOpError("table is empty");
  for (auto [i, v] : llvm::enumerate(getTable()))
    if (!std::isfinite(v))
      return emitOpError("table has a non-finite entry at index ") << i;
  return success();
}

//===----------------------------------------------------------------------===//
// LoopOp: sampler.loop %i steps 20 iter_args(%x = %init) -> (T) { ... }
//===----------------------------------------------------------------------===//

void LoopOp::print(OpAsmPrinter &p) {
  p << ' ' << getStepIndex() << " steps " << getSteps();
  if (!getInits().empty()) {
    p << " iter_args(";
    llvm::interleaveComma(llvm::zip(getIterArgs(), getInits()), p, [&](auto pair) {
      p << std::get<0>(pair) << " = " << std::get<1>(pair);
    });
    p << ") -> (" << getResultTypes() << ')';
  }
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/!getInits().empty());
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"steps"});
}

ParseResult LoopOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &builder = parser.getBuilder();
  OpAsmParser::Argument index;
  IntegerAttr steps;
  if (parser.parseArgument(index) || parser.parseKeyword("steps") ||
      parser.parseAttribute(steps, builder.getI64Type(), "steps", result.attributes))
    return failure();
  index.type = builder.getIndexType();

  SmallVector<OpAsmParser::Argument> regionArgs = {index};
  if (succeeded(parser.parseOptionalKeyword("iter_args"))) {
    SmallVector<OpAsmParser::Argument> iterArgs;
    SmallVector<OpAsmParser::UnresolvedOperand> inits;
    if (parser.parseAssignmentList(iterArgs, inits) ||
        parser.parseArrowTypeList(result.types))
      return failure();
    if (iterArgs.size() != result.types.size())
      return parser.emitError(parser.getNameLoc(), "iter_args has ")
             << iterArgs.size() << " values but " << result.types.size()
             << " result types";
    for (auto [arg, type] : llvm::zip(iterArgs, result.types))
      arg.type = type;
    if (parser.resolveOperands(inits, result.types, parser.getNameLoc(),
                               result.operands))
      return failure();
    regionArgs.append(iterArgs);
  }
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, regionArgs))
    return failure();
  LoopOp::ensureTerminator(*body, builder, result.location);
  return parser.parseOptionalAttrDict(result.attributes);
}

LogicalResult LoopOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInits().size() + 1 ||
      !block.getArgument(0).getType().isIndex())
    return emitOpError("body must take the step index followed by one argument "
                       "per iter_arg");
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getInits(), getIterArgs()))) {
    auto [init, arg] = pair;
    if (init.getType() != arg.getType() || init.getType() != getResult(i).getType())
      return emitOpError("iter_arg #")
             << i << " has init type " << init.getType() << ", body type "
             << arg.getType() << " and result type " << getResult(i).getType()
             << "; they must agree";
  }
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return yield.emitOpError("yields (")
           << yield.getValues().getTypes() << ") but the enclosing sampler.loop "
           << "carries (" << getResultTypes() << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Hoisted time-only work
//===----------------------------------------------------------------------===//

void PrecomputeOp::print(OpAsmPrinter &p) {
  p << ' ' << getStepIndex() << " steps " << getSteps() << " -> ("
    << getResultTypes() << ") ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"steps"});
}

ParseResult PrecomputeOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &builder = parser.getBuilder();
  OpAsmParser::Argument index;
  IntegerAttr steps;
  if (parser.parseArgument(index) || parser.parseKeyword("steps") ||
      parser.parseAttribute(steps, builder.getI64Type(), "steps", result.attributes) ||
      parser.parseArrowTypeList(result.types))
    return failure();
  index.type = builder.getIndexType();
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, {index}))
    return failure();
  PrecomputeOp::ensureTerminator(*body, builder, result.location);
  return parser.parseOptionalAttrDict(result.attributes);
}

LogicalResult PrecomputeOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.getNumArguments() != 1 || !block.getArgument(0).getType().isIndex())
    return emitOpError("body must take exactly the step index");
  // Captured values are rejected by IsolatedFromAbove before this runs.
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != getNumResults())
    return yield.emitOpError("yields ")
           << yield.getValues().size() << " values for " << getNumResults()
           << " tables";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(yield.getValues(), getResults()))) {
    auto row = dyn_cast<RankedTensorType>(std::get<0>(pair).getType());
    auto table = cast<RankedTensorType>(std::get<1>(pair).getType());
    if (!row || !row.hasStaticShape())
      return yield.emitOpError("value #") << i << " must be a static tensor, got "
                                          << std::get<0>(pair).getType();
    SmallVector<int64_t> expected = {static_cast<int64_t>(getSteps())};
    llvm::append_range(expected, row.getShape());
    if (table.getShape() != ArrayRef<int64_t>(expected))
      return emitOpError("table #")
             << i << " has shape " << formatShape(table.getShape())
             << " but stacking " << getSteps() << " rows of "
             << formatShape(row.getShape()) << " gives " << formatShape(expected);
  }
  return success();
}

LogicalResult TableRowOp::verify() {
  auto table = getTable().getType();
  auto row = getResult().getType();
  if (table.getRank() < 1 ||
      table.getShape().drop_front() != row.getShape())
    return emitOpError("row shape ")
           << formatShape(row.getShape()) << " is not the table shape "
           << formatShape(table.getShape()) << " without its leading step dim";
  return success();
}

LogicalResult TimeValueOp::verify() {
  if (getResult().getType().getDimSize(0) != 1)
    return emitOpError("result must be tensor<1xf32>");
  return verifyTables(*this, {{"values", getValues()}});
}

//===----------------------------------------------------------------------===//
// Noise and conditioning
//===----------------------------------------------------------------------===//

LogicalResult RandnOp::verify() {
  if (getType().getRank() < 1)
    return emitOpError("noise needs a leading sample dim, got ") << getType();
  // I64Attr's getter is unsigned; read the signed value the user wrote.
  if (getDrawAttr().getInt() < 0)
    return emitOpError("draw must be non-negative, got ") << getDrawAttr().getInt();
  return success();
}

LogicalResult TimestepOp::verify() {
  if (failed(verifyTables(*this, {{"values", getValues()}})))
    return failure();
  if (getLike().getType().getRank() < 1)
    return emitOpError("operand 'like' needs a leading batch dim");
  return verifyBatchVector(*this, "result", getResult(), getLike());
}

//===----------------------------------------------------------------------===//
// Step ops
//===----------------------------------------------------------------------===//

LogicalResult ReparameterizeOp::verify() {
  if (getFrom() == getTo())
    return emitOpError("converts ") << stringifyParameterization(getFrom())
                                    << " to itself";
  if (getFrom() == Parameterization::energy || getTo() == Parameterization::energy)
    return emitOpError("energy is not a pointwise parameterisation: its score "
                       "is -grad E, produced by autodiff, not by this op");
  return verifyTables(*this, {{"alpha", getAlpha()}, {"sigma", getSigma()}});
}

LogicalResult LangevinStepOp::verify() {
  for (double eta : getStepSize())
    if (!(eta > 0))
      return emitOpError("step sizes must be positive, got ") << formatF64(eta);
  return verifyTables(*this, {{"step_size", getStepSize()}});
}

LogicalResult MALAStepOp::verify() {
  if (failed(verifyBatchVector(*this, "energy", getEnergy(), getX())) ||
      failed(verifyBatchVector(*this, "proposal_energy", getProposalEnergy(),
                               getX())) ||
      failed(verifyBatchVector(*this, "uniform", getUniform(), getX())))
    return failure();
  return verifyTables(*this, {{"step_size", getStepSize()}});
}

static LogicalResult verifyAlphaBars(Operation *op, ArrayRef<double> alphaBar,
                                     ArrayRef<double> alphaBarPrev) {
  if (failed(verifyTables(op, {{"alpha_bar", alphaBar},
                               {"alpha_bar_prev", alphaBarPrev}})))
    return failure();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(alphaBar, alphaBarPrev))) {
    auto [now, prev] = pair;
    // Sampling moves towards less noise: 0 < abar_t < abar_prev <= 1.
    if (!(now > 0 && now < prev && prev <= 1))
      return op->emitOpError("step ")
             << i << " needs 0 < alpha_bar (" << formatF64(now)
             << ") < alpha_bar_prev (" << formatF64(prev) << ") <= 1";
  }
  return success();
}

LogicalResult AncestralStepOp::verify() {
  return verifyAlphaBars(*this, getAlphaBar(), getAlphaBarPrev());
}

LogicalResult DDIMStepOp::verify() {
  if (failed(verifySameState(*this, getX(), {{"noise", getNoise()}})))
    return failure();
  double eta = getEta().convertToDouble();
  if (!(eta >= 0 && eta <= 1))
    return emitOpError("eta must lie in [0, 1], got ") << formatF64(eta);
  if (eta > 0 && !getNoise())
    return emitOpError("eta = ") << formatF64(eta) << " > 0 makes the step stochastic and "
                                 << "needs a 'noise' operand";
  return verifyAlphaBars(*this, getAlphaBar(), getAlphaBarPrev());
}

LogicalResult EulerMaruyamaStepOp::verify() {
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getDiffusionSq(), getDt()))) {
    auto [g2, dt] = pair;
    if (!(g2 >= 0) || !(dt > 0))
      return emitOpError("step ") << i << " needs diffusion_sq >= 0 and dt > 0, got "
                                  << formatF64(g2) << " and " << formatF64(dt);
  }
  return verifyTables(*this, {{"drift", getDrift()},
                              {"diffusion_sq", getDiffusionSq()},
                              {"dt", getDt()}});
}

LogicalResult LangevinCorrectorOp::verify() {
  if (!(getSnr().convertToDouble() > 0))
    return emitOpError("snr must be positive, got ")
           << formatF64(getSnr().convertToDouble());
  return verifyTables(*this, {{"alpha", getAlpha()}});
}

LogicalResult AffineStepOp::verify() {
  if (failed(verifySameState(*this, getX(), {{"z", getZ()}})))
    return failure();
  if (!getZ() && llvm::any_of(getC(), [](double c) { return c != 0; }))
    return emitOpError("table 'c' has non-zero entries but there is no 'z' operand");
  return verifyTables(*this, {{"a", getA()}, {"b", getB()}, {"c", getC()}});
}

//===----------------------------------------------------------------------===//
// ODE ops
//===----------------------------------------------------------------------===//

LogicalResult OdeIntegrateOp::verify() {
  double start = getTStart().convertToDouble(), end = getTEnd().convertToDouble();
  if (!std::isfinite(start) || !std::isfinite(end) || start == end)
    return emitOpError("needs finite t_start != t_end, got ")
           << formatF64(start) << " and " << formatF64(end);
  if (!(getRtol().convertToDouble() > 0) || !(getAtol().convertToDouble() > 0))
    return emitOpError("rtol and atol must be positive");
  if (std::optional<ArrayRef<double>> finish = getFinish())
    if (finish->size() != 2 || !std::isfinite((*finish)[0]) || !std::isfinite((*finish)[1]))
      return emitOpError("finish is [a, b] (x <- a x + b v), two finite numbers");
  return success();
}

LogicalResult OdeIntegrateOp::verifyRegions() {
  return verifyVelocityRegion(*this, getVelocity(), getX());
}

#define GET_OP_CLASSES
#include "tweedie/Dialect/Sampler/IR/SamplerOps.cpp.inc"
