//===- SamplerProgram.cpp ---------------------------------------------------===//
#include "cuda/SamplerProgram.h"
#include "cuda/OpKernel.h"
#include "tweedie/Error.h"
#include "tweedie/Noise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tweedie::cuda {

namespace {

using module::OpDesc;
using module::OpKind;

/// A captured graph and its executable, destroyed when this goes out of scope.
struct CapturedGraph {
  Context &context;
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  ~CapturedGraph() {
    if (exec)
      context.destroyGraphExec(exec);
    if (graph)
      context.destroyGraph(graph);
  }
};

/// A device allocation freed when this goes out of scope.
struct DeviceBuffer {
  Context &context;
  CUdeviceptr pointer;
  DeviceBuffer(Context &c, size_t bytes) : context(c), pointer(c.allocate(bytes)) {}
  ~DeviceBuffer() { context.free(pointer); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
};

} // namespace

const module::CudaKernelsDesc *ptxForArch(const std::vector<module::CudaKernelsDesc> &kernels,
                                          const std::string &arch) {
  auto number = [](const std::string &a) { return std::stoi(a.substr(3)); };
  const module::CudaKernelsDesc *best = nullptr;
  for (const module::CudaKernelsDesc &k : kernels)
    if (number(k.arch) <= number(arch) && (!best || number(k.arch) > number(best->arch)))
      best = &k;
  return best;
}

SamplerProgram::SamplerProgram(module::ModuleDesc desc, const Availability &gpus,
                               const BlasAvailability &blas, const DnnAvailability &dnn)
    : desc_(std::move(desc)), context_(gpus),
      blas_(blas.api ? *blas.api
                     : throw std::runtime_error("device 'cuda' needs cuBLASLt: " + blas.why)) {
  if (desc_.integrator)
    throw std::invalid_argument("device 'cuda' does not run adaptive integrators yet (rk45, "
                                "likelihood): use device 'cpu'");
  for (const OpDesc &op : desc_.body) {
    if (op.kind == OpKind::Conv2D)
      dnn_ = dnn.api;
    try {
      kernels_.push_back(prepareDeviceKernel({desc_, op, dnn}));
    } catch (const std::invalid_argument &e) {
      throw std::invalid_argument(std::string("device 'cuda' cannot run this module's ") +
                                  e.what() + " ops yet: use device 'cpu'");
    }
  }
  const module::CudaKernelsDesc *ptx = ptxForArch(desc_.cudaKernels, device().arch());
  if (!ptx)
    throw std::invalid_argument(
        "the module has no CUDA kernels for " + device().arch() +
        (desc_.cudaKernels.empty() ? " (compile it with --target cuda)" : " or older"));
  module_ = context_.load(ptx->ptx);
  stream_ = context_.createStream();
  check(blas_, blas_.create(&blasHandle_), "cublasLtCreate");
  if (dnn_) {
    check(*dnn_, dnn_->create(&dnnHandle_), "cudnnCreate");
    check(*dnn_, dnn_->setStream(dnnHandle_, stream_), "cudnnSetStream");
  }
  for (const module::ConstantDesc &c : desc_.constants) {
    const size_t bytes = c.data.size() * sizeof(float);
    constants_.push_back(context_.allocate(std::max<size_t>(bytes, 4)));
    context_.upload(constants_.back(), c.data.data(), bytes);
  }
  launcher_ = std::make_unique<Launcher>(context_, stream_, module_, blas_, blasHandle_, dnn_,
                                         dnnHandle_);
}

SamplerProgram::~SamplerProgram() {
  if (stream_)
    context_.destroyStream(stream_);
  for (CUdeviceptr c : constants_)
    context_.free(c);
  if (blasHandle_)
    blas_.destroy(blasHandle_);
  if (dnnHandle_)
    dnn_->destroy(dnnHandle_);
}

void SamplerProgram::sample(int64_t count, uint64_t seed, int64_t firstSample,
                            const float *noise, float *out) {
  if (count <= 0)
    return;
  if (firstSample < 0 || firstSample + count > (int64_t{1} << 32))
    throw Error(ErrorKind::InvalidArgument,
                "sample indices must lie in [0, 2^32) (the noise stream's range)");
  const int64_t width = desc_.sampleNumel();
  const size_t stateBytes = static_cast<size_t>(count * width) * sizeof(float);
  DeviceBuffer arena(context_, std::max<size_t>(count * desc_.arenaBytesPerSample, 256));
  auto at = [&](int32_t value, int64_t step) {
    return DeviceFrame{desc_, constants_, arena.pointer, count, step}.pointer(value);
  };
  // The kernels' plans for this batch size and the scratch they share (they
  // run one after the other), made before the capture, which allows no
  // allocation.
  size_t scratchBytes = 0;
  for (const std::unique_ptr<DeviceOpKernel> &kernel : kernels_)
    scratchBytes = std::max(scratchBytes, kernel->prepare(count, *launcher_));
  DeviceBuffer scratch(context_, std::max<size_t>(scratchBytes, 256));

  // The prior: the caller's, or the stream's at kPriorStep, as the CPU draws it.
  std::vector<float> prior(static_cast<size_t>(count * width));
  fillPrior(prior.data(), count, width, seed, firstSample, noise, desc_.priorScale);
  const CUdeviceptr state = at(desc_.state, 0);
  context_.upload(state, prior.data(), stateBytes);

  // The whole loop as one CUDA graph: every step's launches recorded with
  // their step's scalars, replayed by one cuGraphLaunch, no host work or
  // synchronisation between steps.
  context_.beginCapture(stream_);
  CapturedGraph graph{context_};
  try {
    for (int32_t extra : desc_.extraStates)
      context_.copyAsync(at(extra, 0), state, stateBytes, stream_);
    for (int64_t step = 0; step < desc_.steps; ++step) {
      const DeviceFrame frame{desc_,  constants_, arena.pointer, count,
                              step,   seed,       firstSample,   scratch.pointer};
      for (size_t i = 0; i < desc_.body.size(); ++i)
        kernels_[i]->run({frame, desc_.body[i], *launcher_});
      if (CUdeviceptr next = at(desc_.nextState, step); next != state)
        context_.copyAsync(state, next, stateBytes, stream_);
      for (size_t k = 0; k < desc_.extraStates.size(); ++k)
        if (CUdeviceptr carried = at(desc_.extraStates[k], step),
            yielded = at(desc_.nextExtraStates[k], step);
            carried != yielded)
          context_.copyAsync(carried, yielded, stateBytes, stream_);
    }
  } catch (...) {
    graph.graph = context_.endCapture(stream_); // leave the stream usable
    throw;
  }
  graph.graph = context_.endCapture(stream_);
  lastGraphNodes_ = context_.graphNodeCount(graph.graph);
  graph.exec = context_.instantiate(graph.graph);
  context_.launchGraph(graph.exec, stream_);
  context_.synchronize(stream_);
  context_.download(out, state, stateBytes);
  for (int64_t e = 0; e < count * width; ++e)
    if (!std::isfinite(out[e]))
      throw Error(ErrorKind::Numeric,
                  "sampling on the GPU produced a non-finite value in sample " +
                      std::to_string(firstSample + e / width) +
                      " (diverging network or weights?)");
}

} // namespace tweedie::cuda
