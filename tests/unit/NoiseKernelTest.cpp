//===- NoiseKernelTest.cpp - the generated noise kernels vs Noise.h ------===//
//
// The GPU draws its noise with kernels the compiler generates from MLIR
// (NoiseKernels.cpp), which must give Noise.h's bits. Without a GPU the same
// functions are compiled for this CPU by the CPU lowering and compared here
// bit for bit; what differs on the GPU is only the instruction each operation
// becomes, and every one is correctly rounded there too (the PTX test checks
// that no fused multiply-add appears). CudaKernelsTest repeats the comparison
// on a GPU where there is one, else on the emulated driver (the kernels'
// GPU form on the host).
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "HostKernels.h"
#include "tweedie/Noise.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"
#include "tweedie/module/DeviceKernels.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tweedie;

namespace {

using tweedie::testing::expectSameBits;
using tweedie::testing::HostKernels;
using tweedie::testing::MemRef1D;

template <typename T>
using DrawFn = void (*)(MemRef1D<T> *, int64_t, int64_t, int32_t, int32_t, int64_t);
template <typename T> using UniformFn = void (*)(MemRef1D<T> *, int64_t, int64_t, int32_t, int32_t);

/// Each form compiled once per process (its object file is mapped: never
/// rewritten while open).
const HostKernels &hostKernels(bool float64) {
  const std::string cpu = resolveTargetCpu(tweedie::testing::kernelCpuForTests());
  static const HostKernels f32([](mlir::ModuleOp m) { addNoiseKernels(m, false); }, "noise",
                               cpu);
  static const HostKernels f64([](mlir::ModuleOp m) { addNoiseKernels(m, true); },
                               "noise-f64", cpu);
  return float64 ? f64 : f32;
}

/// Kernel `name` writing T, compiled for this CPU, or null with a test failure.
template <typename Fn, typename T = float> Fn hostKernel(const char *name) {
  const HostKernels &kernels = hostKernels(std::is_same_v<T, double>);
  Fn f = kernels.function<Fn>(name);
  EXPECT_NE(f, nullptr) << name << ": " << kernels.error();
  return f;
}

struct Stream {
  uint64_t seed;
  int64_t firstSample;
  uint32_t step, draw;
  int64_t width, rows;
};

// Seeds with both halves used, a first sample past 2^32 (the counter keeps
// its low 32 bits, as the CPU's cast does), the prior's step, odd widths.
const Stream kStreams[] = {{0, 0, 0, 0, 1, 4000},
                           {0x123456789abcdefull, 17, 3, 1, 7, 900},
                           {42, (int64_t{1} << 32) + 5, kPriorStep, 2, 784, 64},
                           {~0ull, 1000003, 999, 7, 3, 333}};

TEST(NoiseKernels, NormalsAreNoiseHsBitForBit) {
  auto randn = hostKernel<DrawFn<float>>(module::kNoiseKernel);
  ASSERT_NE(randn, nullptr);
  for (const Stream &s : kStreams) {
    std::vector<float> got(s.width * s.rows, -7.0f), want(got.size());
    MemRef1D<float> out(got);
    randn(&out, static_cast<int64_t>(s.seed), s.firstSample, static_cast<int32_t>(s.step),
          static_cast<int32_t>(s.draw), s.width);
    for (int64_t r = 0; r < s.rows; ++r)
      fillSampleNoise(want.data() + r * s.width, s.width, s.seed,
                      static_cast<uint32_t>(s.firstSample + r), s.step, s.draw);
    expectSameBits(got, want, "seed " + std::to_string(s.seed));
  }
}

// Rounding to float hides all but about one in 2^29 differences of the
// float64 arithmetic: the unrounded form must match noiseAt exactly too.
TEST(NoiseKernels, NormalsBeforeTheirRoundingAreNoiseHsBitForBit) {
  auto randn = hostKernel<DrawFn<double>, double>(module::kNoiseKernel);
  ASSERT_NE(randn, nullptr);
  for (const Stream &s : kStreams) {
    std::vector<double> got(s.width * s.rows, -7.0), want(got.size());
    MemRef1D<double> out(got);
    randn(&out, static_cast<int64_t>(s.seed), s.firstSample, static_cast<int32_t>(s.step),
          static_cast<int32_t>(s.draw), s.width);
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t e = 0; e < s.width; ++e)
        want[r * s.width + e] =
            noiseAt(s.seed, static_cast<uint32_t>(s.firstSample + r), s.step, s.draw, e);
    expectSameBits(got, want, "seed " + std::to_string(s.seed));
  }
}

TEST(NoiseKernels, SignsAreNoiseHsBitForBit) {
  auto signs = hostKernel<DrawFn<float>>(module::kSignsKernel);
  ASSERT_NE(signs, nullptr);
  for (const Stream &s : kStreams) {
    std::vector<float> got(s.width * s.rows), want(got.size());
    MemRef1D<float> out(got);
    signs(&out, static_cast<int64_t>(s.seed), s.firstSample, static_cast<int32_t>(s.step),
          static_cast<int32_t>(s.draw), s.width);
    for (int64_t r = 0; r < s.rows; ++r)
      fillSampleSigns(want.data() + r * s.width, s.width, s.seed,
                      static_cast<uint32_t>(s.firstSample + r), s.step, s.draw);
    expectSameBits(got, want, "seed " + std::to_string(s.seed));
  }
}

TEST(NoiseKernels, UniformsAreNoiseHsBitForBit) {
  auto uniform = hostKernel<UniformFn<float>>(module::kUniformKernel);
  auto unrounded = hostKernel<UniformFn<double>, double>(module::kUniformKernel);
  ASSERT_NE(uniform, nullptr);
  ASSERT_NE(unrounded, nullptr);
  for (const Stream &s : kStreams) {
    std::vector<float> got(s.rows), want(s.rows);
    std::vector<double> got64(s.rows), want64(s.rows);
    MemRef1D<float> out(got);
    MemRef1D<double> out64(got64);
    uniform(&out, static_cast<int64_t>(s.seed), s.firstSample, static_cast<int32_t>(s.step),
            static_cast<int32_t>(s.draw));
    unrounded(&out64, static_cast<int64_t>(s.seed), s.firstSample,
              static_cast<int32_t>(s.step), static_cast<int32_t>(s.draw));
    for (int64_t r = 0; r < s.rows; ++r) {
      want64[r] = uniformAt(s.seed, static_cast<uint32_t>(s.firstSample + r), s.step, s.draw);
      want[r] = static_cast<float>(want64[r]);
    }
    expectSameBits(got, want, "seed " + std::to_string(s.seed));
    expectSameBits(got64, want64, "unrounded, seed " + std::to_string(s.seed));
  }
}

} // namespace
