//===- SamplerProgram.cpp ---------------------------------------------------===//
#include "cuda/SamplerProgram.h"
#include "tweedie/Error.h"
#include "tweedie/Noise.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace tweedie::cuda {

namespace {

using module::LayerKernel;
using module::OpDesc;
using module::OpKind;
using module::ValueKind;

int64_t product(const std::vector<int64_t> &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

bool present(const OpDesc &op, size_t i) {
  return i < op.operands.size() && op.operands[i] >= 0;
}

/// Why this backend cannot run `op` yet, or empty.
std::string unsupported(const OpDesc &op) {
  switch (op.kind) {
  case OpKind::Dense:
  case OpKind::Act:
  case OpKind::Randn:
  case OpKind::RandUniform:
  case OpKind::Copy:
    return "";
  case OpKind::AffineStep:
    return op.kernel.empty() ? "affine_step without its generated kernel (compiled with "
                               "--kernels builtin)"
                             : "";
  default:
    return std::string(module::opKindName(op.kind));
  }
}

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
                               const BlasAvailability &blas)
    : desc_(std::move(desc)), context_(gpus),
      blas_(blas.api ? *blas.api
                     : throw std::runtime_error("device 'cuda' needs cuBLASLt: " + blas.why)) {
  if (desc_.integrator)
    throw std::invalid_argument("device 'cuda' does not run adaptive integrators yet (rk45, "
                                "likelihood): use device 'cpu'");
  for (const OpDesc &op : desc_.body)
    if (std::string why = unsupported(op); !why.empty())
      throw std::invalid_argument("device 'cuda' cannot run this module's " + why +
                                  " ops yet: use device 'cpu'");
  const module::CudaKernelsDesc *ptx = ptxForArch(desc_.cudaKernels, device().arch());
  if (!ptx)
    throw std::invalid_argument(
        "the module has no CUDA kernels for " + device().arch() +
        (desc_.cudaKernels.empty() ? " (compile it with --target cuda)" : " or older"));
  module_ = context_.load(ptx->ptx);
  stream_ = context_.createStream();
  check(blas_, blas_.create(&blasHandle_), "cublasLtCreate");
  for (const module::ConstantDesc &c : desc_.constants) {
    const size_t bytes = c.data.size() * sizeof(float);
    constants_.push_back(context_.allocate(std::max<size_t>(bytes, 4)));
    context_.upload(constants_.back(), c.data.data(), bytes);
  }
}

SamplerProgram::~SamplerProgram() {
  if (stream_)
    context_.destroyStream(stream_);
  for (CUdeviceptr c : constants_)
    context_.free(c);
  if (blasHandle_)
    blas_.destroy(blasHandle_);
}

CUfunction SamplerProgram::kernel(const std::string &name) {
  auto [it, added] = kernels_.try_emplace(name, nullptr);
  if (added)
    it->second = context_.function(module_, name);
  return it->second;
}

CUdeviceptr SamplerProgram::pointer(int32_t index, CUdeviceptr arena, int64_t rows,
                                    int64_t step) const {
  if (index < 0)
    return 0;
  const module::ValueDesc &v = desc_.values[index];
  switch (v.kind) {
  case ValueKind::Arena: // value-major: a value's rows lie together
    return arena + static_cast<CUdeviceptr>(rows * v.offset);
  case ValueKind::Constant:
    return constants_[v.offset];
  case ValueKind::TableRow:
    return constants_[v.offset] + static_cast<CUdeviceptr>(step * v.numel() * 4);
  case ValueKind::Whole:
    break;
  }
  throw std::invalid_argument("device 'cuda' does not run training values yet");
}

void SamplerProgram::runOp(const OpDesc &op, CUdeviceptr arena, int64_t rows, int64_t step,
                           uint64_t seed, int64_t firstSample) {
  auto at = [&](int32_t value) { return pointer(value, arena, rows, step); };
  CUdeviceptr out = at(op.result);
  int64_t n = rows * desc_.values[op.result].numel();
  switch (op.kind) {
  case OpKind::Dense: {
    // [x, w [in, out], bias?, residual?]: act(x w + bias) + residual, the
    // matmul cuBLASLt's, the rest one layer kernel.
    const std::vector<int64_t> &w = desc_.values[op.operands[1]].shape;
    const int64_t in = w[0], features = w[1];
    Gemm(blas_, blasHandle_, n / features, in, features).run(at(op.operands[0]),
                                                             at(op.operands[1]), out, stream_);
    const bool bias = present(op, 2), residual = present(op, 3);
    if (!bias && !residual && op.act == module::Activation::None)
      return;
    CUdeviceptr b = bias ? at(op.operands[2]) : 0, r = residual ? at(op.operands[3]) : 0;
    int64_t channels = features, inner = 1;
    std::vector<void *> params = {&out, &out};
    if (bias)
      params.push_back(&b);
    if (residual)
      params.push_back(&r);
    params.insert(params.end(), {&n, &channels, &inner});
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::Epilogue, op.act, bias, residual}
                                .name()),
                     n, params, stream_);
    return;
  }
  case OpKind::Act: {
    CUdeviceptr x = at(op.operands[0]);
    int64_t one = 1;
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::Epilogue, op.act}.name()), n,
                     {&out, &x, &n, &one, &one}, stream_);
    return;
  }
  case OpKind::Randn: {
    const auto r = module::RandnAttrs::read(op);
    int64_t width = n / rows, first = firstSample;
    auto stepIndex = static_cast<uint32_t>(step), draw = static_cast<uint32_t>(r.draw);
    context_.enqueue(kernel(r.rademacher ? module::kSignsKernel : module::kNoiseKernel), n,
                     {&out, &n, &seed, &first, &stepIndex, &draw, &width}, stream_);
    return;
  }
  case OpKind::RandUniform: {
    int64_t first = firstSample;
    auto stepIndex = static_cast<uint32_t>(step);
    auto draw = static_cast<uint32_t>(module::IntAttr::read(op).value);
    context_.enqueue(kernel(module::kUniformKernel), n,
                     {&out, &n, &seed, &first, &stepIndex, &draw}, stream_);
    return;
  }
  case OpKind::AffineStep: {
    const auto c = module::AffineStepAttrs::read(op);
    float a = static_cast<float>(c.a[step]), b = static_cast<float>(c.b[step]);
    float cz = static_cast<float>(c.c[step]);
    CUdeviceptr x = at(op.operands[0]), y = at(op.operands[1]);
    CUdeviceptr z = present(op, 2) ? at(op.operands[2]) : 0;
    std::vector<void *> params = {&x, &y};
    if (z)
      params.push_back(&z);
    params.insert(params.end(), {&out, &n, &a, &b});
    if (z)
      params.push_back(&cz);
    context_.enqueue(kernel(op.kernel), n, params, stream_);
    return;
  }
  case OpKind::Copy:
    context_.copyAsync(out, at(op.operands[0]), static_cast<size_t>(n) * sizeof(float), stream_);
    return;
  default:
    throw std::logic_error("an op the constructor accepted has no CUDA launch");
  }
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
    return pointer(value, arena.pointer, count, step);
  };

  // The prior: the caller's, or the stream's at kPriorStep, as the CPU draws it.
  std::vector<float> prior(static_cast<size_t>(count * width));
  for (int64_t r = 0; r < count; ++r) {
    float *row = prior.data() + r * width;
    if (noise)
      std::copy(noise + r * width, noise + (r + 1) * width, row);
    else
      fillSampleNoise(row, width, seed, static_cast<uint32_t>(firstSample + r), kPriorStep, 0);
  }
  if (desc_.priorScale != 1.0)
    for (float &v : prior)
      v *= static_cast<float>(desc_.priorScale);
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
      for (const OpDesc &op : desc_.body)
        runOp(op, arena.pointer, count, step, seed, firstSample);
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
