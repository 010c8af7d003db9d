//===- CudaDriver.cpp -------------------------------------------------------===//
#include "cuda/CudaDriver.h"

#include <dlfcn.h>

namespace tweedie::cuda {

namespace {

// The driver ABI (cuda.h): results are ints, 0 is CUDA_SUCCESS.
using CUresult = int;
using CUdevice = int;
constexpr int kComputeCapabilityMajor = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kComputeCapabilityMinor = 76; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

struct DriverApi {
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*deviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int *, int, CUdevice) = nullptr;
  CUresult (*getErrorName)(CUresult, const char **) = nullptr;
};

template <typename Fn> bool resolve(void *library, const char *symbol, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  return fn != nullptr;
}

std::string errorName(const DriverApi &api, CUresult result) {
  const char *name = nullptr;
  if (api.getErrorName && api.getErrorName(result, &name) == 0 && name)
    return name;
  return "CUDA error " + std::to_string(result);
}

Availability probe() {
  Availability out;
  // The handle is kept for the process's life: the driver is not unloadable.
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *error = dlerror();
    out.why = std::string("no CUDA driver on this machine (") +
              (error ? error : "libcuda.so.1 not found") + ")";
    return out;
  }
  DriverApi api;
  if (!resolve(library, "cuInit", api.init) ||
      !resolve(library, "cuDeviceGetCount", api.deviceGetCount) ||
      !resolve(library, "cuDeviceGet", api.deviceGet) ||
      !resolve(library, "cuDeviceGetName", api.deviceGetName) ||
      !resolve(library, "cuDeviceGetAttribute", api.deviceGetAttribute)) {
    out.why = "libcuda.so.1 lacks the driver API's device queries (too old a driver)";
    return out;
  }
  resolve(library, "cuGetErrorName", api.getErrorName);
  if (CUresult r = api.init(0); r != 0) {
    out.why = "the CUDA driver finds no usable GPU (cuInit: " + errorName(api, r) + ")";
    return out;
  }
  int count = 0;
  if (CUresult r = api.deviceGetCount(&count); r != 0 || count == 0) {
    out.why = "the CUDA driver finds no GPU" +
              (r != 0 ? " (cuDeviceGetCount: " + errorName(api, r) + ")" : std::string());
    return out;
  }
  for (int i = 0; i < count; ++i) {
    CUdevice device = 0;
    char name[256] = {};
    Device d;
    if (api.deviceGet(&device, i) != 0 ||
        api.deviceGetName(name, sizeof name - 1, device) != 0 ||
        api.deviceGetAttribute(&d.major, kComputeCapabilityMajor, device) != 0 ||
        api.deviceGetAttribute(&d.minor, kComputeCapabilityMinor, device) != 0)
      continue;
    d.name = name;
    out.devices.push_back(d);
  }
  if (out.devices.empty())
    out.why = "the CUDA driver lists " + std::to_string(count) +
              " GPU(s) but answers no query about them";
  return out;
}

} // namespace

const Availability &availability() {
  static const Availability probed = probe(); // C++11: initialised once, thread-safe
  return probed;
}

} // namespace tweedie::cuda
