//===- SamplerProgram.cpp ---------------------------------------------------===//
#include "cuda/SamplerProgram.h"
#include "cuda/Integrator.h"
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

const module::ModuleDesc &SamplerProgram::checked(const module::ModuleDesc &desc) {
  if (desc.training)
    throw std::invalid_argument("a training step is not a sampler (cuda::BatchProgram runs it)");
  return desc;
}

SamplerProgram::SamplerProgram(module::ModuleDesc desc, const Availability &gpus,
                               const BlasAvailability &blas, const DnnAvailability &dnn)
    : desc_(std::move(desc)), resources_(checked(desc_), gpus, blas, dnn) {}

SamplerProgram::~SamplerProgram() = default;

bool SamplerProgram::sample(int64_t count, uint64_t seed, int64_t firstSample,
                            const float *noise, float *out,
                            const std::function<bool(double fraction)> &progress) {
  if (count <= 0)
    return true;
  if (firstSample < 0 || firstSample + count > (int64_t{1} << 32))
    throw Error(ErrorKind::InvalidArgument,
                "sample indices must lie in [0, 2^32) (the noise stream's range)");
  const int64_t width = desc_.sampleNumel();
  const size_t stateBytes = static_cast<size_t>(count * width) * sizeof(float);
  Context &context = resources_.context;
  const CUdeviceptr arena =
      reserve(arena_, std::max<size_t>(count * desc_.arenaBytesPerSample, 256));
  // The kernels' plans for this batch size and the scratch they share (they
  // run one after the other), made before the capture, which allows no
  // allocation.
  const CUdeviceptr scratch = reserve(scratch_, std::max<size_t>(resources_.prepare(count), 256));
  const DeviceFrame frame{desc_, resources_.constants, arena, count, 0, seed, firstSample,
                          scratch};

  // The prior: the caller's, or the stream's at kPriorStep, as the CPU draws it.
  std::vector<float> prior(static_cast<size_t>(count * width));
  fillPrior(prior.data(), count, width, seed, firstSample, noise, desc_.priorScale);
  const CUdeviceptr state = frame.pointer(desc_.state);
  context.upload(state, prior.data(), stateBytes);
  if (desc_.integrator) {
    if (!integrateOnDevice(resources_, desc_, frame, progress))
      return false;
  } else {
    runLoop(frame);
  }
  context.download(out, state, stateBytes);
  for (int64_t e = 0; e < count * width; ++e)
    if (!std::isfinite(out[e]))
      throw Error(ErrorKind::Numeric,
                  "sampling on the GPU produced a non-finite value in sample " +
                      std::to_string(firstSample + e / width) +
                      " (diverging network or weights?)");
  return true;
}

CUdeviceptr SamplerProgram::reserve(std::unique_ptr<DeviceBuffer> &buffer, size_t bytes) {
  if (!buffer || buffer->bytes < bytes) {
    buffer.reset(); // the old one first: the device may hold only one
    buffer = std::make_unique<DeviceBuffer>(resources_.context, bytes);
  }
  return buffer->pointer;
}

void SamplerProgram::runLoop(const DeviceFrame &frame) {
  Context &context = resources_.context;
  const CUstream stream = resources_.stream;
  const size_t stateBytes =
      static_cast<size_t>(frame.rows * desc_.sampleNumel()) * sizeof(float);
  auto at = [&](int32_t value, int64_t step) {
    DeviceFrame f = frame;
    f.step = step;
    return f.pointer(value);
  };
  const CUdeviceptr state = at(desc_.state, 0);
  // The whole loop as one CUDA graph: every step's launches recorded with
  // their step's scalars, replayed by one cuGraphLaunch, no host work or
  // synchronisation between steps.
  context.beginCapture(stream);
  CapturedGraph graph{context};
  try {
    for (int32_t extra : desc_.extraStates)
      context.copyAsync(at(extra, 0), state, stateBytes, stream);
    for (int64_t step = 0; step < desc_.steps; ++step) {
      DeviceFrame stepFrame = frame;
      stepFrame.step = step;
      resources_.queueBody(stepFrame);
      if (CUdeviceptr next = at(desc_.nextState, step); next != state)
        context.copyAsync(state, next, stateBytes, stream);
      for (size_t k = 0; k < desc_.extraStates.size(); ++k)
        if (CUdeviceptr carried = at(desc_.extraStates[k], step),
            yielded = at(desc_.nextExtraStates[k], step);
            carried != yielded)
          context.copyAsync(carried, yielded, stateBytes, stream);
    }
  } catch (...) {
    graph.graph = context.endCapture(stream); // leave the stream usable
    throw;
  }
  graph.graph = context.endCapture(stream);
  lastGraphNodes_ = context.graphNodeCount(graph.graph);
  graph.exec = context.instantiate(graph.graph);
  context.launchGraph(graph.exec, stream);
  context.synchronize(stream);
}

} // namespace tweedie::cuda
