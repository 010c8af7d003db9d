//===- EmulatedCudaDriver.h - a CUDA driver that runs kernels on the host -===//
//
// The CUDA backend's code runs against the driver API (cuda::DriverApi).
// This implementation of it computes on the host, so that code is tested on
// machines without a GPU: device memory is host memory, and a loaded PTX
// module's kernels are their GPU form compiled for the host
// (Target/CUDA/HostEmulation.h), launched with the driver's parameter array
// and run thread by thread. What it cannot show is the GPU's speed, its
// concurrency or the PTX's own translation by ptxas; the tests that need a
// GPU say so and skip.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_EMULATEDCUDADRIVER_H
#define TWEEDIE_TESTS_EMULATEDCUDADRIVER_H

#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tweedie::testing {

/// What the emulated GPU has executed (graph nodes included as they run).
struct EmulatorCounts {
  int64_t kernels = 0, copies = 0, matmuls = 0, graphLaunches = 0;
};

/// Runs `work` on the emulator's `stream` (null: the default stream) as the
/// GPU would: now, or recorded into the stream's open capture. For the other
/// emulated libraries (EmulatedCublasLt). Fails while a capture is open on
/// another stream and `stream` is null.
cuda::CUresult emulatedEnqueue(cuda::CUstream stream, std::function<void()> work);
/// Counts a matmul the emulated cuBLASLt executed.
void countEmulatedMatmul();

/// One at a time per process (the driver API has no user data: the entry
/// points reach the emulator through a global).
class EmulatedCudaDriver {
public:
  /// `hostKernels`: the shared object emitHostEmulatedKernels wrote for the
  /// PTX the code under test will load. Throws std::runtime_error when it
  /// cannot be opened or another emulator lives.
  explicit EmulatedCudaDriver(const std::vector<std::byte> &hostKernels);
  ~EmulatedCudaDriver();
  EmulatedCudaDriver(const EmulatedCudaDriver &) = delete;
  EmulatedCudaDriver &operator=(const EmulatedCudaDriver &) = delete;

  /// The driver and its one GPU ("host emulation", sm_90), for cuda::Context.
  const cuda::Availability &availability() const { return availability_; }
  EmulatorCounts counts() const;
  /// Device bytes still allocated, for leak checks.
  int64_t liveBytes() const;

private:
  cuda::DriverApi api_;
  cuda::Availability availability_;
};

/// The real driver, GPU and cuBLASLt where there are, else the emulators'
/// (kernels from `hostKernels`): a test runs on one or the other.
class GpuOrEmulation {
public:
  explicit GpuOrEmulation(const std::vector<std::byte> &hostKernels);
  const cuda::Availability &availability() const;
  const cuda::BlasAvailability &blas() const;
  const cuda::DnnAvailability &dnn() const;
  bool emulated() const { return emulator_ != nullptr; }

private:
  std::unique_ptr<EmulatedCudaDriver> emulator_;
};

} // namespace tweedie::testing

#endif
