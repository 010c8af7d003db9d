//===- EmulatedCudaDriver.cpp - a CUDA driver that runs kernels on the host ===//
#include "EmulatedCudaDriver.h"
#include "CompiledModuleSupport.h"
#include "EmulatedCublasLt.h"
#include "EmulatedCudnn.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace tweedie::testing {

namespace {

using namespace tweedie::cuda;

// The driver's codes for what the emulator reports (cuda.h's CUresult).
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kInvalidImage = 200,
                   kNotFound = 500, kCaptureUnsupported = 900, kCaptureInvalidated = 901;
constexpr int kEmulatedMajor = 9, kEmulatedMinor = 0;
using HostKernel = void (*)(void **params, int64_t begin, int64_t end);
using Work = std::function<void()>;

/// A kernel of the loaded PTX: its host form and its parameters' sizes, as
/// the PTX declares them (the driver copies that many bytes per parameter
/// when a launch is queued).
struct Kernel {
  HostKernel host;
  std::vector<size_t> paramSizes;
};

/// A stream: work runs at once, or while capturing is recorded.
struct Stream {
  bool capturing = false;
  std::vector<Work> recorded;
};
struct Graph {
  std::vector<Work> nodes;
};

struct Emulator {
  void *library = nullptr;
  std::string ptx; // the last module loaded, whose kernels may be asked for
  std::map<std::string, Kernel> kernels;
  std::map<CUdeviceptr, size_t> allocations;
  int captures = 0; // streams capturing now
  EmulatorCounts counts;
};
Emulator *current = nullptr;
std::mutex currentMutex;

/// The sizes of `name`'s parameters in `ptx` (.param .u64 -> 8, .f32 -> 4, ...).
std::vector<size_t> paramSizes(const std::string &ptx, const std::string &name) {
  std::vector<size_t> sizes;
  const size_t start = ptx.find(".entry " + name + "(");
  const size_t end = ptx.find(')', start);
  const std::string params = ptx.substr(start, end - start);
  for (size_t at = params.find(".param ."); at != std::string::npos;
       at = params.find(".param .", at + 1)) {
    const std::string type = params.substr(at + 8, params.find_first_of(" \t", at + 8) - at - 8);
    sizes.push_back(static_cast<size_t>(std::stoi(type.substr(1))) / 8);
  }
  return sizes;
}

/// Runs `work` on `stream` (null: the default stream): now, or recorded
/// into the stream's capture.
CUresult enqueue(CUstream stream, Work work) {
  if (!stream) {
    if (current->captures > 0)
      return kCaptureUnsupported; // the legacy stream would join the capture
    work();
    return kSuccess;
  }
  auto *s = reinterpret_cast<Stream *>(stream);
  if (s->capturing)
    s->recorded.push_back(std::move(work));
  else
    work();
  return kSuccess;
}

/// What a synchronous call (allocation, blocking copy, context sync) returns
/// while a capture is open: the driver refuses them in thread-local mode.
bool capturing() { return current->captures > 0; }

CUresult getErrorName(CUresult r, const char **name) {
  static const std::map<CUresult, const char *> names = {
      {kSuccess, "CUDA_SUCCESS"},
      {kInvalidValue, "CUDA_ERROR_INVALID_VALUE"},
      {kOutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY"},
      {kInvalidImage, "CUDA_ERROR_INVALID_IMAGE"},
      {kNotFound, "CUDA_ERROR_NOT_FOUND"},
      {kCaptureUnsupported, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
      {kCaptureInvalidated, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"}};
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
  Kernel &k = current->kernels[name];
  k = {reinterpret_cast<HostKernel>(host), paramSizes(current->ptx, name)};
  *function = reinterpret_cast<CUfunction>(&k);
  return kSuccess;
}

CUresult memAlloc(CUdeviceptr *pointer, size_t bytes) {
  if (capturing())
    return kCaptureUnsupported;
  void *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256); // cuMemAlloc's alignment
  if (!p)
    return kOutOfMemory;
  *pointer = reinterpret_cast<CUdeviceptr>(p);
  current->allocations[*pointer] = bytes;
  return kSuccess;
}

CUresult memFree(CUdeviceptr pointer) {
  if (capturing())
    return kCaptureUnsupported;
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
  if (capturing())
    return kCaptureUnsupported;
  if (!allocated(to, bytes))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(to), from, bytes);
  return kSuccess;
}

CUresult memcpyDtoH(void *to, CUdeviceptr from, size_t bytes) {
  if (capturing())
    return kCaptureUnsupported;
  if (!allocated(from, bytes))
    return kInvalidValue;
  std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
  return kSuccess;
}

CUresult memcpyDtoDAsync(CUdeviceptr to, CUdeviceptr from, size_t bytes, CUstream stream) {
  if (!allocated(to, bytes) || !allocated(from, bytes))
    return kInvalidValue;
  return enqueue(stream, [=] {
    std::memmove(reinterpret_cast<void *>(to), reinterpret_cast<const void *>(from), bytes);
    ++current->counts.copies;
  });
}

CUresult memcpy2DAsync(const Memcpy2D *copy, CUstream stream) {
  const Memcpy2D c = *copy;
  if (c.srcMemoryType != kMemoryDevice || c.dstMemoryType != kMemoryDevice || c.srcXInBytes ||
      c.srcY || c.dstXInBytes || c.dstY || c.srcPitch < c.WidthInBytes ||
      c.dstPitch < c.WidthInBytes)
    return kInvalidValue; // the form the backend uses
  if (c.Height > 0 && (!allocated(c.srcDevice, (c.Height - 1) * c.srcPitch + c.WidthInBytes) ||
                       !allocated(c.dstDevice, (c.Height - 1) * c.dstPitch + c.WidthInBytes)))
    return kInvalidValue;
  return enqueue(stream, [c] {
    for (size_t r = 0; r < c.Height; ++r)
      std::memmove(reinterpret_cast<void *>(c.dstDevice + r * c.dstPitch),
                   reinterpret_cast<const void *>(c.srcDevice + r * c.srcPitch), c.WidthInBytes);
    ++current->counts.copies;
  });
}

CUresult memsetD32Async(CUdeviceptr to, unsigned value, size_t count, CUstream stream) {
  if (!allocated(to, count * 4))
    return kInvalidValue;
  return enqueue(stream, [=] {
    std::fill_n(reinterpret_cast<uint32_t *>(to), count, value);
    ++current->counts.copies;
  });
}

CUresult memcpyDtoD(CUdeviceptr to, CUdeviceptr from, size_t bytes) {
  return capturing() ? kCaptureUnsupported : memcpyDtoDAsync(to, from, bytes, nullptr);
}

/// Every thread of a 1-D grid, one after the other, when the stream gets to
/// it; the parameters are copied now, as the driver copies them.
CUresult launchKernel(CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
                      unsigned blockX, unsigned blockY, unsigned blockZ, unsigned,
                      CUstream stream, void **params, void **extra) {
  if (gridY != 1 || gridZ != 1 || blockY != 1 || blockZ != 1 || extra || !params)
    return kInvalidValue; // the backend launches 1-D grids with a parameter array
  const Kernel &kernel = *reinterpret_cast<const Kernel *>(function);
  auto values = std::make_shared<std::vector<std::vector<std::byte>>>();
  for (size_t k = 0; k < kernel.paramSizes.size(); ++k) {
    const auto *bytes = static_cast<const std::byte *>(params[k]);
    values->emplace_back(bytes, bytes + kernel.paramSizes[k]);
  }
  const int64_t threads = int64_t{gridX} * blockX;
  return enqueue(stream, [values, host = kernel.host, threads] {
    std::vector<void *> pointers;
    for (std::vector<std::byte> &v : *values)
      pointers.push_back(v.data());
    host(pointers.data(), 0, threads);
    ++current->counts.kernels;
  });
}

CUresult streamCreate(CUstream *stream, unsigned) {
  *stream = reinterpret_cast<CUstream>(new Stream);
  return kSuccess;
}

CUresult streamDestroy(CUstream stream) {
  delete reinterpret_cast<Stream *>(stream);
  return kSuccess;
}

CUresult streamBeginCapture(CUstream stream, int) {
  auto *s = reinterpret_cast<Stream *>(stream);
  if (!s || s->capturing)
    return kInvalidValue;
  s->capturing = true;
  s->recorded.clear();
  ++current->captures;
  return kSuccess;
}

CUresult streamEndCapture(CUstream stream, CUgraph *graph) {
  auto *s = reinterpret_cast<Stream *>(stream);
  if (!s || !s->capturing)
    return kInvalidValue;
  s->capturing = false;
  --current->captures;
  *graph = reinterpret_cast<CUgraph>(new Graph{std::move(s->recorded)});
  return kSuccess;
}

CUresult graphInstantiate(CUgraphExec *exec, CUgraph graph, unsigned long long) {
  *exec = reinterpret_cast<CUgraphExec>(new Graph(*reinterpret_cast<Graph *>(graph)));
  return kSuccess;
}

CUresult graphLaunch(CUgraphExec exec, CUstream stream) {
  auto *g = reinterpret_cast<Graph *>(exec);
  return enqueue(stream, [g] {
    ++current->counts.graphLaunches;
    for (Work &node : g->nodes)
      node();
  });
}

CUresult graphGetNodes(CUgraph graph, CUgraphNode *nodes, size_t *count) {
  if (nodes)
    return kInvalidValue; // counting only
  *count = reinterpret_cast<Graph *>(graph)->nodes.size();
  return kSuccess;
}

CUresult graphDestroy(CUgraph graph) {
  delete reinterpret_cast<Graph *>(graph);
  return kSuccess;
}

CUresult graphExecDestroy(CUgraphExec exec) {
  delete reinterpret_cast<Graph *>(exec);
  return kSuccess;
}

CUresult synchronizeAll() { return capturing() ? kCaptureUnsupported : kSuccess; }

} // namespace

CUresult emulatedEnqueue(CUstream stream, std::function<void()> work) {
  return enqueue(stream, std::move(work));
}

void countEmulatedMatmul() { ++current->counts.matmuls; }

namespace {

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
  api_.ctxSynchronize = synchronizeAll;
  api_.moduleLoadData = moduleLoadData;
  api_.moduleUnload = [](CUmodule) { return none(); };
  api_.moduleGetFunction = moduleGetFunction;
  api_.memAlloc = memAlloc;
  api_.memFree = memFree;
  api_.memcpyHtoD = memcpyHtoD;
  api_.memcpyDtoH = memcpyDtoH;
  api_.memcpyDtoD = memcpyDtoD;
  api_.launchKernel = launchKernel;
  api_.memcpyDtoDAsync = memcpyDtoDAsync;
  api_.memcpy2DAsync = memcpy2DAsync;
  api_.memsetD32Async = memsetD32Async;
  api_.streamCreate = streamCreate;
  api_.streamDestroy = streamDestroy;
  api_.streamSynchronize = [](CUstream stream) {
    return reinterpret_cast<Stream *>(stream)->capturing ? kCaptureUnsupported : kSuccess;
  };
  api_.streamBeginCapture = streamBeginCapture;
  api_.streamEndCapture = streamEndCapture;
  api_.graphInstantiate = graphInstantiate;
  api_.graphLaunch = graphLaunch;
  api_.graphGetNodes = graphGetNodes;
  api_.graphDestroy = graphDestroy;
  api_.graphExecDestroy = graphExecDestroy;
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

EmulatorCounts EmulatedCudaDriver::counts() const { return current->counts; }

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

const cuda::DnnAvailability &GpuOrEmulation::dnn() const {
  return emulator_ ? emulatedCudnn() : cuda::dnnAvailability();
}

} // namespace tweedie::testing
