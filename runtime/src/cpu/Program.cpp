//===- Program.cpp - the CPU executor of a module -------------------------===//
#include "cpu/Program.h"
#include "cpu/AttentionLayer.h"
#include "cpu/Conv2DLayer.h"
#include "cpu/DenseLayer.h"
#include "cpu/DormandPrince.h"
#include "cpu/Elementwise.h"
#include "cpu/GradientKernels.h"
#include "cpu/KernelLibrary.h"
#include "cpu/Normalization.h"
#include "tweedie/Noise.h"

#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace tweedie::cpu {

using module::OpKind;
using module::ValueKind;

namespace {

/// Micro-batches aim at this much arena (about an L2-sized working set per
/// thread), between 1 and 64 samples.
constexpr int64_t kChunkArenaBytes = 4 << 20;

/// An integrated micro-batch reports its progress in these many parts of the
/// time interval (its slowest sample's).
constexpr int64_t kIntegratorTicks = 1000;

/// Product of shape[from:].
int64_t product(const std::vector<int64_t> &s, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < s.size(); ++i)
    n *= s[i];
  return n;
}

/// Rows of a [..., features] tensor per sample: the product of all but the last dim.
int64_t rowsOf(const std::vector<int64_t> &s) {
  return s.empty() ? 1 : product(s) / s.back();
}

/// Sets the calling thread's OpenMP thread count for a scope: layers built
/// under it pick their weight layouts as a single-threaded run would use them.
class SingleThreadedScope {
public:
  SingleThreadedScope() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedScope() { omp_set_num_threads(saved_); }

private:
  int saved_;
};

struct AlignedFree {
  void operator()(float *p) const { std::free(p); }
};

} // namespace

/// The library objects of the ops that have one, indexed like the body.
struct Program::Layers {
  std::vector<std::unique_ptr<DenseLayer>> dense;
  std::vector<std::unique_ptr<Conv2DLayer>> conv;
  std::vector<std::unique_ptr<GroupNormLayer>> groupNorm;
  std::vector<std::unique_ptr<LayerNormLayer>> layerNorm;
  std::vector<void *> kernels;
  std::unique_ptr<KernelLibrary> library;
};

struct Program::Worker {
  explicit Worker(const dnnl::engine &engine) : context(engine) {}
  CpuContext context;
  std::unique_ptr<float, AlignedFree> arena; // one micro-batch
  std::unique_ptr<DormandPrince> integrator;  // integrated modules
};

Program::Program(module::ModuleDesc desc, const std::string &origin)
    : desc_(std::move(desc)), layers_(std::make_unique<Layers>()) {
  SingleThreadedScope singleThreaded;
  const size_t n = desc_.body.size();
  layers_->dense.resize(n);
  layers_->conv.resize(n);
  layers_->groupNorm.resize(n);
  layers_->layerNorm.resize(n);
  layers_->kernels.resize(n, nullptr);
  if (!desc_.kernels.empty())
    layers_->library = std::make_unique<KernelLibrary>(desc_.kernels, origin);
  microBatch_ = std::clamp<int64_t>(
      desc_.arenaBytesPerSample ? kChunkArenaBytes / desc_.arenaBytesPerSample : 64, 1, 64);

  // A bias that is a table row is bound per step; the layer is built with row 0.
  auto constantData = [&](int32_t index) -> std::span<const float> {
    if (index < 0)
      return {};
    const module::ValueDesc &v = desc_.values[index];
    const module::ConstantDesc &c = desc_.constants[v.offset];
    return std::span<const float>(c.data.data(), v.numel());
  };
  auto operand = [](const module::OpDesc &op, size_t i) {
    return i < op.operands.size() ? op.operands[i] : -1;
  };
  for (size_t i = 0; i < n; ++i) {
    const module::OpDesc &op = desc_.body[i];
    const auto &x = op.operands.empty() ? desc_.values[op.result].shape
                                        : desc_.values[op.operands[0]].shape;
    Epilogue epilogue{toActivation(op.act), operand(op, 3) >= 0};
    switch (op.kind) {
    case OpKind::Dense: {
      const auto &w = desc_.values[op.operands[1]].shape;
      layers_->dense[i] = std::make_unique<DenseLayer>(
          context_, w[0], w[1], constantData(op.operands[1]), constantData(operand(op, 2)),
          epilogue);
      break;
    }
    case OpKind::Conv2D: {
      const auto &w = desc_.values[op.operands[1]].shape;
      const Conv2DShape shape = Conv2DShape::fromModule(x, w, op.ints);
      layers_->conv[i] = std::make_unique<Conv2DLayer>(
          context_, shape, constantData(op.operands[1]), constantData(operand(op, 2)),
          epilogue);
      break;
    }
    case OpKind::GroupNorm:
      layers_->groupNorm[i] = std::make_unique<GroupNormLayer>(
          x[0], op.ints[0], op.floats[0], constantData(op.operands[1]),
          constantData(op.operands[2]), toActivation(op.act));
      break;
    case OpKind::LayerNorm:
      layers_->layerNorm[i] = std::make_unique<LayerNormLayer>(
          context_, x.back(), op.floats[0], constantData(op.operands[1]),
          constantData(op.operands[2]));
      break;
    case OpKind::AffineStep:
      if (layers_->library && !op.kernel.empty())
        layers_->kernels[i] = layers_->library->function(op.kernel);
      break;
    default:
      break;
    }
  }
}

Program::~Program() = default;

float *Program::pointer(int32_t index, Worker &worker, int64_t n, int64_t step) {
  const module::ValueDesc &v = desc_.values[index];
  switch (v.kind) {
  case ValueKind::Arena:
    return reinterpret_cast<float *>(reinterpret_cast<char *>(worker.arena.get()) +
                                     n * v.offset);
  case ValueKind::Constant:
    return desc_.constants[v.offset].data.data();
  case ValueKind::TableRow:
    return desc_.constants[v.offset].data.data() + step * v.numel();
  }
  return nullptr;
}

void Program::runOp(size_t index, Worker &worker, int64_t n, int64_t step, uint64_t seed,
                    int64_t first) {
  const module::OpDesc &op = desc_.body[index];
  auto in = [&](size_t i) -> float * {
    return i < op.operands.size() && op.operands[i] >= 0
               ? pointer(op.operands[i], worker, n, step)
               : nullptr;
  };
  auto shapeOf = [&](size_t i) -> const std::vector<int64_t> & {
    return desc_.values[op.operands[i]].shape;
  };
  // [n] ++ per-sample shape for arena values, the stored shape otherwise.
  auto fullShape = [&](int32_t value) {
    const module::ValueDesc &v = desc_.values[value];
    Dims s = v.shape;
    if (v.kind == ValueKind::Arena)
      s.insert(s.begin(), n);
    return s;
  };
  float *out = pointer(op.result, worker, n, step);
  const auto &outShape = desc_.values[op.result].shape;
  const int64_t outCount = n * product(outShape);
  auto biasRow = [&]() -> const float * {
    return op.operands.size() > 2 && op.operands[2] >= 0 &&
                   desc_.values[op.operands[2]].kind == ValueKind::TableRow
               ? in(2)
               : nullptr;
  };
  CpuContext &context = worker.context;

  switch (op.kind) {
  case OpKind::Dense:
    layers_->dense[index]->run(context, n * rowsOf(shapeOf(0)),
                               in(0), out, in(3), biasRow());
    break;
  case OpKind::Conv2D:
    layers_->conv[index]->run(context, n, in(0), out, in(3), biasRow());
    break;
  case OpKind::GroupNorm:
    layers_->groupNorm[index]->run(n, product(shapeOf(0), 1), in(0), out);
    break;
  case OpKind::LayerNorm:
    layers_->layerNorm[index]->run(context, n * rowsOf(shapeOf(0)),
                                   in(0), out);
    break;
  case OpKind::Attention:
    attention(n, shapeOf(0)[0], shapeOf(1)[0], shapeOf(0)[1], shapeOf(2)[1], op.ints[0],
              in(0), in(1), in(2), out);
    break;
  case OpKind::Act:
    activateAll(toActivation(op.act), in(0), out, outCount);
    break;
  case OpKind::Add:
  case OpKind::Mul:
    broadcastBinary(op.kind == OpKind::Add ? BinaryOp::Add : BinaryOp::Mul, in(0),
                    fullShape(op.operands[0]), in(1), fullShape(op.operands[1]), out,
                    fullShape(op.result));
    break;
  case OpKind::Concat: {
    std::vector<const float *> inputs;
    std::vector<Dims> shapes;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      inputs.push_back(in(i));
      shapes.push_back(fullShape(op.operands[i]));
    }
    concat(inputs, shapes, op.ints[0], out);
    break;
  }
  case OpKind::Upsample:
    upsampleNearest(in(0), n * shapeOf(0)[0], shapeOf(0)[1], shapeOf(0)[2], op.ints[0], out);
    break;
  case OpKind::AvgPool:
    avgPool(in(0), n * shapeOf(0)[0], shapeOf(0)[1], shapeOf(0)[2], op.ints[0], op.ints[1],
            op.ints[2], op.ints[3], out);
    break;
  case OpKind::Transpose:
    transpose(in(0), fullShape(op.operands[0]), op.ints, out);
    break;
  case OpKind::Copy:
    std::memmove(out, in(0), outCount * sizeof(float));
    break;
  case OpKind::Randn: {
    const int64_t width = product(outShape);
    auto fill = module::drawsSigns(op) ? fillSampleSigns : fillSampleNoise;
    for (int64_t r = 0; r < n; ++r)
      fill(out + r * width, width, seed, static_cast<uint32_t>(first + r),
           static_cast<uint32_t>(step), static_cast<uint32_t>(op.ints[0]));
    break;
  }
  case OpKind::Broadcast:
    broadcastTo(in(0), fullShape(op.operands[0]), out, fullShape(op.result));
    break;
  case OpKind::ActGrad:
    activationGrad(toActivation(op.act), static_cast<int>(op.ints[0]), in(0), in(1), out,
                   outCount);
    break;
  case OpKind::RandUniform:
    for (int64_t r = 0; r < n; ++r)
      out[r] = static_cast<float>(uniformAt(seed, static_cast<uint32_t>(first + r),
                                            static_cast<uint32_t>(step),
                                            static_cast<uint32_t>(op.ints[0])));
    break;
  case OpKind::TimeEmbedding:
    if (const float *frequencies = in(1))
      fourierEmbedding(in(0), n, frequencies, op.ints[0], out);
    else
      sinusoidalEmbedding(in(0), n, op.ints[0], op.floats[0], out);
    break;
  case OpKind::ReduceSum:
    reduceSumKeepDims(in(0), fullShape(op.operands[0]), op.ints, out);
    break;
  case OpKind::Slice:
    sliceAxis(in(0), fullShape(op.operands[0]), op.ints[0], op.ints[1], op.ints[2], out);
    break;
  case OpKind::MALAStep:
    malaStep(in(0), in(1), in(2), in(3), in(4), in(5), in(6), out, n, product(outShape),
             op.floats[step]);
    break;
  case OpKind::LangevinCorrector:
    langevinCorrector(in(0), in(1), in(2), out, n, product(outShape), op.floats[step],
                      op.floats[desc_.steps]);
    break;
  case OpKind::AffineStep: {
    const float a = static_cast<float>(op.floats[step]);
    const float b = static_cast<float>(op.floats[desc_.steps + step]);
    const float c = static_cast<float>(op.floats[2 * desc_.steps + step]);
    float *z = in(2);
    if (void *kernel = layers_->kernels[index]) {
      MemRef1D mx = memref1D(in(0), outCount), my = memref1D(in(1), outCount),
               mz = memref1D(z, outCount), mo = memref1D(out, outCount);
      if (z)
        reinterpret_cast<AffineKernelXYZ>(kernel)(&mx, &my, &mz, &mo, a, b, c);
      else
        reinterpret_cast<AffineKernelXY>(kernel)(&mx, &my, &mo, a, b);
    } else {
      affineStep(in(0), in(1), z, out, outCount, a, b, c);
    }
    break;
  }
  default: // training-step kinds: the module verifier keeps them out
    break;
  }
}

int64_t Program::progressPerChunk() const {
  return desc_.integrator ? kIntegratorTicks : desc_.steps;
}

bool Program::integrateChunk(Worker &worker, int64_t base, int64_t from, int64_t to,
                             const SampleJob &job,
                             const std::function<bool(int64_t)> &advance) {
  const module::IntegratorDesc &spec = *desc_.integrator;
  const int64_t n = microBatch_, width = desc_.sampleNumel();
  if (!worker.integrator)
    worker.integrator = std::make_unique<DormandPrince>(
        n, width,
        DormandPrinceOptions{spec.tStart, spec.tEnd, spec.rtol, spec.atol, desc_.steps});
  // The state's arena slot holds each stage's input; the integrator keeps the
  // solution itself (in float64) and writes it back here at the end.
  float *state = pointer(desc_.state, worker, n, 0);
  std::vector<float> solution(state, state + n * width);
  auto velocity = [&]() -> const float * {
    for (size_t i = 0; i < desc_.body.size(); ++i)
      runOp(i, worker, n, 0, job.seed, base);
    return pointer(desc_.nextState, worker, n, 0);
  };
  int64_t reported = 0;
  auto progress = [&](double fraction) {
    const int64_t ticks = std::clamp<int64_t>(
        static_cast<int64_t>(fraction * kIntegratorTicks), 0, kIntegratorTicks);
    if (ticks <= reported)
      return true;
    const int64_t delta = ticks - reported;
    reported = ticks;
    return advance(delta);
  };
  if (!worker.integrator->integrate(solution.data(), from, to, state,
                                    pointer(spec.time, worker, n, 0), velocity, progress,
                                    [&](int64_t row) { return base + row; }))
    return false;
  std::memcpy(state, solution.data(), solution.size() * sizeof(float));
  if (spec.finishV != 0.0) {
    // The finishing step: one more velocity at t_end, x <- a x + b v.
    float *time = pointer(spec.time, worker, n, 0);
    std::fill(time, time + n, static_cast<float>(spec.tEnd));
    const float *v = velocity();
    const float a = static_cast<float>(spec.finishX), b = static_cast<float>(spec.finishV);
    for (int64_t e = from * width; e < to * width; ++e)
      state[e] = a * solution[e] + b * v[e];
  }
  return reported >= kIntegratorTicks || advance(kIntegratorTicks - reported);
}

void Program::runChunk(Worker &worker, int64_t chunk, const SampleJob &job,
                       const std::function<bool(int64_t)> &advance) {
  // The chunk holds stream samples [base, base + M); the job's samples in it
  // are rows [from, to). Rows outside are padding: every library call sees
  // the same batch size M, and a sample always sits in the same row.
  const int64_t n = microBatch_;
  const int64_t base = chunk * n;
  const int64_t from = std::max<int64_t>(job.firstSample, base) - base;
  const int64_t to = std::min<int64_t>(job.firstSample + job.count, base + n) - base;
  if (!worker.arena) {
    size_t bytes = static_cast<size_t>(desc_.arenaBytesPerSample) * n;
    bytes = (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
    worker.arena.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
    if (!worker.arena)
      throw std::bad_alloc();
    std::memset(worker.arena.get(), 0, bytes);
  }
  const int64_t width = desc_.sampleNumel();
  float *state = pointer(desc_.state, worker, n, 0);
  std::fill(state, state + n * width, 0.0f);
  for (int64_t r = from; r < to; ++r) {
    const int64_t index = base + r - job.firstSample; // row of the job
    if (job.noise)
      std::memcpy(state + r * width, job.noise + index * width, width * sizeof(float));
    else
      fillSampleNoise(state + r * width, width, job.seed, static_cast<uint32_t>(base + r),
                      kPriorStep, 0);
  }
  if (desc_.priorScale != 1.0) {
    const float scale = static_cast<float>(desc_.priorScale);
    for (int64_t e = from * width; e < to * width; ++e)
      state[e] *= scale;
  }

  const bool finished = desc_.integrator ? integrateChunk(worker, base, from, to, job, advance)
                                         : stepChunk(worker, base, from, to, job, advance);
  if (finished)
    std::memcpy(job.out + (base + from - job.firstSample) * width, state + from * width,
                (to - from) * width * sizeof(float));
}

bool Program::stepChunk(Worker &worker, int64_t base, int64_t from, int64_t to,
                        const SampleJob &job, const std::function<bool(int64_t)> &advance) {
  const int64_t n = microBatch_, width = desc_.sampleNumel();
  float *state = pointer(desc_.state, worker, n, 0);
  const size_t stateBytes = static_cast<size_t>(n * width) * sizeof(float);
  for (int32_t extra : desc_.extraStates)
    std::memcpy(pointer(extra, worker, n, 0), state, stateBytes);

  for (int64_t step = 0; step < desc_.steps; ++step) {
    for (size_t i = 0; i < desc_.body.size(); ++i)
      runOp(i, worker, n, step, job.seed, base);
    // The carried values' slots are live through the whole body (the memory
    // plan keeps them apart from everything else), so copy order is free.
    float *next = pointer(desc_.nextState, worker, n, step);
    if (next != state)
      std::memcpy(state, next, stateBytes);
    for (size_t k = 0; k < desc_.extraStates.size(); ++k) {
      float *carried = pointer(desc_.extraStates[k], worker, n, step);
      float *yielded = pointer(desc_.nextExtraStates[k], worker, n, step);
      if (yielded != carried)
        std::memcpy(carried, yielded, stateBytes);
    }
    for (int64_t e = from * width; e < to * width; ++e)
      if (!std::isfinite(state[e]))
        throw std::runtime_error("sampling produced a non-finite value at step " +
                                 std::to_string(step) + " in sample " +
                                 std::to_string(base + e / width) +
                                 " (diverging network or weights?)");
    if (!advance(1))
      return false;
  }
  return true;
}

void Program::checkArenaFits(int threads) const {
  // Each thread holds one micro-batch's arena. A module may declare any arena
  // the verifier allows (up to 64 GiB per sample): refuse before allocating
  // what the machine cannot hold, rather than be killed while touching it.
  const double bytes = static_cast<double>(desc_.arenaBytesPerSample) * microBatch_ * threads;
  const double physical =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (physical > 0 && bytes > physical) {
    auto gib = [](double b) {
      char text[32];
      std::snprintf(text, sizeof text, "%.2f GiB", b / (1 << 30));
      return std::string(text);
    };
    throw std::runtime_error(
        "the module's arena needs " + gib(static_cast<double>(desc_.arenaBytesPerSample)) +
        " per sample, " + gib(bytes) + " for " + std::to_string(threads) + " thread(s) of " +
        std::to_string(microBatch_) + " sample(s), more than this machine's " +
        gib(physical) + " of memory");
  }
}

SampleOutcome Program::sample(const SampleJob &job) {
  if (job.count <= 0)
    return SampleOutcome::Done;
  // Chunks are aligned to multiples of the micro-batch in the stream.
  const int64_t firstChunk = job.firstSample / microBatch_;
  const int64_t chunks = (job.firstSample + job.count - 1) / microBatch_ - firstChunk + 1;
  const int threads = static_cast<int>(std::clamp<int64_t>(job.threads, 1, chunks));
  checkArenaFits(threads);
  const int64_t total = chunks * progressPerChunk();
  std::atomic<int64_t> done{0};
  std::atomic<bool> cancelled{false};
  std::mutex progressMutex, errorMutex;
  std::exception_ptr error;
  auto advance = [&](int64_t units) {
    int64_t now = done += units;
    if (job.progress) {
      std::lock_guard lock(progressMutex);
      if (!cancelled && !job.progress(now, total))
        cancelled = true;
    }
    return !cancelled.load();
  };

#pragma omp parallel num_threads(threads)
  {
    // Every library call inside runs on this thread alone: oneDNN sees one
    // thread whatever `threads` is, so its reductions have one order.
    omp_set_num_threads(1);
    Worker worker(context_.engine);
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      if (cancelled)
        continue;
      try {
        runChunk(worker, firstChunk + c, job, advance);
      } catch (...) {
        std::lock_guard lock(errorMutex);
        if (!error)
          error = std::current_exception();
        cancelled = true;
      }
    }
  }
  if (error)
    std::rethrow_exception(error);
  return cancelled ? SampleOutcome::Cancelled : SampleOutcome::Done;
}

} // namespace tweedie::cpu
