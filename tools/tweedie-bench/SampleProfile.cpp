//===- SampleProfile.cpp - tweedie-bench sample ---------------------------===//
//
// Runs the CPU backend's Program directly (not through the C API) so that a
// job can carry an OpProfile. The warm-up round builds oneDNN's primitives
// and touches the arenas; the timed rounds then measure the steady state a
// host sees on its second request.
//
//===----------------------------------------------------------------------===//
#include "SampleProfile.h"

#include "cpu/Program.h"
#include "tweedie/Error.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/io/NpyFile.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace tweedie::bench {

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/// This process's peak resident set: VmHWM, which exec resets (ru_maxrss
/// keeps the peak of a parent that forked us), else getrusage.
int64_t peakRssBytes() {
  if (std::FILE *status = std::fopen("/proc/self/status", "r")) {
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, status))
      if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1)
        break;
    std::fclose(status);
    if (kib >= 0)
      return static_cast<int64_t>(kib) * 1024;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

struct Measured {
  std::vector<double> seconds;
  cpu::OpProfile profile; // of the last round
};

} // namespace

io::NpyArray readPriorNoise(const SampleProfileOptions &o, int64_t width) {
  io::NpyArray noise;
  if (o.noise.empty())
    return noise;
  noise = io::readNpy(o.noise);
  if (static_cast<int64_t>(noise.data.size()) != o.count * width)
    throw std::invalid_argument(fmt::format("{} holds {} values; {} samples of {} values need {}",
                                            o.noise, noise.data.size(), o.count, width,
                                            o.count * width));
  return noise;
}

int sampleProfile(const SampleProfileOptions &o) {
  try {
    const std::vector<std::byte> image = io::readFile(o.module);
    cpu::Program program(module::parseModule(image, o.module), o.module);
    const module::ModuleDesc &desc = program.desc();
    const int64_t width = desc.sampleNumel();
    const io::NpyArray noise = readPriorNoise(o, width);
    std::vector<float> samples(static_cast<size_t>(o.count * width));
    cpu::SampleJob job;
    job.count = o.count;
    job.seed = o.seed;
    job.noise = noise.data.empty() ? nullptr : noise.data.data();
    job.out = samples.data();
    job.threads = o.threads;

    Measured measured;
    program.sample(job); // warm-up
    for (int r = 0; r < o.rounds; ++r) {
      cpu::OpProfile profile;
      job.profile = &profile;
      const auto start = std::chrono::steady_clock::now();
      program.sample(job);
      measured.seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      measured.profile = profile;
    }
    if (!o.out.empty()) {
      std::vector<int64_t> shape{o.count};
      for (int64_t d : desc.values[desc.state].shape)
        shape.push_back(d);
      io::writeNpy(o.out, samples, shape);
    }

    const double wall = median(measured.seconds);
    const double best = *std::min_element(measured.seconds.begin(), measured.seconds.end());
    const cpu::OpProfile &p = measured.profile;
    double opSeconds = 0;
    for (const auto &[kind, entry] : p.byKind)
      opSeconds += entry.seconds;
    const int64_t chunks = program.chunkCount(0, o.count, o.threads);
    const double steps = static_cast<double>(desc.steps);
    const size_t arena = program.scratchBytes(o.count, o.threads);
    if (o.json) {
      std::string kinds;
      for (const auto &[kind, entry] : p.byKind)
        kinds += fmt::format("{}\"{}\": {{\"seconds\": {:.6f}, \"calls\": {}}}",
                             kinds.empty() ? "" : ", ", kind, entry.seconds, entry.calls);
      fmt::print("{{\"seconds\": {:.6f}, \"min_seconds\": {:.6f}, \"steps\": {}, "
                 "\"per_step_seconds\": {:.9f}, \"micro_batch\": {}, \"chunks\": {}, "
                 "\"reorders_per_step\": {:.2f}, \"arena_bytes\": {}, \"peak_rss_bytes\": {}, "
                 "\"kinds\": {{{}}}}}\n",
                 wall, best, desc.steps, wall / steps, program.microBatch(), chunks,
                 p.bodyRuns ? static_cast<double>(p.reorders) / p.bodyRuns * chunks : 0.0,
                 arena, peakRssBytes(), kinds);
      return 0;
    }
    fmt::print("{}: {} samples, {} thread(s), micro-batch {} ({} chunks{}), {} steps\n",
               o.module, o.count, o.threads, program.microBatch(), chunks,
               program.rowInvariant() ? ", sized to the request" : "", desc.steps);
    fmt::print("wall: median {:.4f} s, min {:.4f} s over {} round(s); {:.1f} µs per step, "
               "{:.1f} samples/s\n",
               wall, best, o.rounds, wall / steps * 1e6, o.count / wall);
    fmt::print("reorders: {:.1f} per micro-batch step; arena {:.2f} MiB; peak RSS {:.1f} MiB\n\n",
               p.bodyRuns ? static_cast<double>(p.reorders) / p.bodyRuns : 0.0,
               arena / 1048576.0, peakRssBytes() / 1048576.0);
    std::vector<std::pair<std::string, cpu::OpProfile::Entry>> rows(p.byKind.begin(),
                                                                     p.byKind.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto &a, const auto &b) { return a.second.seconds > b.second.seconds; });
    fmt::print("| op kind | share | thread s | calls per step | µs per call |\n"
               "|---|---|---|---|---|\n");
    for (const auto &[kind, entry] : rows)
      fmt::print("| {} | {:.1f}% | {:.3f} | {:.1f} | {:.1f} |\n", kind,
                 100 * entry.seconds / opSeconds, entry.seconds,
                 p.bodyRuns ? static_cast<double>(entry.calls) / p.bodyRuns : 0.0,
                 entry.seconds / std::max<int64_t>(entry.calls, 1) * 1e6);
    return 0;
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-bench sample: {}\n", e.what());
    return 1;
  }
}

} // namespace tweedie::bench
