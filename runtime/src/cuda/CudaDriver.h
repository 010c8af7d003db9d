//===- CudaDriver.h - the CUDA driver API, loaded at run time ------------===//
//
// The runtime never links CUDA: libcuda.so.1 (the driver, installed with
// NVIDIA's kernel module, not with the toolkit) is opened with dlopen on the
// first request for device "cuda", so one runtime binary runs on machines
// with and without a GPU. The few driver types it needs are declared here
// (the driver's ABI: CUresult is an int, handles are pointers), so building
// needs no CUDA headers either.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_CUDADRIVER_H
#define TWEEDIE_RUNTIME_CUDA_CUDADRIVER_H

#include <string>
#include <vector>

namespace tweedie::cuda {

/// One GPU as the driver reports it.
struct Device {
  std::string name;
  int major = 0, minor = 0; // compute capability: sm_<major><minor>
};

/// What this machine offers device "cuda": the driver's GPUs, or why none.
struct Availability {
  std::vector<Device> devices;
  /// Empty when devices were found; otherwise what is missing, in words
  /// ("no CUDA driver on this machine (libcuda.so.1: ...)").
  std::string why;
};

/// Loads the driver and lists its GPUs, once per process (thread-safe).
const Availability &availability();

} // namespace tweedie::cuda

#endif
