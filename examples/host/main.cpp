//===- main.cpp - a C++ host that embeds a compiled Tweedie sampler ------===//
//
// Loads a module written by `tweedie-compile`, draws samples on the CPU with a
// progress report, shows that a slice of the sample stream can be redrawn on
// its own (sample i depends only on the seed and i), and prints per-coordinate
// statistics. With a fourth argument it writes the samples as raw float32.
//
//   tweedie-host-example MODULE [NUM_SAMPLES=256] [SEED=0] [OUT.f32]
//
//===----------------------------------------------------------------------===//
#include <tweedie/tweedie.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

void printStatistics(const std::vector<float> &samples, int64_t count, int64_t size) {
  const int64_t shown = std::min<int64_t>(size, 4);
  for (int64_t d = 0; d < shown; ++d) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < count; ++i) {
      const double v = samples[i * size + d];
      sum += v;
      squares += v * v;
    }
    const double mean = sum / count;
    std::printf("coordinate %lld: mean %+.4f  std %.4f\n", static_cast<long long>(d), mean,
                std::sqrt(std::max(0.0, squares / count - mean * mean)));
  }
}

int run(int argc, char **argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: %s MODULE [NUM_SAMPLES=256] [SEED=0] [OUT.f32]\n", argv[0]);
    return 2;
  }
  const int64_t count = argc > 2 ? std::atoll(argv[2]) : 256;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  if (count < 2) {
    std::fprintf(stderr, "NUM_SAMPLES must be at least 2\n");
    return 2;
  }

  tweedie::Instance instance;
  tweedie::Module module(instance, argv[1]);
  tweedie::Session session(module, {.device = "cpu", .threads = 0});
  std::printf("%s\n", module.description().c_str());

  // Progress arrives from worker threads, one call at a time.
  int lastPercent = -1;
  tweedie::SampleOptions options;
  options.progress = [&](int64_t done, int64_t total) {
    const int percent = static_cast<int>(100 * done / total);
    if (percent / 10 != lastPercent / 10)
      std::fprintf(stderr, "\rsampling %3d%%", percent);
    lastPercent = percent;
    return true; // false would cancel the request
  };
  std::vector<float> samples = session.sample(count, seed, options);
  std::fprintf(stderr, "\n");

  // Redraw the second half on its own: the same seed and first sample index
  // give the same bits, whatever the batch split.
  const int64_t size = module.sampleSize();
  const int64_t half = count / 2;
  tweedie::SampleOptions tail;
  tail.firstSample = half;
  std::vector<float> again = session.sample(count - half, seed, tail);
  const bool same = std::equal(again.begin(), again.end(), samples.begin() + half * size);
  std::printf("samples %lld..%lld redrawn alone: %s\n", static_cast<long long>(half),
              static_cast<long long>(count - 1), same ? "bit-identical" : "DIFFERENT");

  printStatistics(samples, count, size);
  if (argc > 4) {
    std::ofstream out(argv[4], std::ios::binary);
    out.write(reinterpret_cast<const char *>(samples.data()),
              static_cast<std::streamsize>(samples.size() * sizeof(float)));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", argv[4]);
      return 1;
    }
  }
  return same ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const tweedie::Error &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
