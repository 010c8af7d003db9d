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

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tweedie {

/// How a CPU module stores its activations. Auto: channels last (NHWC) where
/// the target has AVX-512, whose oneDNN runs NHWC convolutions without
/// reorders (unet28 step 15% faster); plain NCHW on AVX2 and below, where
/// oneDNN's blocked kernels plus reorders stay ahead (NHWC 3-4% slower).
enum class ActivationLayout { Auto, ChannelsLast, Plain };

/// Whether `layout` stores channels last for the kernels' target level
/// (resolveTargetCpu's names: "x86-64-v4" has AVX-512). A module for CUDA
/// (`cuda`) is plain under Auto: the CUDA backend runs NCHW values only.
inline bool storesChannelsLast(ActivationLayout layout, const std::string &targetCpu,
                               bool cuda = false) {
  return layout == ActivationLayout::ChannelsLast ||
         (layout == ActivationLayout::Auto && targetCpu == "x86-64-v4" && !cuda);
}

/// The phases --compile-to can stop after, in pipeline order; "ptx" prints
/// the generated kernels as PTX for each CUDA architecture (Target/CUDA).
inline const std::vector<std::string> &compilePhases() {
  static const std::vector<std::string> phases = {"input", "expanded", "fused",
                                                  "planned", "cpu", "module", "ptx"};
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
  ActivationLayout layout = ActivationLayout::Auto;
  /// Also write the generated kernels as PTX for kCudaArchitectures into the
  /// module (--target cuda); it runs on the CPU all the same.
  bool cudaKernels = false;
  /// With cudaKernels: also compile those kernels' GPU form for the host
  /// (Target/CUDA/HostEmulation.h), for the tests' emulated driver.
  bool hostEmulatedCudaKernels = false;
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
  /// The CUDA kernels as host code (hostEmulatedCudaKernels): a shared object.
  std::vector<std::byte> hostEmulatedCudaKernels;
};

/// Runs the pipeline; false after printing diagnostics to stderr.
bool compileSampler(const CompileOptions &options, CompileResult &result);

} // namespace tweedie

#endif
