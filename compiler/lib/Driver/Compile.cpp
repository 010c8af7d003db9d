//===- Compile.cpp - phases of tweedie-compile ----------------------------===//
#include "tweedie/Driver/Compile.h"
#include "tweedie/Pipelines/Pipelines.h"
#include "DriverCommon.h"
#include "tweedie/Driver/SamplerSpec.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/InitAll.h"
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/Target/CPU/ModuleBuilder.h"
#include "tweedie/Target/CUDA/HostEmulation.h"
#include "tweedie/Target/CUDA/Ptx.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CPU/MemoryPlan.h"
#include "tweedie/io/SafeTensors.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace tweedie {

std::string print(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  os << "\n"; // as tweedie-opt ends its output
  return text;
}

OwningOpRef<ModuleOp> parseInput(const std::string &path, MLIRContext &context,
                                 llvm::SourceMgr &sources, const char *tool) {
  std::string error;
  auto file = openInputFile(path, &error);
  if (!file) {
    llvm::errs() << tool << ": " << error << "\n";
    return nullptr;
  }
  sources.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sources, &context);
}

std::optional<reference::ParamProvider> loadParams(const std::string &weights,
                                                   uint64_t syntheticSeed, const char *tool) {
  if (weights.empty())
    return reference::syntheticParams(syntheticSeed);
  std::string error;
  auto file = io::tryReadSafeTensors(weights, error);
  if (!file) {
    llvm::errs() << tool << ": " << error << "\n";
    return std::nullopt;
  }
  return reference::checkpointParams(
      std::make_shared<const io::SafeTensorsFile>(std::move(*file)), weights);
}

bool emitCudaKernels(ModuleOp module, module::ModuleDesc &desc,
                     std::vector<std::byte> *hostEmulated, const std::string &cpu,
                     std::string &error) {
  const std::vector<module::LayerKernel> layerKernels = module::layerKernelsOf(desc);
  if (!emitKernelPtx(module, layerKernels, desc.cudaKernels, error)) {
    error = "PTX: " + error;
    return false;
  }
  if (hostEmulated && !emitHostEmulatedKernels(module, layerKernels, resolveTargetCpu(cpu),
                                               *hostEmulated, error)) {
    error = "host-emulated CUDA kernels: " + error;
    return false;
  }
  return true;
}

namespace {

/// The function holding the sampler (the one sampler.solve or
/// sampler.likelihood), or `name`.
func::FuncOp findEntry(ModuleOp module, const std::string &name) {
  if (!name.empty()) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      module.emitError("no func.func @") << name << " (--entry)";
    return fn;
  }
  func::FuncOp found;
  int count = 0;
  module.walk([&](Operation *op) {
    if (isa<sampler::SolveOp, sampler::LikelihoodOp>(op)) {
      found = op->getParentOfType<func::FuncOp>();
      ++count;
    }
  });
  if (count == 0)
    module.emitError("no sampler.solve in the input: nothing to compile into a sampler "
                     "(give one with --sampler \"NAME(key=value, ...)\"; "
                     "--list-samplers lists them)");
  else if (count > 1)
    module.emitError("several sampler.solve ops; name the entry with --entry");
  return count == 1 ? found : nullptr;
}

void describeSampler(func::FuncOp entry, module::ModuleDesc &desc) {
  entry.walk([&](sampler::SolveOp solve) {
    desc.network = solve.getNetwork().str();
    desc.method = printAttr(solve.getMethod());
    desc.schedule = printAttr(solve.getSchedule());
    desc.prediction = sampler::stringifyParameterization(solve.getPrediction()).str();
  });
  entry.walk([&](sampler::LikelihoodOp likelihood) {
    desc.network = likelihood.getNetwork().str();
    desc.method = "likelihood";
    desc.schedule = printAttr(likelihood.getSchedule());
    desc.prediction = sampler::stringifyParameterization(likelihood.getPrediction()).str();
  });
}

std::string formatBytes(int64_t bytes) {
  char text[64];
  if (bytes >= (1 << 20))
    std::snprintf(text, sizeof text, "%.2f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    std::snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  return text;
}

} // namespace

bool compileSampler(const CompileOptions &options, CompileResult &result) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  llvm::SourceMgr sources;
  SourceMgrDiagnosticHandler diagnostics(sources, &context);
  OwningOpRef<ModuleOp> module = parseInput(options.input, context, sources, "tweedie-compile");
  if (!module)
    return false;

  if (!options.sampler.empty() &&
      failed(applySamplerSpec(*module, options.sampler, options.network, error))) {
    llvm::errs() << "tweedie-compile: --sampler: " << error << "\n";
    return false;
  }

  auto stopsAt = [&](const char *phase) { return options.compileTo == phase; };
  auto finish = [&]() {
    result.ir = print(*module);
    return true;
  };
  if (stopsAt("input"))
    return finish();

  func::FuncOp entry = findEntry(*module, options.entry);
  if (!entry)
    return false;
  const std::string entryName = entry.getSymName().str();
  describeSampler(entry, result.module);

  const bool kernels = options.generatedKernels;
  for (SamplerPhase phase : kSamplerPhases) {
    PassManager pm(&context, ModuleOp::getOperationName());
    addSamplerPhase(pm, phase, kernels);
    if (failed(pm.run(*module)))
      return false;
    if (stopsAt(samplerPhaseName(phase)))
      return finish();
  }

  entry = module->lookupSymbol<func::FuncOp>(entryName);
  OwningOpRef<ModuleOp> llvmKernels;
  if (kernels) {
    llvmKernels = lowerKernelsToLLVM(*module);
    if (!llvmKernels)
      return false;
  }
  std::optional<reference::ParamProvider> params =
      loadParams(options.weights, options.syntheticSeed, "tweedie-compile");
  if (!params)
    return false;
  module::ModuleDesc info = result.module;
  FailureOr<module::ModuleDesc> desc = buildModuleDesc(
      entry, std::move(*params),
      storesChannelsLast(options.layout, resolveTargetCpu(options.cpu), options.cudaKernels));
  if (failed(desc))
    return false;
  result.module = std::move(*desc);
  result.module.network = info.network;
  result.module.method = info.method;
  result.module.schedule = info.schedule;
  result.module.prediction = info.prediction;

  if (stopsAt("ptx") || options.cudaKernels) {
    if (!emitCudaKernels(*module, result.module,
                         options.hostEmulatedCudaKernels ? &result.hostEmulatedCudaKernels
                                                         : nullptr,
                         options.cpu, error)) {
      llvm::errs() << "tweedie-compile: " << error << "\n";
      return false;
    }
    if (stopsAt("ptx")) {
      result.ir.clear();
      for (const module::CudaKernelsDesc &k : result.module.cudaKernels)
        result.ir += "// ---- PTX for " + k.arch + " ----\n" + k.ptx;
      return true;
    }
  }

  if (stopsAt("module")) {
    result.ir = module::formatPlan(result.module) +
                "// Generated kernels, lowered to the LLVM dialect:\n" +
                (llvmKernels ? print(*llvmKernels) : std::string("// (none: --kernels=builtin)\n"));
    return true;
  }

  if (kernels) {
    result.kernelCpu = resolveTargetCpu(options.cpu);
    if (!emitKernelLibrary(*llvmKernels, result.kernelCpu, result.module.kernels, error)) {
      llvm::errs() << "tweedie-compile: generated kernels: " << error << "\n";
      return false;
    }
  }

  int64_t weightBytes = 0, tableBytes = 0;
  for (const module::ConstantDesc &c : result.module.constants)
    (c.name.rfind("precompute.", 0) == 0 ? tableBytes : weightBytes) +=
        static_cast<int64_t>(c.data.size() * sizeof(float));
  int64_t unplanned = 0;
  if (auto attr = entry->getAttrOfType<IntegerAttr>(kUnplannedBytesAttr))
    unplanned = attr.getInt();
  const module::ModuleDesc &m = result.module;
  result.report =
      "sampler: " + m.network + ", " + m.method + ", " +
      (m.integrator ? "adaptive, at most " : "") + std::to_string(m.steps) + " steps\n" +
      (m.integrator ? "ops per velocity evaluation: " : "ops per step: ") +
      std::to_string(m.body.size()) + "\n" +
      "arena: " + formatBytes(m.arenaBytesPerSample) + " per sample (" +
      formatBytes(unplanned) + " without reuse)\n" + "weights: " + formatBytes(weightBytes) +
      ", precomputed time tables: " + formatBytes(tableBytes) + "\n" + "kernels: " +
      (kernels ? formatBytes(static_cast<int64_t>(m.kernels.size())) + " for " +
                     result.kernelCpu
               : std::string("built in (--kernels=builtin)")) +
      "\n";
  return true;
}

} // namespace tweedie
