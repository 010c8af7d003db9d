//===- CudaDriver.cpp -------------------------------------------------------===//
#include "cuda/CudaDriver.h"
#include "cuda/DynamicLibrary.h"

#include <stdexcept>

namespace tweedie::cuda {

namespace {

constexpr int kComputeCapabilityMajor = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kComputeCapabilityMinor = 76; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
constexpr unsigned kBlock = 256;

std::string errorName(const DriverApi &api, CUresult result) {
  const char *name = nullptr;
  if (api.getErrorName && api.getErrorName(result, &name) == 0 && name)
    return name;
  return "CUDA error " + std::to_string(result);
}

/// Every entry point, by the names the driver exports (the _v2 ABI of the
/// 64-bit memory functions).
bool resolveAll(void *library, DriverApi &api) {
  resolve(library, "cuGetErrorName", api.getErrorName);
  return resolve(library, "cuInit", api.init) &&
         resolve(library, "cuDeviceGetCount", api.deviceGetCount) &&
         resolve(library, "cuDeviceGet", api.deviceGet) &&
         resolve(library, "cuDeviceGetName", api.deviceGetName) &&
         resolve(library, "cuDeviceGetAttribute", api.deviceGetAttribute) &&
         resolve(library, "cuDevicePrimaryCtxRetain", api.primaryCtxRetain) &&
         resolve(library, "cuDevicePrimaryCtxRelease_v2", api.primaryCtxRelease) &&
         resolve(library, "cuCtxSetCurrent", api.ctxSetCurrent) &&
         resolve(library, "cuCtxSynchronize", api.ctxSynchronize) &&
         resolve(library, "cuModuleLoadData", api.moduleLoadData) &&
         resolve(library, "cuModuleUnload", api.moduleUnload) &&
         resolve(library, "cuModuleGetFunction", api.moduleGetFunction) &&
         resolve(library, "cuMemAlloc_v2", api.memAlloc) &&
         resolve(library, "cuMemFree_v2", api.memFree) &&
         resolve(library, "cuMemcpyHtoD_v2", api.memcpyHtoD) &&
         resolve(library, "cuMemcpyDtoH_v2", api.memcpyDtoH) &&
         resolve(library, "cuMemcpyDtoD_v2", api.memcpyDtoD) &&
         resolve(library, "cuLaunchKernel", api.launchKernel) &&
         resolve(library, "cuMemcpyDtoDAsync_v2", api.memcpyDtoDAsync) &&
         resolve(library, "cuMemcpy2DAsync_v2", api.memcpy2DAsync) &&
         resolve(library, "cuMemsetD32Async", api.memsetD32Async) &&
         resolve(library, "cuStreamCreate", api.streamCreate) &&
         resolve(library, "cuStreamDestroy_v2", api.streamDestroy) &&
         resolve(library, "cuStreamSynchronize", api.streamSynchronize) &&
         resolve(library, "cuStreamBeginCapture_v2", api.streamBeginCapture) &&
         resolve(library, "cuStreamEndCapture", api.streamEndCapture) &&
         resolve(library, "cuGraphInstantiateWithFlags", api.graphInstantiate) &&
         resolve(library, "cuGraphLaunch", api.graphLaunch) &&
         resolve(library, "cuGraphGetNodes", api.graphGetNodes) &&
         resolve(library, "cuGraphExecDestroy", api.graphExecDestroy) &&
         resolve(library, "cuGraphDestroy", api.graphDestroy);
}

Availability probe() {
  static DriverApi api; // lives as long as the (never unloaded) driver
  Availability out;
  std::string why;
  void *library = openFirst({"libcuda.so.1"}, why);
  if (!library) {
    out.why = "no CUDA driver on this machine (" + why + ")";
    return out;
  }
  if (!resolveAll(library, api)) {
    out.why = "libcuda.so.1 lacks driver API entry points this runtime calls (too old a "
              "driver)";
    return out;
  }
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
    Device d;
    char name[256] = {};
    if (api.deviceGet(&d.handle, i) != 0 ||
        api.deviceGetName(name, sizeof name - 1, d.handle) != 0 ||
        api.deviceGetAttribute(&d.major, kComputeCapabilityMajor, d.handle) != 0 ||
        api.deviceGetAttribute(&d.minor, kComputeCapabilityMinor, d.handle) != 0)
      continue;
    d.name = name;
    out.devices.push_back(d);
  }
  if (out.devices.empty())
    out.why = "the CUDA driver lists " + std::to_string(count) +
              " GPU(s) but answers no query about them";
  else
    out.api = &api;
  return out;
}

} // namespace

const Availability &availability() {
  static const Availability probed = probe(); // initialised once, thread-safe
  return probed;
}

void check(const DriverApi &api, CUresult result, const char *what) {
  if (result != 0)
    throw std::runtime_error(std::string("CUDA: ") + what + " failed: " +
                             errorName(api, result));
}

Context::Context(const Availability &gpus) : api_(gpus.api) {
  if (!api_)
    throw std::runtime_error("device 'cuda' is not available: " + gpus.why);
  device_ = gpus.devices.front();
  check(*api_, api_->primaryCtxRetain(&context_, device_.handle), "cuDevicePrimaryCtxRetain");
  check(*api_, api_->ctxSetCurrent(context_), "cuCtxSetCurrent");
}

Context::~Context() {
  for (CUmodule m : modules_)
    api_->moduleUnload(m);
  api_->primaryCtxRelease(device_.handle);
}

CUdeviceptr Context::allocate(size_t bytes) {
  CUdeviceptr p = 0;
  check(*api_, api_->memAlloc(&p, bytes), "cuMemAlloc");
  return p;
}

void Context::free(CUdeviceptr pointer) { api_->memFree(pointer); }

void Context::upload(CUdeviceptr to, const void *from, size_t bytes) {
  check(*api_, api_->memcpyHtoD(to, from, bytes), "cuMemcpyHtoD");
}

void Context::download(void *to, CUdeviceptr from, size_t bytes) {
  check(*api_, api_->memcpyDtoH(to, from, bytes), "cuMemcpyDtoH");
}

CUmodule Context::load(const std::string &ptx) {
  CUmodule m = nullptr;
  check(*api_, api_->moduleLoadData(&m, ptx.c_str()), "cuModuleLoadData (the PTX)");
  modules_.push_back(m);
  return m;
}

CUfunction Context::function(CUmodule module, const std::string &name) {
  CUfunction f = nullptr;
  check(*api_, api_->moduleGetFunction(&f, module, name.c_str()), "cuModuleGetFunction");
  return f;
}

void Context::copy(CUdeviceptr to, CUdeviceptr from, size_t bytes) {
  check(*api_, api_->memcpyDtoD(to, from, bytes), "cuMemcpyDtoD");
}

void Context::enqueue(CUfunction kernel, int64_t threads, std::vector<void *> params,
                      CUstream stream) {
  const auto blocks = static_cast<unsigned>((threads + kBlock - 1) / kBlock);
  if (blocks > 0)
    check(*api_,
          api_->launchKernel(kernel, blocks, 1, 1, kBlock, 1, 1, 0, stream, params.data(),
                             nullptr),
          "cuLaunchKernel");
}

void Context::copyAsync(CUdeviceptr to, CUdeviceptr from, size_t bytes, CUstream stream) {
  check(*api_, api_->memcpyDtoDAsync(to, from, bytes, stream), "cuMemcpyDtoDAsync");
}

void Context::zeroAsync(CUdeviceptr to, size_t count, CUstream stream) {
  check(*api_, api_->memsetD32Async(to, 0u, count, stream), "cuMemsetD32Async");
}

void Context::copyRowsAsync(CUdeviceptr to, size_t toPitch, CUdeviceptr from,
                            size_t fromPitch, size_t width, size_t rows, CUstream stream) {
  Memcpy2D copy;
  copy.srcMemoryType = copy.dstMemoryType = kMemoryDevice;
  copy.srcDevice = from;
  copy.srcPitch = fromPitch;
  copy.dstDevice = to;
  copy.dstPitch = toPitch;
  copy.WidthInBytes = width;
  copy.Height = rows;
  check(*api_, api_->memcpy2DAsync(&copy, stream), "cuMemcpy2DAsync");
}

CUstream Context::createStream() {
  CUstream stream = nullptr;
  check(*api_, api_->streamCreate(&stream, kStreamNonBlocking), "cuStreamCreate");
  return stream;
}

void Context::destroyStream(CUstream stream) { api_->streamDestroy(stream); }

void Context::synchronize(CUstream stream) {
  check(*api_, api_->streamSynchronize(stream), "cuStreamSynchronize");
}

void Context::beginCapture(CUstream stream) {
  check(*api_, api_->streamBeginCapture(stream, kCaptureThreadLocal), "cuStreamBeginCapture");
}

CUgraph Context::endCapture(CUstream stream) {
  CUgraph graph = nullptr;
  check(*api_, api_->streamEndCapture(stream, &graph), "cuStreamEndCapture");
  return graph;
}

CUgraphExec Context::instantiate(CUgraph graph) {
  CUgraphExec exec = nullptr;
  check(*api_, api_->graphInstantiate(&exec, graph, 0), "cuGraphInstantiate");
  return exec;
}

void Context::launchGraph(CUgraphExec graph, CUstream stream) {
  check(*api_, api_->graphLaunch(graph, stream), "cuGraphLaunch");
}

size_t Context::graphNodeCount(CUgraph graph) {
  size_t count = 0;
  check(*api_, api_->graphGetNodes(graph, nullptr, &count), "cuGraphGetNodes");
  return count;
}

void Context::destroyGraph(CUgraph graph) { api_->graphDestroy(graph); }

void Context::destroyGraphExec(CUgraphExec graph) { api_->graphExecDestroy(graph); }

void Context::launch(CUfunction kernel, int64_t threads, std::vector<void *> params) {
  enqueue(kernel, threads, std::move(params));
  synchronize();
}

void Context::synchronize() { check(*api_, api_->ctxSynchronize(), "cuCtxSynchronize"); }

} // namespace tweedie::cuda
