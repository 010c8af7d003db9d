//===- CompiledModuleSupport.h - compile bundled models for runtime tests -===//
//
// Shared by the end-to-end tests: a bundled model with its sampler swapped,
// compiled by the real driver into a module image, loaded and sampled through
// the C API, and the float64 interpreter's samples for the same prior noise.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_COMPILEDMODULESUPPORT_H
#define TWEEDIE_TESTS_COMPILEDMODULESUPPORT_H

#include "tweedie/Driver/Compile.h"
#include "tweedie/Reference/Tensor.h"
#include "tweedie/tweedie.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tweedie::testing {

/// The x86-64 level the tests' generated kernels target: "native", or the
/// level matching a ONEDNN_MAX_CPU_ISA cap (AVX2 -> x86-64-v3, SSE41 -> x86-64).
std::string kernelCpuForTests();

/// The bundled model's text with its sampler's method and step count replaced.
std::string withSampler(const std::string &model, const std::string &method, int steps);

/// Writes `text` to a file in the test's temporary directory; returns its path.
std::string writeTemp(const std::string &name, const std::string &text);

/// The module image tweedie-compile would write for `irPath` (with
/// `--sampler SAMPLER` when `sampler` is not empty, `--weights WEIGHTS` when
/// `weights` is not empty).
std::vector<std::byte> compileImage(const std::string &irPath, const std::string &sampler = "",
                                    const std::string &weights = "",
                                    ActivationLayout layout = ActivationLayout::Auto);

/// Loads an image through the C API; null (and the status in `status`) on failure.
tweedie_module *load(tweedie_instance *instance, const std::vector<std::byte> &image,
                     tweedie_status **status);

/// Samples [first, first + count) of the seed's stream from a loaded module
/// on `device`.
std::vector<float> sampleRange(tweedie_module *mod, int64_t first, int64_t count,
                               uint64_t seed, int threads, const char *device = "cpu");

/// Samples from the compiled module (through serialise + load + C API).
std::vector<float> compiledSamples(const std::string &irPath, int64_t count, uint64_t seed,
                                   int threads = 1, const std::string &sampler = "",
                                   const std::string &weights = "",
                                   ActivationLayout layout = ActivationLayout::Auto);

/// The runtime's prior noise for samples [0, count): Philox at the prior step.
reference::Tensor priorNoise(const std::string &irPath, int64_t count, uint64_t seed);

/// The float64 interpreter on the expanded input IR, started from `noise`.
std::vector<double> referenceSamples(const std::string &irPath,
                                     const reference::Tensor &noise, uint64_t seed);

/// ||a - b|| / ||b||.
double relativeError(const std::vector<float> &a, const std::vector<double> &b);

} // namespace tweedie::testing

#endif
