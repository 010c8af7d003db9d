//===- Pipelines.h - the compiler's pass pipelines, registered -----------===//
//
// The pipelines the drivers run, defined once: tweedie-compile and
// tweedie-train build their pass managers from these functions, and
// tweedie-opt offers them as --tweedie-sampler-pipeline and
// --tweedie-training-pipeline, so any phase a driver prints can be
// reproduced (and debugged pass by pass) with tweedie-opt.
//
//   sampler:  input -> expanded -> fused -> planned -> cpu
//   training: objective -> loss -> gradient
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_PIPELINES_PIPELINES_H
#define TWEEDIE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace tweedie {

/// The phases of the sampler pipeline after `input`, in order.
enum class SamplerPhase { Expanded, Fused, Planned, Cpu };
inline constexpr SamplerPhase kSamplerPhases[] = {SamplerPhase::Expanded, SamplerPhase::Fused,
                                                  SamplerPhase::Planned, SamplerPhase::Cpu};
const char *samplerPhaseName(SamplerPhase phase);

/// The passes that take the IR from the phase before `phase` to `phase`.
void addSamplerPhase(mlir::OpPassManager &pm, SamplerPhase phase, bool generatedKernels);

struct SamplerPipelineOptions : mlir::PassPipelineOptions<SamplerPipelineOptions> {
  Option<SamplerPhase> stopAfter{
      *this, "stop-after", llvm::cl::desc("The last phase to run"),
      llvm::cl::init(SamplerPhase::Cpu),
      llvm::cl::values(
          clEnumValN(SamplerPhase::Expanded, "expanded", "solve expanded, networks inlined"),
          clEnumValN(SamplerPhase::Fused, "fused", "time-invariant work hoisted, steps fused"),
          clEnumValN(SamplerPhase::Planned, "planned", "every buffer in the arena"),
          clEnumValN(SamplerPhase::Cpu, "cpu", "fused steps outlined as kernels"))};
  Option<bool> generatedKernels{
      *this, "generated-kernels",
      llvm::cl::desc("Outline the fused steps into generated kernels (the cpu phase)"),
      llvm::cl::init(true)};
};
/// Every phase up to options.stopAfter.
void buildSamplerPipeline(mlir::OpPassManager &pm, const SamplerPipelineOptions &options);

/// The phases of the training pipeline after `objective` (the network with
/// its objective as a loss function, which tweedie-train writes).
enum class TrainingPhase { Loss, Gradient };
/// The passes that take the IR to `phase`: `loss` expands the objective into
/// score ops; `gradient` adds `function`_grad, the loss and its gradients.
void addTrainingPhase(mlir::OpPassManager &pm, TrainingPhase phase, const std::string &function);

struct TrainingPipelineOptions : mlir::PassPipelineOptions<TrainingPipelineOptions> {
  Option<std::string> function{*this, "function",
                               llvm::cl::desc("The loss function to differentiate"),
                               llvm::cl::init("train_loss")};
};
void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options);

/// Registers --tweedie-sampler-pipeline and --tweedie-training-pipeline.
void registerTweediePipelines();

} // namespace tweedie

#endif
