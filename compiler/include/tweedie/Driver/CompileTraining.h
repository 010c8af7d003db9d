//===- CompileTraining.h - a network + objective -> a training step -----===//
//
// What tweedie-train compiles, behind the same plain-C++ boundary as
// Compile.h: the network's DSM loss (sampler.dsm_loss, expanded), its
// gradient (--tweedie-autodiff) and the runtime's description of both.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DRIVER_COMPILETRAINING_H
#define TWEEDIE_DRIVER_COMPILETRAINING_H

#include "tweedie/Driver/Compile.h"
#include "tweedie/module/ModuleDesc.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tweedie {

/// The phases --compile-to can stop after ("plan": the runtime's execution
/// plan of the step, formatPlan's text, as tweedie-compile's "module").
inline const std::vector<std::string> &trainingPhases() {
  static const std::vector<std::string> phases = {"objective", "loss", "gradient", "plan"};
  return phases;
}

struct TrainingCompileOptions {
  std::string input;      // .mlir with the network
  std::string network;    // empty: the one function with a sampler.schedule attribute
  std::string schedule;   // "#sampler...." or empty: the network's own
  std::string prediction; // empty: the network's own
  bool lognormal = false; // EDM's log-normal sigma instead of uniform levels
  int64_t probes = 0;     // > 0: sliced score matching with this many probes
  bool gaussianProbes = false; // its probes: Gaussian rather than Rademacher
  /// Train a classifier (logits [B, K]) by cross-entropy on labelled data
  /// instead of a score network by DSM: the step then takes one-hot labels.
  bool crossEntropy = false;
  std::string weights;    // initial weights (.safetensors), empty: synthetic
  uint64_t syntheticSeed = 0;
  std::string compileTo;  // a trainingPhases() entry: print the IR there
  ActivationLayout layout = ActivationLayout::Auto; // for this machine
  /// Also write the layer and noise kernels as PTX into the step, plain
  /// (NCHW) under Auto: a step the CUDA backend runs (tweedie-train --device
  /// cuda); the CPU runs it all the same.
  bool cudaKernels = false;
  /// With cudaKernels: also their GPU form compiled for `cpu` on the host,
  /// for the tests' emulated driver.
  bool hostEmulatedCudaKernels = false;
  std::string cpu = "native";
};

struct TrainingCompileResult {
  std::string ir;              // with compileTo
  module::ModuleDesc step;     // otherwise
  std::string network, schedule, prediction;
  /// The CUDA kernels as host code (hostEmulatedCudaKernels): a shared object.
  std::vector<std::byte> hostEmulatedCudaKernels;
};

/// False after printing diagnostics to stderr.
bool compileTraining(const TrainingCompileOptions &options, TrainingCompileResult &result);

/// A network evaluated on a batch, nothing trained: `network` (x [B, ...]) ->
/// [B, ...] of `input` with `weights`, as a TrainingDesc whose `output` is
/// the result (how tools read a classifier's features). False after
/// printing diagnostics.
bool compileEvaluation(const std::string &input, const std::string &network,
                       const std::string &weights, module::ModuleDesc &result,
                       const char *tool = "tweedie-eval");

/// compileEvaluation for the CUDA backend: plain (NCHW) values, the layer
/// kernels' PTX in result.cudaKernels and, for the emulated driver of the
/// tests, their host form (compiled for `cpu`) in `hostEmulatedKernels`
/// when given.
bool compileEvaluationForCuda(const std::string &input, const std::string &network,
                              const std::string &weights, module::ModuleDesc &result,
                              std::vector<std::byte> *hostEmulatedKernels = nullptr,
                              const std::string &cpu = "native");

} // namespace tweedie

#endif
