//===- SamplerSpec.cpp - build the sampler.solve a --sampler spec names ---===//
//
// The spec is checked against the catalog (so a typo names the options that
// exist), then written as the attributes' own syntax and parsed by MLIR, so
// the attributes' verifiers judge the values exactly as they judge IR.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Driver/SamplerSpec.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Driver/SamplerCatalog.h"
#include "tweedie/Dialect/Common/ShortestFloat.h"
#include "tweedie/Numerics/NoiseConditioning.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <map>
#include <sstream>

using namespace mlir;
using namespace tweedie::sampler;

namespace tweedie {
namespace {

using catalog::Arguments;
using catalog::attributeText;
using catalog::findOption;
using catalog::keysOf;

/// Parses `text` as an attribute, turning MLIR's diagnostic into `error`.
Attribute parseAttr(MLIRContext *context, const std::string &text, std::string &error) {
  std::string message;
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diagnostic) {
    if (message.empty())
      message = diagnostic.str();
    return success();
  });
  Attribute attr = parseAttribute(text, context);
  if (!attr)
    error = text + ": " + (message.empty() ? "not a valid attribute" : message);
  return attr;
}

/// `defaults` fill the options the spec leaves out (where the schedule has them).
FailureOr<ScheduleAttrInterface> parseSchedule(MLIRContext *context, const std::string &value,
                                               const Arguments &defaults, std::string &error) {
  std::optional<std::string> text = catalog::scheduleAttributeText(value, defaults, error);
  if (!text)
    return failure();
  auto attr = dyn_cast_or_null<ScheduleAttrInterface>(parseAttr(context, *text, error));
  if (!attr)
    return failure();
  return attr;
}

/// Functions shaped like a network: (state, conditioning [B]) -> one tensor.
func::FuncOp findNetwork(ModuleOp module, const std::string &name, std::string &error) {
  if (!name.empty()) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      error = "no func.func @" + name + " (--network)";
    return fn;
  }
  SmallVector<func::FuncOp> candidates;
  for (auto fn : module.getOps<func::FuncOp>()) {
    FunctionType type = fn.getFunctionType();
    if (type.getNumInputs() == 2 && type.getNumResults() == 1 &&
        isa<RankedTensorType>(type.getInput(0)) && isa<RankedTensorType>(type.getInput(1)) &&
        cast<RankedTensorType>(type.getInput(1)).getRank() == 1)
      candidates.push_back(fn);
  }
  if (candidates.size() == 1)
    return candidates.front();
  error = candidates.empty()
              ? "no function (state, conditioning) -> output to sample from"
              : "several functions could be the network; name it with --network";
  return nullptr;
}

/// The text of an option: the spec's or its default.
std::string optionText(const std::vector<catalog::Option> &options, const Arguments &arguments,
                       const std::string &key) {
  for (const auto &[k, v] : arguments)
    if (k == key)
      return v;
  return findOption(options, key)->defaultValue;
}

/// `--sampler "likelihood(...)"`: @likelihood(rows [x, l]) replaces the
/// model's sampler (a module computes samples or log-densities, not both).
LogicalResult addLikelihood(ModuleOp module, SolveOp existing, func::FuncOp network,
                            const std::vector<catalog::Option> &options,
                            const Arguments &arguments, ScheduleAttrInterface schedule,
                            Parameterization prediction, int64_t steps, std::string &error) {
  const double rtol = std::strtod(optionText(options, arguments, "rtol").c_str(), nullptr);
  const double atol = std::strtod(optionText(options, arguments, "atol").c_str(), nullptr);
  const int64_t probes =
      std::strtoll(optionText(options, arguments, "probes").c_str(), nullptr, 10);
  const std::string probe = optionText(options, arguments, "probe");
  if (!(rtol > 0) || !(atol > 0)) {
    error = "likelihood: rtol and atol must be positive";
    return failure();
  }
  auto stateType = dyn_cast<RankedTensorType>(network.getFunctionType().getInput(0));
  if (!stateType || stateType.getRank() != 2 || stateType.isDynamicDim(1)) {
    error = "likelihood takes networks of [B, d] points (flatten images first)";
    return failure();
  }
  if (existing)
    existing->getParentOfType<func::FuncOp>().erase();
  if (module.lookupSymbol("likelihood")) {
    error = "the model already has a symbol @likelihood";
    return failure();
  }
  MLIRContext *context = module.getContext();
  OpBuilder builder(context);
  Location loc = network.getLoc();
  auto rows = RankedTensorType::get({stateType.getDimSize(0), stateType.getDimSize(1) + 1},
                                    stateType.getElementType());
  builder.setInsertionPointToEnd(module.getBody());
  auto fn = builder.create<func::FuncOp>(
      loc, "likelihood",
      builder.getFunctionType({rows, builder.getI64Type(), builder.getIndexType()}, {rows}));
  Block *body = fn.addEntryBlock();
  builder.setInsertionPointToStart(body);
  auto likelihood = builder.create<LikelihoodOp>(
      loc, rows, FlatSymbolRefAttr::get(network.getSymNameAttr()), body->getArgument(0),
      body->getArgument(1), body->getArgument(2), schedule,
      ParameterizationAttr::get(context, prediction),
      builder.getF64FloatAttr(rtol), builder.getF64FloatAttr(atol),
      builder.getI64IntegerAttr(steps), builder.getI64IntegerAttr(probes),
      ProbeDistributionAttr::get(context, probe == "gaussian" ? ProbeDistribution::gaussian
                                                              : ProbeDistribution::rademacher));
  builder.create<func::ReturnOp>(loc, likelihood.getResult());
  std::string message;
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diagnostic) {
    if (message.empty())
      message = diagnostic.str();
    return success();
  });
  SymbolTableCollection symbols;
  if (failed(verify(fn)) || failed(likelihood.verifySymbolUses(symbols))) {
    error = "likelihood: " + message;
    return failure();
  }
  return success();
}

} // namespace

LogicalResult applySamplerSpec(ModuleOp module, const std::string &specText,
                               const std::string &networkName, std::string &error) {
  MLIRContext *context = module.getContext();
  std::optional<catalog::Spec> spec = catalog::parseSpec(specText, error);
  if (!spec)
    return failure();
  const catalog::Sampler *entry = catalog::findSampler(spec->name);
  if (!entry) {
    error = "unknown sampler '" + spec->name + "'; known:";
    for (const catalog::Sampler &s : catalog::samplers())
      error += " " + s.name;
    error += " (tweedie-compile --list-samplers shows their options)";
    return failure();
  }

  // Sort the arguments into the method's and the common ones.
  Arguments methodArguments;
  std::map<std::string, std::string> common;
  for (const auto &[key, value] : spec->arguments) {
    if (findOption(entry->options, key)) {
      methodArguments.emplace_back(key, value);
    } else if (const catalog::Option *option = findOption(catalog::commonOptions(), key)) {
      if (option->kind != catalog::ValueKind::Schedule &&
          !catalog::toAttributeValue(*option, value, error))
        return failure();
      common[key] = value;
    } else {
      error = "sampler '" + entry->name + "' has no option '" + key + "' (its options: " +
              keysOf(entry->options) + "; every sampler: " +
              keysOf(catalog::commonOptions()) + ")";
      return failure();
    }
  }

  SmallVector<SolveOp> solves;
  module.walk([&](SolveOp op) { solves.push_back(op); });
  if (solves.size() > 1) {
    error = "the model has several sampler.solve ops; --sampler replaces exactly one";
    return failure();
  }
  SolveOp existing = solves.empty() ? SolveOp() : solves.front();
  func::FuncOp network = findNetwork(
      module, networkName.empty() && existing ? existing.getNetwork().str() : networkName,
      error);
  if (!network)
    return failure();

  // The schedule and prediction: the spec's, the solve's, the network's.
  ScheduleAttrInterface schedule;
  if (common.count("schedule")) {
    FailureOr<ScheduleAttrInterface> parsed =
        parseSchedule(context, common["schedule"], {}, error);
    if (failed(parsed))
      return failure();
    // On a network trained on another process, a sigma schedule's range
    // defaults to the network's (as k-diffusion and diffusers take it from
    // the model): Karras' 0.002 .. 80 is outside a DDPM network's steps.
    auto trained = network->getAttrOfType<ScheduleAttrInterface>("sampler.schedule");
    if (trained && parsed->isSigmaTime() &&
        !numerics::sameConditioning(trained.getProcess(), parsed->getProcess())) {
      const numerics::NoiseSpan span = numerics::trainedNoiseSpan(trained.getProcess());
      Arguments defaults;
      if (span.lo > 0)
        defaults.emplace_back("sigma_min", formatF64(span.lo));
      if (std::isfinite(span.hi))
        defaults.emplace_back("sigma_max", formatF64(span.hi));
      parsed = parseSchedule(context, common["schedule"], defaults, error);
      if (failed(parsed))
        return failure();
    }
    schedule = *parsed;
  } else if (existing) {
    schedule = existing.getSchedule();
  } else if (Attribute attr = network->getAttr("sampler.schedule")) {
    schedule = dyn_cast<ScheduleAttrInterface>(attr);
    if (!schedule) {
      error = "@" + network.getSymName().str() +
              "'s sampler.schedule attribute is not a schedule";
      return failure();
    }
  } else {
    error = "@" + network.getSymName().str() +
            " does not say which schedule it was trained with (no sampler.schedule "
            "attribute): add schedule=NAME(...) to --sampler";
    return failure();
  }

  std::optional<Parameterization> prediction;
  if (common.count("prediction"))
    prediction = symbolizeParameterization(common["prediction"]);
  else if (existing)
    prediction = existing.getPrediction();
  else if (auto attr = network->getAttrOfType<StringAttr>("sampler.prediction"))
    prediction = symbolizeParameterization(attr.getValue());
  if (!prediction) {
    error = "@" + network.getSymName().str() +
            " does not say what it predicts (no valid sampler.prediction attribute): add "
            "prediction=eps|x0|v|score to --sampler";
    return failure();
  }

  // Explicit training steps, checked as a list above; they set the step count
  // unless steps is given too (the verifier checks that they agree).
  std::optional<SmallVector<int64_t>> timesteps;
  if (existing && existing.getTimesteps())
    timesteps.emplace(existing.getTimesteps()->begin(), existing.getTimesteps()->end());
  if (common.count("timesteps")) {
    std::string text = *catalog::toAttributeValue(
        *findOption(catalog::commonOptions(), "timesteps"), common["timesteps"], error);
    std::stringstream items(text.substr(1, text.size() - 2));
    timesteps.emplace();
    for (std::string item; std::getline(items, item, ',');)
      timesteps->push_back(std::stoll(item));
  }
  // Checked as an integer above.
  const int64_t steps = common.count("steps")   ? std::stoll(common["steps"])
                        : common.count("timesteps") ? static_cast<int64_t>(timesteps->size())
                                                   : entry->defaultSteps;
  if (steps <= 0) {
    error = "steps must be positive";
    return failure();
  }
  TimeSpacing spacing = existing ? existing.getSpacing() : TimeSpacing::linspace;
  if (common.count("spacing"))
    spacing = *symbolizeTimeSpacing(common["spacing"]);
  bool denoiseFinal = existing && existing.getDenoiseFinal();
  if (common.count("denoise_final"))
    denoiseFinal = *catalog::toAttributeValue(*findOption(catalog::commonOptions(),
                                                          "denoise_final"),
                                              common["denoise_final"], error) == "true";

  double clipX0 = existing ? existing.getClipX0().convertToDouble() : 0.0;
  if (common.count("clip_x0"))
    clipX0 = std::strtod(common["clip_x0"].c_str(), nullptr);

  std::optional<FinalSigma> finalSigma = existing ? existing.getFinalSigma() : std::nullopt;
  if (common.count("final_sigma"))
    finalSigma = symbolizeFinalSigma(common["final_sigma"]);
  int64_t stepsOffset = existing ? existing.getStepsOffset() : 0;
  if (common.count("steps_offset"))
    stepsOffset = std::stoll(common["steps_offset"]);

  if (entry->method == "likelihood")
    return addLikelihood(module, existing, network, entry->options, methodArguments, schedule,
                         *prediction, steps, error);

  // The method.
  std::optional<std::string> methodText =
      attributeText(entry->method, entry->options, entry->fixed, methodArguments, error);
  if (!methodText)
    return failure();
  auto method = dyn_cast_or_null<MethodAttrInterface>(parseAttr(context, *methodText, error));
  if (!method)
    return failure();

  OpBuilder builder(context);
  if (existing) {
    existing.setNetwork(network.getSymName());
    existing.setScheduleAttr(schedule);
    existing.setMethodAttr(method);
    existing.setPrediction(*prediction);
    existing.setSteps(static_cast<uint64_t>(steps));
    existing.setSpacing(spacing);
    existing.setDenoiseFinal(denoiseFinal);
    existing.setClipX0(APFloat(clipX0));
    if (finalSigma)
      existing.setFinalSigma(*finalSigma);
    else
      existing.removeFinalSigmaAttr();
    existing.setStepsOffset(stepsOffset);
    if (timesteps)
      existing.setTimesteps(ArrayRef<int64_t>(*timesteps));
    else
      existing.removeTimestepsAttr();
  } else {
    auto stateType = dyn_cast<RankedTensorType>(network.getFunctionType().getInput(0));
    if (module.lookupSymbol("sample")) {
      error = "the model already has a symbol @sample; cannot add the sampler";
      return failure();
    }
    Location loc = network.getLoc();
    builder.setInsertionPointToEnd(module.getBody());
    auto fn = builder.create<func::FuncOp>(
        loc, "sample",
        builder.getFunctionType(
            {stateType, builder.getI64Type(), builder.getIndexType()}, {stateType}));
    Block *body = fn.addEntryBlock();
    builder.setInsertionPointToStart(body);
    Value samples = builder.create<SolveOp>(
        loc, stateType, network.getSymName(), body->getArgument(0), body->getArgument(1),
        body->getArgument(2), schedule, method, *prediction, static_cast<uint64_t>(steps),
        spacing, denoiseFinal, APFloat(clipX0),
        finalSigma ? FinalSigmaAttr::get(context, *finalSigma) : FinalSigmaAttr(),
        stepsOffset, timesteps ? builder.getDenseI64ArrayAttr(*timesteps) : DenseI64ArrayAttr());
    builder.create<func::ReturnOp>(loc, samples);
    existing = cast<SolveOp>(samples.getDefiningOp());
  }
  // The solve's own verifier checks the combination (e.g. ddim on a vp schedule).
  std::string message;
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diagnostic) {
    if (message.empty())
      message = diagnostic.str();
    return success();
  });
  if (failed(verify(existing->getParentOfType<func::FuncOp>()))) {
    error = "'" + specText + "': " + message;
    return failure();
  }
  return success();
}

} // namespace tweedie
