//===- CudaKernelsTest.cpp - the generated PTX on a GPU vs the CPU --------===//
//
// The CUDA target's step kernels run on the GPU through the driver loaded at
// run time and must give the CPU's bits: out = a x + b y + c z, each product
// and sum rounded once (mul.rn / add.rn, no contraction). Where there is no
// GPU they run on the emulated driver (EmulatedCudaDriver.h): the kernels'
// GPU form on the host, launched with the same parameter arrays.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "EmulatedCudaDriver.h"
#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"
#include "cuda/SamplerProgram.h"
#include "tweedie/Driver/Compile.h"
#include "tweedie/Noise.h"
#include "tweedie/module/DeviceKernels.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>

using namespace tweedie;
using namespace tweedie::testing;

namespace {

/// mlp2d's DDPM module compiled for CUDA (its step kernel, the noise and
/// layer kernels), and the same kernels' host form for the emulator.
const CompileResult &mlp2dForCuda() {
  static const CompileResult compiled = [] {
    CompileOptions options;
    options.input = writeTemp("mlp2d-cuda.mlir",
                              withSampler("mlp2d", "#sampler.ddpm<variance = posterior>", 4));
    options.cudaKernels = options.hostEmulatedCudaKernels = true;
    options.cpu = kernelCpuForTests();
    CompileResult result;
    EXPECT_TRUE(compileSampler(options, result)) << "mlp2d did not compile for CUDA";
    return result;
  }();
  return compiled;
}

/// The PTX a GPU of `arch` runs from mlp2dForCuda; empty if none.
std::string mlp2dPtxFor(const std::string &arch) {
  const module::CudaKernelsDesc *ptx = cuda::ptxForArch(mlp2dForCuda().module.cudaKernels, arch);
  return ptx ? ptx->ptx : "";
}

TEST(CudaKernels, TheAffineStepOnTheGpuGivesTheCpusBits) {
  GpuOrEmulation gpus(mlp2dForCuda().hostEmulatedCudaKernels);
  cuda::Context gpu(gpus.availability());
  const std::string ptx = mlp2dPtxFor(gpu.device().arch());
  ASSERT_FALSE(ptx.empty()) << "no PTX old enough for " << gpu.device().arch();
  cuda::CUfunction kernel = gpu.function(gpu.load(ptx), "tweedie_affine_xyz");

  const int64_t n = 1000 + 17; // not a multiple of the block
  std::vector<float> x(n), y(n), z(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = 0.37f * static_cast<float>(i % 29) - 3.1f;
    y[i] = 1.0f / static_cast<float>(i + 3);
    z[i] = static_cast<float>((i * 7919) % 113) * 0.01f - 0.5f;
  }
  float a = 1.0001f, b = -0.73f, c = 0.0421f;
  const size_t bytes = n * sizeof(float);
  cuda::CUdeviceptr dx = gpu.allocate(bytes), dy = gpu.allocate(bytes), dz = gpu.allocate(bytes),
                    dout = gpu.allocate(bytes);
  gpu.upload(dx, x.data(), bytes);
  gpu.upload(dy, y.data(), bytes);
  gpu.upload(dz, z.data(), bytes);
  int64_t count = n;
  gpu.launch(kernel, n, {&dx, &dy, &dz, &dout, &count, &a, &b, &c});
  gpu.download(out.data(), dout, bytes);
  for (cuda::CUdeviceptr p : {dx, dy, dz, dout})
    gpu.free(p);
  for (int64_t i = 0; i < n; ++i) {
    volatile float ax = a * x[i], by = b * y[i], cz = c * z[i]; // rounded one at a time
    volatile float sum = ax + by;
    const float expected = sum + cz;
    ASSERT_EQ(std::memcmp(&out[i], &expected, sizeof(float)), 0)
        << "element " << i << ": GPU " << out[i] << ", CPU " << expected;
  }
}

TEST(CudaKernels, TheNoiseOnTheGpuIsNoiseHsBitForBit) {
  GpuOrEmulation gpus(mlp2dForCuda().hostEmulatedCudaKernels);
  cuda::Context gpu(gpus.availability());
  const std::string ptx = mlp2dPtxFor(gpu.device().arch());
  ASSERT_FALSE(ptx.empty()) << "no PTX old enough for " << gpu.device().arch();
  cuda::CUfunction kernel = gpu.function(gpu.load(ptx), module::kNoiseKernel);

  uint64_t seed = 0x0123456789abcdefull;
  int64_t first = (int64_t{1} << 32) + 11, width = 784, rows = 129;
  uint32_t step = 5, draw = 1;
  int64_t n = width * rows;
  std::vector<float> out(n, -7.0f), want(n);
  cuda::CUdeviceptr dout = gpu.allocate(n * sizeof(float));
  gpu.launch(kernel, n, {&dout, &n, &seed, &first, &step, &draw, &width});
  gpu.download(out.data(), dout, n * sizeof(float));
  gpu.free(dout);
  for (int64_t r = 0; r < rows; ++r)
    fillSampleNoise(want.data() + r * width, width, seed, static_cast<uint32_t>(first + r), step,
                    draw);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(std::memcmp(&out[i], &want[i], sizeof(float)), 0)
        << "element " << i << ": GPU " << out[i] << ", CPU " << want[i];
}

// The emulator is a driver: it refuses what the real one refuses, so the
// backend's error paths are exercised too.
TEST(CudaKernels, TheEmulatedDriverRefusesWhatTheDriverRefuses) {
  EmulatedCudaDriver emulator(mlp2dForCuda().hostEmulatedCudaKernels);
  cuda::Context gpu(emulator.availability());
  EXPECT_EQ(gpu.device().arch(), "sm_90");
  EXPECT_THROW(gpu.load("not PTX"), std::runtime_error);
  cuda::CUmodule loaded = gpu.load(mlp2dPtxFor("sm_90"));
  try {
    gpu.function(loaded, "tweedie_no_such_kernel");
    ADD_FAILURE() << "a kernel the PTX lacks was found";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("CUDA_ERROR_NOT_FOUND"), std::string::npos)
        << e.what();
  }
  cuda::CUdeviceptr p = gpu.allocate(64);
  float host[32] = {};
  EXPECT_THROW(gpu.upload(p, host, sizeof host), std::runtime_error); // past its end
  EXPECT_EQ(emulator.liveBytes(), 64);
  gpu.free(p);
  EXPECT_EQ(emulator.liveBytes(), 0);
}

// The names the backend looks up are the libraries' own: where the CUDA
// toolkit is installed (as on the build machines, GPU or not), cuBLASLt and
// cuDNN load and export every entry point the backend's tables name.
TEST(CudaLibraries, TheToolkitsCublasLtAndCudnnHaveEveryEntryPointTheBackendCalls) {
  const std::string toolkit = "/usr/local/cuda/lib64/";
  if (access((toolkit + "libcublasLt.so.13").c_str(), R_OK) != 0 ||
      access((toolkit + "libcudnn.so.9").c_str(), R_OK) != 0)
    GTEST_SKIP() << "no CUDA 13 toolkit with cuDNN 9 in " << toolkit;
  EXPECT_NE(cuda::blasAvailability().api, nullptr) << cuda::blasAvailability().why;
  EXPECT_NE(cuda::dnnAvailability().api, nullptr) << cuda::dnnAvailability().why;
}

} // namespace
