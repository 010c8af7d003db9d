//===- CompileTraining.cpp - the training pipeline -------------------------===//
//
//   objective: @train_loss(data, seed, step) = sampler.dsm_loss @network(...)
//   loss:      --tweedie-expand-objective, --inline
//   gradient:  --tweedie-autodiff (params), --canonicalize, --cse
//   then the runtime's TrainingDesc of @train_loss_grad.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Driver/CompileTraining.h"
#include "DriverCommon.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/InitAll.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CPU/ModuleBuilder.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "tweedie/Pipelines/Pipelines.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace tweedie {

namespace {

constexpr const char *kTool = "tweedie-train";
constexpr const char *kLossName = "train_loss";

func::FuncOp findNetwork(ModuleOp module, const std::string &name) {
  if (!name.empty()) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      module.emitError("no func.func @") << name << " (--network)";
    return fn;
  }
  func::FuncOp found;
  int count = 0;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr("sampler.schedule")) {
      found = fn;
      ++count;
    }
  if (count != 1)
    module.emitError(count ? "several networks carry sampler.schedule; name one with --network"
                           : "no network with a sampler.schedule attribute; name one with "
                             "--network and give --schedule and --prediction");
  return count == 1 ? found : nullptr;
}

/// An empty @train_loss(data, seed, step[, labels]) -> tensor<1xf32> at the
/// end of the module, `b` inside its entry block.
FailureOr<func::FuncOp> createLossFunction(ModuleOp module, OpBuilder &b, Location loc,
                                          Type data, Type labels = {}) {
  if (module.lookupSymbol(kLossName))
    return module.emitError("the input already defines @") << kLossName;
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> inputs = {data, b.getI64Type(), b.getIndexType()};
  if (labels)
    inputs.push_back(labels);
  auto fn = b.create<func::FuncOp>(
      loc, kLossName, b.getFunctionType(inputs, {RankedTensorType::get({1}, b.getF32Type())}));
  b.setInsertionPointToEnd(fn.addEntryBlock());
  return fn;
}

/// The classifier cross-entropy trains by default: the one function no
/// other function calls (a classifier file also holds its feature trunk).
func::FuncOp findClassifier(ModuleOp module, const std::string &name) {
  if (!name.empty())
    return findNetwork(module, name);
  llvm::DenseSet<StringRef> called;
  module.walk([&](func::CallOp call) { called.insert(call.getCallee()); });
  SmallVector<func::FuncOp> roots;
  for (auto fn : module.getOps<func::FuncOp>())
    if (!called.contains(fn.getSymName()))
      roots.push_back(fn);
  if (roots.size() != 1) {
    module.emitError("cannot tell which function is the classifier; name it with --network");
    return nullptr;
  }
  return roots.front();
}

/// Adds @train_loss(data, seed, step, labels) around a
/// sampler.cross_entropy_loss of `classifier`.
LogicalResult addClassifierObjective(ModuleOp module, func::FuncOp classifier,
                                     TrainingCompileResult &result) {
  FunctionType type = classifier.getFunctionType();
  auto data = type.getNumInputs() == 1 ? dyn_cast<RankedTensorType>(type.getInput(0)) : nullptr;
  auto logits =
      type.getNumResults() == 1 ? dyn_cast<RankedTensorType>(type.getResult(0)) : nullptr;
  if (!data || !logits || logits.getRank() != 2)
    return classifier.emitError("a classifier maps data [B, ...] to logits [B, K], got ")
           << type;
  OpBuilder b(module.getContext());
  Location loc = classifier.getLoc();
  FailureOr<func::FuncOp> fn = createLossFunction(module, b, loc, data, logits);
  if (failed(fn))
    return failure();
  Block *body = &fn->getBody().front();
  auto lossType = RankedTensorType::get({1}, b.getF32Type());
  auto loss = b.create<sampler::CrossEntropyLossOp>(
      loc, lossType, SymbolRefAttr::get(classifier.getSymNameAttr()), body->getArgument(0),
      body->getArgument(3));
  b.create<func::ReturnOp>(loc, loss.getResult());
  SymbolTableCollection symbols;
  if (failed(mlir::verify(*fn)) || failed(loss.verifySymbolUses(symbols)))
    return failure();
  result.network = classifier.getSymName().str();
  result.prediction = "logits";
  return success();
}

/// Adds @train_loss around a sampler.dsm_loss of `network`.
LogicalResult addObjective(ModuleOp module, func::FuncOp network,
                           const TrainingCompileOptions &options,
                           TrainingCompileResult &result) {
  MLIRContext *context = module.getContext();
  Attribute scheduleAttr = network->getAttr("sampler.schedule");
  if (!options.schedule.empty()) {
    scheduleAttr = parseAttribute(options.schedule, context);
    if (!scheduleAttr)
      return module.emitError("--schedule '") << options.schedule << "' is not an attribute";
  }
  auto schedule = dyn_cast_or_null<sampler::ScheduleAttrInterface>(scheduleAttr);
  if (!schedule)
    return network.emitError("no noise schedule: give --schedule (e.g. "
                             "\"#sampler.ddpm_linear<>\")");
  std::string predictionName = options.prediction;
  if (predictionName.empty())
    if (auto attr = network->getAttrOfType<StringAttr>("sampler.prediction"))
      predictionName = attr.str();
  std::optional<sampler::Parameterization> prediction =
      sampler::symbolizeParameterization(predictionName);
  if (!prediction)
    return network.emitError("unknown prediction '")
           << predictionName << "' (eps, x0, score or energy; --prediction)";
  auto data = dyn_cast<RankedTensorType>(network.getArgumentTypes().front());
  if (!data)
    return network.emitError("the network's first input must be a ranked tensor");
  OpBuilder b(context);
  Location loc = network.getLoc();
  FailureOr<func::FuncOp> fn = createLossFunction(module, b, loc, data);
  if (failed(fn))
    return failure();
  Block *body = &fn->getBody().front();
  auto lossType = RankedTensorType::get({1}, b.getF32Type());
  auto loss = b.create<sampler::DSMLossOp>(
      loc, lossType, SymbolRefAttr::get(network.getSymNameAttr()), body->getArgument(0),
      body->getArgument(1), body->getArgument(2), schedule,
      sampler::ParameterizationAttr::get(context, *prediction),
      sampler::NoiseLevelSamplingAttr::get(context, options.lognormal
                                                        ? sampler::NoiseLevelSampling::lognormal
                                                        : sampler::NoiseLevelSampling::uniform),
      nullptr, nullptr, nullptr, b.getI64IntegerAttr(options.probes),
      sampler::ProbeDistributionAttr::get(context, options.gaussianProbes
                                                       ? sampler::ProbeDistribution::gaussian
                                                       : sampler::ProbeDistribution::rademacher));
  b.create<func::ReturnOp>(loc, loss.getResult());
  SymbolTableCollection symbols;
  if (failed(mlir::verify(*fn)) || failed(loss.verifySymbolUses(symbols)))
    return failure();
  result.network = network.getSymName().str();
  result.schedule = printAttr(schedule);
  result.prediction = predictionName;
  return success();
}

} // namespace

bool compileTraining(const TrainingCompileOptions &options, TrainingCompileResult &result) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sources;
  SourceMgrDiagnosticHandler diagnostics(sources, &context);
  OwningOpRef<ModuleOp> module = parseInput(options.input, context, sources, kTool);
  if (!module)
    return false;
  if (options.crossEntropy) {
    func::FuncOp classifier = findClassifier(*module, options.network);
    if (!classifier || failed(addClassifierObjective(*module, classifier, result)))
      return false;
  } else {
    func::FuncOp network = findNetwork(*module, options.network);
    if (!network || failed(addObjective(*module, network, options, result)))
      return false;
  }
  auto stopsAt = [&](const char *phase) {
    if (options.compileTo != phase)
      return false;
    result.ir = print(*module);
    return true;
  };
  if (stopsAt("objective"))
    return true;

  for (auto [phase, name] : {std::pair{TrainingPhase::Loss, "loss"},
                             std::pair{TrainingPhase::Gradient, "gradient"}}) {
    PassManager pm(&context, ModuleOp::getOperationName());
    addTrainingPhase(pm, phase, kLossName);
    if (failed(pm.run(*module)))
      return false;
    if (stopsAt(name))
      return true;
  }

  std::optional<reference::ParamProvider> params =
      loadParams(options.weights, options.syntheticSeed, kTool);
  if (!params)
    return false;
  auto step = module->lookupSymbol<func::FuncOp>(std::string(kLossName) + "_grad");
  FailureOr<module::ModuleDesc> desc = buildTrainingDesc(
      step, std::move(*params),
      storesChannelsLast(options.layout, resolveTargetCpu("native"), options.cudaKernels));
  if (failed(desc))
    return false;
  if (options.cudaKernels) {
    std::string error;
    if (!emitCudaKernels(*module, *desc,
                         options.hostEmulatedCudaKernels ? &result.hostEmulatedCudaKernels
                                                         : nullptr,
                         options.cpu, error)) {
      llvm::errs() << kTool << ": " << error << "\n";
      return false;
    }
  }
  result.step = std::move(*desc);
  result.step.network = result.network;
  result.step.schedule = result.schedule;
  result.step.prediction = result.prediction;
  result.step.method = options.crossEntropy ? "cross_entropy" : "dsm";
  if (options.compileTo == "plan")
    result.ir = module::formatPlan(result.step);
  return true;
}

namespace {

/// The network `network` of `input` as an evaluation of one batch (calls
/// inlined: the step builder runs one body); `onModule` sees the MLIR module
/// and the description before the context goes.
template <typename Fn>
bool buildEvaluation(const std::string &input, const std::string &network,
                     const std::string &weights, bool channelsLast, module::ModuleDesc &result,
                     const char *tool, Fn onModule) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sources;
  SourceMgrDiagnosticHandler diagnostics(sources, &context);
  OwningOpRef<ModuleOp> module = parseInput(input, context, sources, tool);
  if (!module)
    return false;
  auto fn = module->lookupSymbol<func::FuncOp>(network);
  if (!fn) {
    module->emitError("no func.func @") << network << " to evaluate";
    return false;
  }
  PassManager inline_(&context, ModuleOp::getOperationName());
  inline_.addPass(createInlinerPass());
  if (failed(inline_.run(*module)))
    return false;
  std::optional<reference::ParamProvider> params = loadParams(weights, 0, tool);
  if (!params)
    return false;
  FailureOr<module::ModuleDesc> desc =
      buildEvaluationDesc(fn, std::move(*params), channelsLast);
  if (failed(desc))
    return false;
  result = std::move(*desc);
  result.network = network;
  result.method = "evaluate";
  return onModule(*module, result);
}

} // namespace

bool compileEvaluation(const std::string &input, const std::string &network,
                       const std::string &weights, module::ModuleDesc &result, const char *tool) {
  return buildEvaluation(input, network, weights, /*channelsLast=*/true, result, tool,
                         [](ModuleOp, module::ModuleDesc &) { return true; });
}

bool compileEvaluationForCuda(const std::string &input, const std::string &network,
                              const std::string &weights, module::ModuleDesc &result,
                              std::vector<std::byte> *hostEmulatedKernels,
                              const std::string &cpu) {
  return buildEvaluation(
      input, network, weights, /*channelsLast=*/false, result, "tweedie-eval",
      [&](ModuleOp module, module::ModuleDesc &desc) {
        std::string error;
        if (!emitCudaKernels(module, desc, hostEmulatedKernels, cpu, error)) {
          llvm::errs() << "tweedie-eval: " << error << "\n";
          return false;
        }
        return true;
      });
}

} // namespace tweedie
