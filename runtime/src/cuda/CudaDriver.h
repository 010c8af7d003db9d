//===- CudaDriver.h - the CUDA driver API, loaded at run time ------------===//
//
// The runtime never links CUDA: libcuda.so.1 (the driver, installed with
// NVIDIA's kernel module, not with the toolkit) is opened with dlopen on the
// first request for device "cuda", so one runtime binary runs on machines
// with and without a GPU. The few driver types it needs are declared here
// (the driver's ABI: CUresult is an int, handles are pointers, device
// addresses 64-bit integers), so building needs no CUDA headers either.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_CUDADRIVER_H
#define TWEEDIE_RUNTIME_CUDA_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tweedie::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using CUgraphNode = struct CUgraphNode_st *;

/// CUDA_MEMCPY2D (cuda.h): a copy of Height rows of WidthInBytes bytes.
struct Memcpy2D {
  size_t srcXInBytes = 0, srcY = 0;
  int srcMemoryType = 0;
  const void *srcHost = nullptr;
  CUdeviceptr srcDevice = 0;
  void *srcArray = nullptr;
  size_t srcPitch = 0;
  size_t dstXInBytes = 0, dstY = 0;
  int dstMemoryType = 0;
  void *dstHost = nullptr;
  CUdeviceptr dstDevice = 0;
  void *dstArray = nullptr;
  size_t dstPitch = 0;
  size_t WidthInBytes = 0, Height = 0;
};
inline constexpr int kMemoryDevice = 2; // CU_MEMORYTYPE_DEVICE

/// The driver entry points the backend calls (null until loaded).
struct DriverApi {
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*deviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int *, int, CUdevice) = nullptr;
  CUresult (*getErrorName)(CUresult, const char **) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext) = nullptr;
  CUresult (*ctxSynchronize)() = nullptr;
  CUresult (*moduleLoadData)(CUmodule *, const void *) = nullptr;
  CUresult (*moduleUnload)(CUmodule) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr *, size_t) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t) = nullptr;
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t) = nullptr;
  CUresult (*memcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t) = nullptr;
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, CUstream, void **, void **) = nullptr;
  CUresult (*memcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*memcpy2DAsync)(const Memcpy2D *, CUstream) = nullptr;
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned value, size_t count, CUstream) = nullptr;
  CUresult (*streamCreate)(CUstream *, unsigned flags) = nullptr;
  CUresult (*streamDestroy)(CUstream) = nullptr;
  CUresult (*streamSynchronize)(CUstream) = nullptr;
  CUresult (*streamBeginCapture)(CUstream, int mode) = nullptr;
  CUresult (*streamEndCapture)(CUstream, CUgraph *) = nullptr;
  CUresult (*graphInstantiate)(CUgraphExec *, CUgraph, unsigned long long flags) = nullptr;
  CUresult (*graphLaunch)(CUgraphExec, CUstream) = nullptr;
  CUresult (*graphGetNodes)(CUgraph, CUgraphNode *, size_t *) = nullptr;
  CUresult (*graphExecDestroy)(CUgraphExec) = nullptr;
  CUresult (*graphDestroy)(CUgraph) = nullptr;
};

/// CU_STREAM_NON_BLOCKING and CU_STREAM_CAPTURE_MODE_THREAD_LOCAL (cuda.h).
inline constexpr unsigned kStreamNonBlocking = 1;
inline constexpr int kCaptureThreadLocal = 1;

/// One GPU as the driver reports it.
struct Device {
  CUdevice handle = 0;
  std::string name;
  int major = 0, minor = 0; // compute capability: sm_<major><minor>
  std::string arch() const { return "sm_" + std::to_string(major) + std::to_string(minor); }
};

/// What this machine offers device "cuda": the driver and its GPUs, or why
/// none.
struct Availability {
  const DriverApi *api = nullptr; // set when the driver loaded and initialised
  std::vector<Device> devices;
  /// Empty when devices were found; otherwise what is missing, in words
  /// ("no CUDA driver on this machine (libcuda.so.1: ...)").
  std::string why;
};

/// Loads the driver and lists its GPUs, once per process (thread-safe).
const Availability &availability();

/// Throws std::runtime_error naming `what` and `api`'s name of the error
/// when `result` is not success.
void check(const DriverApi &api, CUresult result, const char *what);

/// Device 0's primary context, current on the calling thread while this
/// lives; device buffers and a PTX module loaded in it.
class Context {
public:
  /// On this machine's driver (availability()), or on `gpus` (the tests'
  /// emulated driver). Throws std::runtime_error when no GPU is available
  /// (Availability::why).
  Context() : Context(availability()) {}
  explicit Context(const Availability &gpus);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  const Device &device() const { return device_; }
  const DriverApi &api() const { return *api_; }

  CUdeviceptr allocate(size_t bytes);
  void free(CUdeviceptr pointer);
  void upload(CUdeviceptr to, const void *from, size_t bytes);
  void download(void *to, CUdeviceptr from, size_t bytes);
  void copy(CUdeviceptr to, CUdeviceptr from, size_t bytes);
  /// Loads PTX text (JIT-compiled by the driver for this GPU).
  CUmodule load(const std::string &ptx);
  CUfunction function(CUmodule module, const std::string &name);
  /// A 1-D launch of `threads` threads in blocks of 256, then waits.
  void launch(CUfunction kernel, int64_t threads, std::vector<void *> params);
  /// The same launch, queued on `stream` (null: the default stream) behind
  /// its previous work, without waiting.
  void enqueue(CUfunction kernel, int64_t threads, std::vector<void *> params,
               CUstream stream = nullptr);
  void copyAsync(CUdeviceptr to, CUdeviceptr from, size_t bytes, CUstream stream);
  /// `count` floats of zero from `to`, queued on `stream`.
  void zeroAsync(CUdeviceptr to, size_t count, CUstream stream);
  /// `rows` rows of `width` bytes, `from` and `to` advancing by their pitches.
  void copyRowsAsync(CUdeviceptr to, size_t toPitch, CUdeviceptr from, size_t fromPitch,
                     size_t width, size_t rows, CUstream stream);
  /// Waits for all queued work.
  void synchronize();

  CUstream createStream();
  void destroyStream(CUstream stream);
  void synchronize(CUstream stream);
  /// Records what is queued on `stream` between the two calls as a graph
  /// instead of running it.
  void beginCapture(CUstream stream);
  CUgraph endCapture(CUstream stream);
  CUgraphExec instantiate(CUgraph graph);
  void launchGraph(CUgraphExec graph, CUstream stream);
  size_t graphNodeCount(CUgraph graph);
  void destroyGraph(CUgraph graph);
  void destroyGraphExec(CUgraphExec graph);

private:
  const DriverApi *api_;
  Device device_;
  CUcontext context_ = nullptr;
  std::vector<CUmodule> modules_;
};

/// A device allocation freed when this goes out of scope.
struct DeviceBuffer {
  Context &context;
  CUdeviceptr pointer;
  size_t bytes;
  DeviceBuffer(Context &c, size_t size) : context(c), pointer(c.allocate(size)), bytes(size) {}
  ~DeviceBuffer() { context.free(pointer); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
};

/// A captured graph and its executable, destroyed when this goes out of scope.
struct CapturedGraph {
  Context &context;
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  explicit CapturedGraph(Context &c) : context(c) {}
  ~CapturedGraph() {
    if (exec)
      context.destroyGraphExec(exec);
    if (graph)
      context.destroyGraph(graph);
  }
  CapturedGraph(const CapturedGraph &) = delete;
  CapturedGraph &operator=(const CapturedGraph &) = delete;
};

} // namespace tweedie::cuda

#endif
