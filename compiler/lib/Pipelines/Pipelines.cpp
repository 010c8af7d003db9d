//===- Pipelines.cpp - the compiler's pass pipelines ----------------------===//
#include "tweedie/Pipelines/Pipelines.h"
#include "tweedie/Autodiff/Passes.h"
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"
#include "tweedie/Dialect/Score/Transforms/Passes.h"
#include "tweedie/Reference/Passes.h"
#include "tweedie/Target/CPU/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tweedie {

const char *samplerPhaseName(SamplerPhase phase) {
  switch (phase) {
  case SamplerPhase::Expanded:
    return "expanded";
  case SamplerPhase::Fused:
    return "fused";
  case SamplerPhase::Planned:
    return "planned";
  case SamplerPhase::Cpu:
    return "cpu";
  }
  return "unknown";
}

void addSamplerPhase(OpPassManager &pm, SamplerPhase phase, bool generatedKernels) {
  switch (phase) {
  case SamplerPhase::Expanded:
    // A network sampled on another schedule than its own gets its adapter;
    // sampler.solve -> loop of steps; the network calls inlined into it.
    pm.addPass(createTweedieAdaptNetworkSchedule());
    pm.addPass(createTweedieExpandSolve());
    pm.addPass(createInlinerPass());
    break;
  case SamplerPhase::Fused:
    pm.addPass(createTweedieHoistTimeInvariant());
    pm.addPass(createTweedieFuseSteps());
    pm.addPass(createTweedieFuseEpilogues());
    break;
  case SamplerPhase::Planned:
    pm.addNestedPass<func::FuncOp>(createTweediePlanMemory());
    break;
  case SamplerPhase::Cpu:
    if (generatedKernels)
      pm.addPass(createTweedieOutlineKernels());
    break;
  }
}

void buildSamplerPipeline(OpPassManager &pm, const SamplerPipelineOptions &options) {
  for (SamplerPhase phase : kSamplerPhases) {
    addSamplerPhase(pm, phase, options.generatedKernels);
    if (phase == options.stopAfter)
      return;
  }
}

void addTrainingPhase(OpPassManager &pm, TrainingPhase phase, const std::string &function) {
  switch (phase) {
  case TrainingPhase::Loss:
    pm.addPass(createTweedieExpandObjective());
    pm.addPass(createInlinerPass());
    break;
  case TrainingPhase::Gradient: {
    TweedieAutodiffOptions autodiff;
    autodiff.function = function;
    pm.addPass(createTweedieAutodiff(autodiff));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    break;
  }
  }
}

void buildTrainingPipeline(OpPassManager &pm, const TrainingPipelineOptions &options) {
  addTrainingPhase(pm, TrainingPhase::Loss, options.function);
  addTrainingPhase(pm, TrainingPhase::Gradient, options.function);
}

void registerTweediePipelines() {
  PassPipelineRegistration<SamplerPipelineOptions>(
      "tweedie-sampler-pipeline",
      "What tweedie-compile runs: expand the solve, fuse, plan memory, outline kernels "
      "(stop-after= any phase)",
      [](OpPassManager &pm, const SamplerPipelineOptions &options) {
        buildSamplerPipeline(pm, options);
      });
  PassPipelineRegistration<TrainingPipelineOptions>(
      "tweedie-training-pipeline",
      "What tweedie-train runs after the objective: expand it into a loss, then add the "
      "loss's gradient function",
      [](OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options);
      });
}

} // namespace tweedie
