//===- SamplerProgram.cpp ---------------------------------------------------===//
#include "cuda/SamplerProgram.h"
#include "tweedie/Error.h"
#include "tweedie/Noise.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <algorithm>
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

/// Why this backend cannot run `op` of `desc` yet, or empty.
std::string unsupported(const module::ModuleDesc &desc, const OpDesc &op,
                        const DnnAvailability &dnn) {
  auto shape = [&](size_t i) -> const std::vector<int64_t> & {
    return desc.values[op.operands[i]].shape;
  };
  auto arena = [&](size_t i) { return desc.values[op.operands[i]].kind == ValueKind::Arena; };
  for (int32_t v : op.operands)
    if (v >= 0 && desc.values[v].channelsLast)
      return std::string(module::opKindName(op.kind)) +
             " on channels-last values (compile with --layout plain for CUDA)";
  if (desc.values[op.result].channelsLast)
    return std::string(module::opKindName(op.kind)) +
           " on channels-last values (compile with --layout plain for CUDA)";
  switch (op.kind) {
  case OpKind::Dense:
  case OpKind::Act:
  case OpKind::Randn:
  case OpKind::RandUniform:
  case OpKind::Copy:
  case OpKind::GroupNorm:
  case OpKind::Transpose:
  case OpKind::Concat:
    return "";
  case OpKind::Conv2D:
    return dnn.api ? "" : "conv2d without cuDNN: " + dnn.why;
  case OpKind::Upsample:
    return shape(0).size() == 3 ? "" : "upsample of other than [C, H, W] samples";
  case OpKind::Attention:
    return arena(0) && arena(1) && arena(2) && shape(0).size() == 2
               ? ""
               : "attention of other than [len, width] samples";
  case OpKind::Add:
  case OpKind::Mul:
    return desc.values[op.result].shape.size() < module::kGatherRank
               ? ""
               : std::string(module::opKindName(op.kind)) + " of more than " +
                     std::to_string(module::kGatherRank) + " axes";
  case OpKind::LangevinCorrector:
    return arena(0) && arena(1) && arena(2) ? "" : "langevin_corrector on constants";
  case OpKind::Broadcast:
    return desc.values[op.result].shape.size() < module::kGatherRank
               ? ""
               : "broadcast of more than " + std::to_string(module::kGatherRank) + " axes";
  case OpKind::ActGrad:
    return "";
  case OpKind::MALAStep:
    return desc.values[op.operands[2]].numel() == 1 && desc.values[op.operands[6]].numel() == 1
               ? ""
               : "mala_step with other than one energy and one uniform per sample";
  case OpKind::AffineStep:
    return op.kernel.empty() ? "affine_step without its generated kernel (compiled with "
                               "--kernels builtin)"
                             : "";
  default:
    return std::string(module::opKindName(op.kind));
  }
}

/// The full shape [rows] ++ shape.
std::vector<int64_t> withRows(int64_t rows, const std::vector<int64_t> &shape) {
  std::vector<int64_t> full = {rows};
  full.insert(full.end(), shape.begin(), shape.end());
  return full;
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
    if (std::string why = unsupported(desc_, op, dnn); !why.empty())
      throw std::invalid_argument("device 'cuda' cannot run this module's " + why +
                                  " ops yet: use device 'cpu'");
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

void SamplerProgram::epilogue(const OpDesc &op, CUdeviceptr out, int64_t rows, int64_t step,
                              CUdeviceptr arena, int64_t channels, int64_t inner) {
  // act(out + bias[channel]) + residual in place, unless there is nothing to do.
  const bool bias = present(op, 2), residual = present(op, 3);
  if (!bias && !residual && op.act == module::Activation::None)
    return;
  int64_t n = rows * desc_.values[op.result].numel();
  CUdeviceptr b = bias ? pointer(op.operands[2], arena, rows, step) : 0;
  CUdeviceptr r = residual ? pointer(op.operands[3], arena, rows, step) : 0;
  std::vector<void *> params = {&out, &out};
  if (bias)
    params.push_back(&b);
  if (residual)
    params.push_back(&r);
  params.insert(params.end(), {&n, &channels, &inner});
  context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::Epilogue, op.act, bias, residual}
                              .name()),
                   n, params, stream_);
}

void SamplerProgram::strided(const std::string &name, CUdeviceptr out,
                             std::vector<CUdeviceptr> inputs, int64_t n,
                             std::vector<int64_t> sizes,
                             std::vector<std::vector<int64_t>> strides) {
  const size_t rank = module::kGatherRank;
  if (sizes.size() > rank)
    throw std::invalid_argument("an op over more than " + std::to_string(rank) + " axes");
  sizes.insert(sizes.begin(), rank - sizes.size(), 1);
  std::vector<void *> params = {&out};
  for (CUdeviceptr &input : inputs)
    params.push_back(&input);
  params.push_back(&n);
  for (int64_t &v : sizes)
    params.push_back(&v);
  for (std::vector<int64_t> &s : strides) {
    s.insert(s.begin(), rank - s.size(), 0);
    for (int64_t &v : s)
      params.push_back(&v);
  }
  context_.enqueue(kernel(name), n, params, stream_);
}

void SamplerProgram::gather(CUdeviceptr out, CUdeviceptr x, int64_t n,
                            std::vector<int64_t> sizes, std::vector<int64_t> strides) {
  strided(LayerKernel{LayerKernel::Kind::Gather}.name(), out, {x}, n, std::move(sizes),
          {std::move(strides)});
}

std::vector<int64_t> SamplerProgram::fullShape(int32_t value, int64_t rows) const {
  const module::ValueDesc &v = desc_.values[value];
  return v.kind == ValueKind::Arena ? withRows(rows, v.shape) : v.shape;
}

std::vector<int64_t> SamplerProgram::broadcastStrides(int32_t value,
                                                      const std::vector<int64_t> &out,
                                                      int64_t rows) const {
  // NumPy: align the trailing axes; an axis of 1 against a longer one repeats.
  std::vector<int64_t> shape = fullShape(value, rows);
  shape.insert(shape.begin(), out.size() - shape.size(), 1);
  std::vector<int64_t> strides(shape.size(), 0);
  int64_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k] = shape[k] == 1 && out[k] != 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

void SamplerProgram::runOp(size_t index, const Request &request, int64_t step, uint64_t seed,
                           int64_t firstSample) {
  const OpDesc &op = desc_.body[index];
  const CUdeviceptr arena = request.arena;
  const int64_t rows = request.rows;
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
    epilogue(op, out, rows, step, arena, features, 1);
    return;
  }
  case OpKind::Conv2D: {
    request.convolutions[index]->run(at(op.operands[0]), at(op.operands[1]), out,
                                     request.workspace);
    const std::vector<int64_t> &y = desc_.values[op.result].shape; // [K, P, Q]
    epilogue(op, out, rows, step, arena, y[0], y[1] * y[2]);
    return;
  }
  case OpKind::GroupNorm: {
    const auto g = module::GroupNormAttrs::read(op);
    const std::vector<int64_t> &x = desc_.values[op.operands[0]].shape;
    int64_t channels = x[0], inner = n / (rows * channels), groups = g.groups, plain = 0;
    int64_t stats = rows * groups;
    float epsilon = static_cast<float>(g.epsilon);
    CUdeviceptr in = at(op.operands[0]), gamma = at(op.operands[1]), beta = at(op.operands[2]);
    CUdeviceptr mean = request.normScratch;
    CUdeviceptr rstd = mean + static_cast<CUdeviceptr>(stats * sizeof(float));
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::GroupStats}.name()), stats,
                     {&mean, &rstd, &in, &stats, &channels, &inner, &groups, &plain, &epsilon},
                     stream_);
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::GroupNorm, op.act}.name()), n,
                     {&out, &in, &mean, &rstd, &gamma, &beta, &n, &channels, &inner, &groups,
                      &plain},
                     stream_);
    return;
  }
  case OpKind::Add:
  case OpKind::Mul: {
    LayerKernel k{LayerKernel::Kind::Broadcast};
    k.binary = op.kind == OpKind::Add ? LayerKernel::Binary::Add : LayerKernel::Binary::Mul;
    const std::vector<int64_t> shape = fullShape(op.result, rows);
    strided(k.name(), out, {at(op.operands[0]), at(op.operands[1])}, n, shape,
            {broadcastStrides(op.operands[0], shape, rows),
             broadcastStrides(op.operands[1], shape, rows)});
    return;
  }
  case OpKind::Broadcast: {
    const std::vector<int64_t> shape = fullShape(op.result, rows);
    gather(out, at(op.operands[0]), n, shape, broadcastStrides(op.operands[0], shape, rows));
    return;
  }
  case OpKind::ActGrad: {
    LayerKernel k{LayerKernel::Kind::ActGrad, op.act};
    k.order = static_cast<int>(module::IntAttr::read(op).value);
    CUdeviceptr x = at(op.operands[0]), grad = at(op.operands[1]);
    context_.enqueue(kernel(k.name()), n, {&out, &x, &grad, &n}, stream_);
    return;
  }
  case OpKind::MALAStep: {
    std::vector<CUdeviceptr> in;
    for (int32_t v : op.operands)
      in.push_back(at(v));
    int64_t width = n / rows;
    double eta = module::MALAStepAttrs::read(op).stepSize[static_cast<size_t>(step)];
    std::vector<void *> params = {&out};
    for (CUdeviceptr &p : in)
      params.push_back(&p);
    params.insert(params.end(), {&n, &width, &eta});
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::MALAStep}.name()), n, params,
                     stream_);
    return;
  }
  case OpKind::LangevinCorrector: {
    const auto l = module::LangevinCorrectorAttrs::read(op);
    CUdeviceptr x = at(op.operands[0]), score = at(op.operands[1]), z = at(op.operands[2]);
    int64_t width = n / rows;
    double alpha = l.alpha[static_cast<size_t>(step)], snr = l.snr;
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::LangevinCorrector}.name()), n,
                     {&out, &x, &score, &z, &n, &width, &alpha, &snr}, stream_);
    return;
  }
  case OpKind::Transpose: {
    const std::vector<int64_t> x = withRows(rows, desc_.values[op.operands[0]].shape);
    std::vector<int64_t> strides(x.size(), 1), sizes, reads;
    for (size_t k = x.size() - 1; k-- > 0;)
      strides[k] = strides[k + 1] * x[k + 1];
    for (int64_t axis : op.ints) {
      sizes.push_back(x[static_cast<size_t>(axis)]);
      reads.push_back(strides[static_cast<size_t>(axis)]);
    }
    gather(out, at(op.operands[0]), n, sizes, reads);
    return;
  }
  case OpKind::Upsample: {
    const std::vector<int64_t> &x = desc_.values[op.operands[0]].shape; // [C, H, W]
    const int64_t f = module::IntAttr::read(op).value, c = x[0], h = x[1], w = x[2];
    gather(out, at(op.operands[0]), n, {rows, c, h, f, w, f}, {c * h * w, h * w, w, 0, 1, 0});
    return;
  }
  case OpKind::Concat: {
    // [outer, chunk_j] row blocks side by side: one 2-D copy per input.
    const int64_t axis = module::IntAttr::read(op).value; // counts the batch axis
    const std::vector<int64_t> full = withRows(rows, desc_.values[op.result].shape);
    int64_t outer = 1;
    for (int64_t k = 0; k < axis; ++k)
      outer *= full[static_cast<size_t>(k)];
    const int64_t total = n / outer;
    int64_t offset = 0;
    for (int32_t input : op.operands) {
      const int64_t chunk = rows * desc_.values[input].numel() / outer;
      context_.copyRowsAsync(out + offset * 4, total * 4, at(input), chunk * 4, chunk * 4,
                             outer, stream_);
      offset += chunk;
    }
    return;
  }
  case OpKind::Attention: {
    const std::vector<int64_t> &q = desc_.values[op.operands[0]].shape;  // [len, width]
    const std::vector<int64_t> &kv = desc_.values[op.operands[2]].shape; // [sources, vWidth]
    int64_t len = q[0], qWidth = q[1], sources = kv[0], vWidth = kv[1];
    int64_t heads = module::IntAttr::read(op).value;
    float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(qWidth / heads)));
    CUdeviceptr pq = at(op.operands[0]), pk = at(op.operands[1]), pv = at(op.operands[2]);
    context_.enqueue(kernel(LayerKernel{LayerKernel::Kind::Attention}.name()), n,
                     {&out, &pq, &pk, &pv, &n, &len, &sources, &qWidth, &vWidth, &heads, &scale},
                     stream_);
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
  // What the request's ops need besides the arena, made before the capture
  // (which allows no allocation): convolution plans and their workspace, the
  // group statistics.
  Request request{arena.pointer, count};
  request.convolutions.resize(desc_.body.size());
  size_t workspaceBytes = 0, statsBytes = 0;
  for (size_t i = 0; i < desc_.body.size(); ++i) {
    const OpDesc &op = desc_.body[i];
    if (op.kind == OpKind::Conv2D) {
      const auto c = module::Conv2DAttrs::read(op);
      const std::vector<int64_t> &x = desc_.values[op.operands[0]].shape;
      const std::vector<int64_t> &w = desc_.values[op.operands[1]].shape;
      const std::vector<int64_t> &y = desc_.values[op.result].shape;
      request.convolutions[i] = std::make_unique<Convolution>(
          *dnn_, dnnHandle_,
          Convolution::Shape{count, x[0], x[1], x[2], w[0], w[2], w[3], y[1], y[2], c.stride,
                             c.padding, c.groups});
      workspaceBytes = std::max(workspaceBytes, request.convolutions[i]->workspaceBytes());
    } else if (op.kind == OpKind::GroupNorm) {
      const auto g = module::GroupNormAttrs::read(op);
      statsBytes = std::max<size_t>(statsBytes, 2 * count * g.groups * sizeof(float));
    }
  }
  DeviceBuffer workspace(context_, std::max<size_t>(workspaceBytes, 256));
  DeviceBuffer stats(context_, std::max<size_t>(statsBytes, 256));
  request.workspace = workspace.pointer;
  request.normScratch = stats.pointer;

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
      for (size_t i = 0; i < desc_.body.size(); ++i)
        runOp(i, request, step, seed, firstSample);
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
