//===- SampleProfile.h - tweedie-bench sample: where sampling time goes ---===//
#ifndef TWEEDIE_TOOLS_BENCH_SAMPLEPROFILE_H
#define TWEEDIE_TOOLS_BENCH_SAMPLEPROFILE_H

#include "tweedie/io/NpyFile.h"

#include <cstdint>
#include <string>

namespace tweedie::bench {

struct SampleProfileOptions {
  std::string module;
  int64_t count = 64;
  int threads = 1;
  int rounds = 3;
  uint64_t seed = 0;
  /// Prior noise [count, ...] (.npy) in place of the seed's stream, or empty.
  std::string noise;
  /// Where to write the last round's samples (.npy), or empty.
  std::string out;
  bool json = false;
  /// "cpu" or "cuda".
  std::string device = "cpu";
};

/// The --noise prior ([count, ...] floats), or an empty array without one.
/// Throws std::invalid_argument when it holds other than count x width values.
io::NpyArray readPriorNoise(const SampleProfileOptions &options, int64_t width);

/// Loads the module, samples `rounds` times after one warm-up round, and
/// prints the median wall time, per-step time, the time per op kind, reorders,
/// the arena and the peak RSS. Returns the exit status.
int sampleProfile(const SampleProfileOptions &options);

/// The same on device "cuda" (GpuSampleBench.cpp): median wall time and the
/// loop's graph; `threads` is not used.
int gpuSampleBench(const SampleProfileOptions &options);

} // namespace tweedie::bench

#endif
