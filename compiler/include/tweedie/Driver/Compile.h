//===- Compile.h - the tweedie-compile pipeline, callable without MLIR ---===//
//
// The tools are ordinary C++ (exceptions, CLI11); the compiler is built
// like LLVM (no exceptions). This header is the boundary: plain types in,
// plain types out, diagnostics printed to stderr as file:line:col messages.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DRIVER_COMPILE_H
#define TWEEDIE_DRIVER_COMPILE_H

#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tweedie {

/// The phases --compile-to can stop after, in pipeline order.
inline const std::vector<std::string> &compilePhases() {
  static const std::vector<std::string> phases = {"input", "expanded", "fused",
                                                  "planned", "cpu", "module"};
  return phases;
}

struct CompileOptions {
  std::string input;         // .mlir file ("-" for stdin)
  std::string weights;       // .safetensors, or empty: synthetic weights
  uint64_t syntheticSeed = 0;
  std::string entry;         // empty: the function holding the sampler.solve
  std::string sampler;       // "NAME(key=value, ...)": replaces/adds the sampler
  std::string network;       // the network function, when --sampler cannot tell
  std::string compileTo;     // empty: compile fully
  bool generatedKernels = true;
  std::string cpu = "native";
  bool channelsLast = true;  // store what convolutions meet NHWC where possible
};

struct CompileResult {
  /// The IR after the requested phase (when compileTo is set).
  std::string ir;
  /// The compiled module (when compileTo is empty).
  module::ModuleDesc module;
  /// A human-readable summary of the plan.
  std::string report;
  /// The instruction-set level the kernels target.
  std::string kernelCpu;
};

/// Runs the pipeline; false after printing diagnostics to stderr.
bool compileSampler(const CompileOptions &options, CompileResult &result);

} // namespace tweedie

#endif
