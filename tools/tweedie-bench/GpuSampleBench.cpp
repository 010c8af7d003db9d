//===- GpuSampleBench.cpp - tweedie-bench sample --device cuda ------------===//
//
// Times the CUDA backend's SamplerProgram directly: a warm-up request (the
// driver JIT-compiles the PTX, cuDNN picks its algorithms), then `rounds`
// timed requests, each one captured graph and one launch. Per-op times are
// not taken on the GPU (Nsight Systems shows them); the graph's node count is.
//
//===----------------------------------------------------------------------===//
#include "SampleProfile.h"

#include "cuda/SamplerProgram.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/io/NpyFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace tweedie::bench {

int gpuSampleBench(const SampleProfileOptions &o) {
  try {
    const cuda::Availability &gpus = cuda::availability();
    if (!gpus.api)
      throw std::runtime_error("device 'cuda' is not available: " + gpus.why);
    const std::vector<std::byte> image = io::readFile(o.module);
    cuda::SamplerProgram program(module::parseModule(image, o.module), gpus,
                                 cuda::blasAvailability(), cuda::dnnAvailability());
    const module::ModuleDesc &desc = program.desc();
    const int64_t width = desc.sampleNumel();
    const io::NpyArray noise = readPriorNoise(o, width);
    const float *prior = noise.data.empty() ? nullptr : noise.data.data();
    std::vector<float> samples(static_cast<size_t>(o.count * width));
    program.sample(o.count, o.seed, 0, prior, samples.data()); // warm-up
    std::vector<double> seconds;
    for (int r = 0; r < o.rounds; ++r) {
      const auto start = std::chrono::steady_clock::now();
      program.sample(o.count, o.seed, 0, prior, samples.data());
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (!o.out.empty()) {
      std::vector<int64_t> shape{o.count};
      for (int64_t d : desc.values[desc.state].shape)
        shape.push_back(d);
      io::writeNpy(o.out, samples, shape);
    }
    std::sort(seconds.begin(), seconds.end());
    const double wall = seconds[seconds.size() / 2], best = seconds.front();
    const double steps = static_cast<double>(desc.steps);
    if (o.json) {
      fmt::print("{{\"device\": \"{}\", \"arch\": \"{}\", \"seconds\": {:.6f}, "
                 "\"min_seconds\": {:.6f}, \"steps\": {}, \"per_step_seconds\": {:.9f}, "
                 "\"graph_nodes\": {}}}\n",
                 program.device().name, program.device().arch(), wall, best, desc.steps,
                 wall / steps, program.lastGraphNodes());
      return 0;
    }
    fmt::print("{}: {} samples on {} ({}), {} steps, one CUDA graph of {} nodes per request\n",
               o.module, o.count, program.device().name, program.device().arch(), desc.steps,
               program.lastGraphNodes());
    fmt::print("wall: median {:.4f} s, min {:.4f} s over {} round(s); {:.1f} µs per step, "
               "{:.1f} samples/s\n",
               wall, best, o.rounds, wall / steps * 1e6, o.count / wall);
    return 0;
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-bench sample: {}\n", e.what());
    return 1;
  }
}

} // namespace tweedie::bench
