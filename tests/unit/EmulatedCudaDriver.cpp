//===- EmulatedCudaDriver.cpp - a CUDA driver that runs kernels on the host ===//
#include "EmulatedCudaDriver.h"
#include "CompiledModuleSupport.h"
#include "EmulatedCublasLt.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace tweedie::testing {

namespace {

using namespace tweedie::cuda;

// The driver's codes for what the emulator reports (cuda.h's CUresult).
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kInvalidImage = 200,
                   kNotFound = 500;
constexpr int kEmulatedMajor = 9, kEmulatedMinor = 0;
using HostKernel = void (*)(void **params, int64_t begin, int64_t end);

struct Emulator {
  void *library = nullptr;
  std::string ptx; // the last module loaded, whose kernels may be asked for
  std::map<CUdeviceptr, size_t> allocations;
  int64_t launches = 0;
};
Emulator *current = nullptr;
std::mutex currentMutex;

CUresult getErrorName(CUresult r, const char **name) {
  static const std::map<CUresult, const char *> names = {
      {kSuccess, "CUDA_SUCCESS"},
      {kInvalidValue, "CUDA_ERROR_INVALID_VALUE"},
      {kOutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY"},
      {kInvalidImage, "CUDA_ERROR_INVALID_IMAGE"},
      {kNotFound, "CUDA_ERROR_NOT_FOUND"}};
  auto it = names.find(r);
  if (it == names.end())
    return kInvalidValue;
  *name = it->second;
  return kSuccess;
}

CUresult deviceGetName(char *name, int length, CUdevice) {
  std::strncpy(name, "Tweedie host emulation", static_cast<size_t>(length));
  return kSuccess;
}

CUresult deviceGetAttribute(int *value, int attribute, CUdevice) {
  *value = attribute == 75 ? kEmulatedMajor : attribute == 76 ? kEmulatedMinor : 0;
  return kSuccess;
}

CUresult primaryCtxRetain(CUcontext *context, CUdevice) {
  *context = reinterpret_cast<CUcontext>(current);
  return kSuccess;
}

/// A module is PTX for some architecture; its kernels are the host library's.
CUresult moduleLoadData(CUmodule *module, const void *image) {
  const char *ptx = static_cast<const char *>(image);
  if (!ptx || !std::strstr(ptx, ".target sm_") || !std::strstr(ptx, ".entry "))
    return kInvalidImage;
  current->ptx = ptx;
  *module = reinterpret_cast<CUmodule>(current);
  return kSuccess;
}

CUresult moduleGetFunction(CUfunction *function, CUmodule, const char *name) {
  if (current->ptx.find(".entry " + std::string(name) + "(") == std::string::npos)
    return kNotFound; // not in the PTX the GPU would have
  void *host = dlsym(current->library, ("tweedie_host_" + std::string(name)).c_str());
  if (!host)
    return kNotFound;
  *function = reinterpret_cast<CUfunction>(host);
  return kSuccess;
}

CUresult memAlloc(CUdeviceptr *pointer, size_t bytes) {
  void *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256); // cuMemAlloc's alignment
  if (!p)
    return kOutOfMemory;
  *pointer = reinterpret_cast<CUdeviceptr>(p);
  current->allocations[*pointer] = bytes;
  return kSuccess;
}

CUresult memFree(CUdeviceptr pointer) {
  if (current->allocations.erase(pointer) == 0)
    return kInvalidValue;
  std::free(reinterpret_cast<void *>(pointer));
  return kSuccess;
}

/// Whether [pointer, pointer + bytes) lies inside one allocation.
bool allocated(CUdeviceptr pointer, size_t bytes) {
  auto it = current->allocations.upper_bound(pointer);
  if (it == current->allocations.begin())
    return false;
  --it;
  return pointer + bytes <= it->first + it->second;
}

CUresult memcpyHtoD(CUdeviceptr to, const void *from, size_t bytes) {
  if (!allocated(to, bytes))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(to), from, bytes);
  return kSuccess;
}

CUresult memcpyDtoH(void *to, CUdeviceptr from, size_t bytes) {
  if (!allocated(from, bytes))
    return kInvalidValue;
  std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
  return kSuccess;
}

CUresult memcpyDtoD(CUdeviceptr to, CUdeviceptr from, size_t bytes) {
  if (!allocated(to, bytes) || !allocated(from, bytes))
    return kInvalidValue;
  std::memmove(reinterpret_cast<void *>(to), reinterpret_cast<const void *>(from), bytes);
  return kSuccess;
}

/// Every thread of a 1-D grid, one after the other.
CUresult launchKernel(CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
                      unsigned blockX, unsigned blockY, unsigned blockZ, unsigned, CUstream,
                      void **params, void **extra) {
  if (gridY != 1 || gridZ != 1 || blockY != 1 || blockZ != 1 || extra || !params)
    return kInvalidValue; // the backend launches 1-D grids with a parameter array
  reinterpret_cast<HostKernel>(function)(params, 0, int64_t{gridX} * blockX);
  ++current->launches;
  return kSuccess;
}

CUresult none() { return kSuccess; }

} // namespace

EmulatedCudaDriver::EmulatedCudaDriver(const std::vector<std::byte> &hostKernels) {
  std::lock_guard lock(currentMutex);
  if (current)
    throw std::runtime_error("one emulated CUDA driver at a time");
  static int serial = 0;
  const std::string path = writeTemp(
      "emulated-cuda-" + std::to_string(getpid()) + "-" + std::to_string(serial++) + ".so",
      std::string(reinterpret_cast<const char *>(hostKernels.data()), hostKernels.size()));
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    throw std::runtime_error(std::string("the host-emulated kernels: ") + dlerror());
  current = new Emulator{library};
  api_.init = [](unsigned) { return none(); };
  api_.deviceGetCount = [](int *count) {
    *count = 1;
    return kSuccess;
  };
  api_.deviceGet = [](CUdevice *device, int) {
    *device = 0;
    return kSuccess;
  };
  api_.deviceGetName = deviceGetName;
  api_.deviceGetAttribute = deviceGetAttribute;
  api_.getErrorName = getErrorName;
  api_.primaryCtxRetain = primaryCtxRetain;
  api_.primaryCtxRelease = [](CUdevice) { return none(); };
  api_.ctxSetCurrent = [](CUcontext) { return none(); };
  api_.ctxSynchronize = none;
  api_.moduleLoadData = moduleLoadData;
  api_.moduleUnload = [](CUmodule) { return none(); };
  api_.moduleGetFunction = moduleGetFunction;
  api_.memAlloc = memAlloc;
  api_.memFree = memFree;
  api_.memcpyHtoD = memcpyHtoD;
  api_.memcpyDtoH = memcpyDtoH;
  api_.memcpyDtoD = memcpyDtoD;
  api_.launchKernel = launchKernel;
  availability_.api = &api_;
  availability_.devices = {{0, "Tweedie host emulation", kEmulatedMajor, kEmulatedMinor}};
}

EmulatedCudaDriver::~EmulatedCudaDriver() {
  std::lock_guard lock(currentMutex);
  for (auto [pointer, bytes] : current->allocations)
    std::free(reinterpret_cast<void *>(pointer));
  dlclose(current->library);
  delete current;
  current = nullptr;
}

int64_t EmulatedCudaDriver::launches() const { return current->launches; }

int64_t EmulatedCudaDriver::liveBytes() const {
  int64_t bytes = 0;
  for (auto [pointer, size] : current->allocations)
    bytes += static_cast<int64_t>(size);
  return bytes;
}

GpuOrEmulation::GpuOrEmulation(const std::vector<std::byte> &hostKernels) {
  if (!cuda::availability().api)
    emulator_ = std::make_unique<EmulatedCudaDriver>(hostKernels);
}

const cuda::Availability &GpuOrEmulation::availability() const {
  return emulator_ ? emulator_->availability() : cuda::availability();
}

const cuda::BlasAvailability &GpuOrEmulation::blas() const {
  return emulator_ ? emulatedCublasLt() : cuda::blasAvailability();
}

} // namespace tweedie::testing
