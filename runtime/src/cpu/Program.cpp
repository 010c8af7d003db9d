//===- Program.cpp - the CPU executor of a module -------------------------===//
#include "cpu/Program.h"
#include "cpu/DormandPrince.h"
#include "cpu/KernelLibrary.h"
#include "cpu/OpKernel.h"
#include "tweedie/Error.h"
#include "tweedie/Noise.h"

#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace tweedie::cpu {


namespace {

/// Micro-batches aim at this much arena (about an L2-sized working set per
/// thread), between 1 and kMaxFixedChunk samples; row-invariant modules may
/// go to kMaxRowInvariantChunk (a larger chunk does not change their numbers,
/// and spreads each call's fixed cost over more rows).
constexpr int64_t kChunkArenaBytes = 4 << 20;
constexpr int64_t kMaxFixedChunk = 64;
constexpr int64_t kMaxRowInvariantChunk = 256;

/// An integrated micro-batch reports its progress in these many parts of the
/// time interval (its slowest sample's).
constexpr int64_t kIntegratorTicks = 1000;

/// Sets the calling thread's OpenMP thread count for a scope: layers built
/// under it pick their weight layouts as a single-threaded run would use them.
class SingleThreadedScope {
public:
  SingleThreadedScope() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedScope() { omp_set_num_threads(saved_); }

private:
  int saved_;
};

/// Whether the CPU kernel of `op` computes each row (sample) with the same
/// arithmetic whatever the rows beside it and their number. oneDNN's
/// convolutions and normalisations are left out: they choose by batch.
bool computesRowsApart(const module::OpDesc &op) {
  if (!op.kernel.empty())
    return true; // generated elementwise code over the flat rows
  switch (op.kind) {
  case module::OpKind::Dense:         // RowInvariantGemm
  case module::OpKind::Act:           // element by element
  case module::OpKind::Add:
  case module::OpKind::Mul:
  case module::OpKind::Scale:
  case module::OpKind::Copy:
  case module::OpKind::AffineStep:
  case module::OpKind::TimeEmbedding: // row by row
  case module::OpKind::Interpolate:
  case module::OpKind::Randn:         // keyed by the sample's stream index
  case module::OpKind::RandUniform:
    return true;
  default:
    return false;
  }
}

} // namespace

/// The body's kernels, indexed like it, and the module's generated code.
struct Program::Layers {
  std::unique_ptr<KernelLibrary> library;
  std::vector<std::unique_ptr<OpKernel>> kernels;
  /// Each op's name in a profile: its kind, or "kernel" for generated code.
  std::vector<std::string> profileNames;
};

/// One worker thread's state. Its arena is a slice of the host's scratch, a
/// block of the host's allocator, or the C library's.
struct Program::Worker {
  Worker(const dnnl::engine &engine, const SampleJob &job, size_t index, size_t bytes)
      : context(engine), job(job) {
    if (job.scratch) {
      arena = reinterpret_cast<float *>(job.scratch + index * bytes);
    } else {
      arena = static_cast<float *>(job.allocator ? job.allocator->allocate(job.allocator->user,
                                                                           bytes, 64)
                                                 : std::aligned_alloc(64, bytes));
      owned = arena != nullptr;
      if (!arena)
        throw Error(ErrorKind::OutOfMemory,
                    "the allocator gave no block of " + std::to_string(bytes) +
                        " bytes for a micro-batch arena");
    }
    std::memset(arena, 0, bytes);
  }
  ~Worker() {
    if (!owned)
      return;
    if (job.allocator)
      job.allocator->release(job.allocator->user, arena);
    else
      std::free(arena);
  }
  Worker(const Worker &) = delete;
  Worker &operator=(const Worker &) = delete;

  CpuContext context;
  const SampleJob &job;
  float *arena = nullptr; // one micro-batch
  bool owned = false;
  std::unique_ptr<DormandPrince> integrator; // integrated modules
  OpProfile profile;                          // filled when the job asks
};

Program::Program(module::ModuleDesc desc, const std::string &origin)
    : desc_(std::move(desc)), layers_(std::make_unique<Layers>()) {
  SingleThreadedScope singleThreaded;
  if (!desc_.kernels.empty())
    layers_->library = std::make_unique<KernelLibrary>(desc_.kernels, origin);
  rowInvariant_ = !desc_.integrator &&
                  std::all_of(desc_.body.begin(), desc_.body.end(), computesRowsApart);
  const int64_t cap = rowInvariant_ ? kMaxRowInvariantChunk : kMaxFixedChunk;
  microBatch_ = std::clamp<int64_t>(
      desc_.arenaBytesPerSample ? kChunkArenaBytes / desc_.arenaBytesPerSample : cap, 1, cap);
  // Fixed chunks of a power of two: requests mostly are one, so they split
  // into whole chunks shared evenly by the threads (64 samples in chunks of
  // 5 left one thread 7 chunks and the other 6).
  if (!rowInvariant_)
    microBatch_ = std::bit_floor(static_cast<uint64_t>(microBatch_));
  for (const module::OpDesc &op : desc_.body) {
    layers_->kernels.push_back(prepareKernel(
        {desc_, op, Driver::Sampler, context_, microBatch_, layers_->library.get()}));
    layers_->profileNames.push_back(OpProfile::kindOf(op));
  }
}

Program::~Program() = default;

float *Program::pointer(int32_t index, Worker &worker, int64_t n, int64_t step) {
  return Frame{desc_, worker.context, worker.arena, nullptr, n, step}.pointer(index);
}

void Program::runOp(size_t index, Worker &worker, int64_t n, int64_t step, uint64_t seed,
                    int64_t first) {
  const Frame frame{desc_, worker.context, worker.arena, nullptr, n, step, seed, first};
  if (!worker.job.profile) {
    layers_->kernels[index]->run(OpArgs{frame, desc_.body[index]});
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  layers_->kernels[index]->run(OpArgs{frame, desc_.body[index]});
  worker.profile.add(layers_->profileNames[index],
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                         .count());
  if (index + 1 == desc_.body.size())
    ++worker.profile.bodyRuns;
}

int64_t Program::progressPerChunk() const {
  return desc_.integrator ? kIntegratorTicks : desc_.steps;
}

bool Program::integrateChunk(Worker &worker, const Chunk &chunk, const SampleJob &job,
                             const std::function<bool(int64_t)> &advance) {
  const module::IntegratorDesc &spec = *desc_.integrator;
  const int64_t n = chunk.rows, width = desc_.sampleNumel();
  const int64_t base = chunk.base, from = chunk.from, to = chunk.to;
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

Program::Chunk Program::chunkOf(const SampleJob &job, int64_t chunk) const {
  if (rowInvariant_) {
    const int64_t rows = chunkRows(job.count, job.threads);
    const int64_t base = job.firstSample + chunk * rows;
    const int64_t n = std::min(rows, job.firstSample + job.count - base);
    return {base, n, 0, n};
  }
  // Aligned to multiples of M in the stream; every library call sees M rows
  // and a sample always sits in the same row.
  const int64_t n = microBatch_;
  const int64_t base = (job.firstSample / n + chunk) * n;
  return {base, n, std::max<int64_t>(job.firstSample, base) - base,
          std::min<int64_t>(job.firstSample + job.count, base + n) - base};
}

int64_t Program::chunkCount(int64_t firstSample, int64_t count, int threads) const {
  if (count <= 0)
    return 0;
  if (rowInvariant_) {
    const int64_t rows = chunkRows(count, threads);
    return (count + rows - 1) / rows;
  }
  return (firstSample + count - 1) / microBatch_ - firstSample / microBatch_ + 1;
}

int64_t Program::chunkRows(int64_t count, int threads) const {
  const int64_t perThread = (count + std::max(threads, 1) - 1) / std::max(threads, 1);
  return std::clamp<int64_t>(perThread, 1, microBatch_);
}

void Program::runChunk(Worker &worker, const Chunk &chunk, const SampleJob &job,
                       const std::function<bool(int64_t)> &advance) {
  // The chunk holds stream samples [base, base + n); the job's samples in it
  // are rows [from, to), the others padding.
  const int64_t n = chunk.rows, base = chunk.base, from = chunk.from, to = chunk.to;
  const int64_t width = desc_.sampleNumel();
  float *state = pointer(desc_.state, worker, n, 0);
  std::fill(state, state + n * width, 0.0f);
  // Rows [from, to) are the job's rows base + from - job.firstSample, ...
  const float *noise =
      job.noise ? job.noise + (base + from - job.firstSample) * width : nullptr;
  fillPrior(state + from * width, to - from, width, job.seed, base + from, noise,
            desc_.priorScale);

  const bool finished = desc_.integrator ? integrateChunk(worker, chunk, job, advance)
                                         : stepChunk(worker, chunk, job, advance);
  if (finished)
    std::memcpy(job.out + (base + from - job.firstSample) * width, state + from * width,
                (to - from) * width * sizeof(float));
}

bool Program::stepChunk(Worker &worker, const Chunk &chunk, const SampleJob &job,
                        const std::function<bool(int64_t)> &advance) {
  const int64_t n = chunk.rows, width = desc_.sampleNumel();
  const int64_t base = chunk.base, from = chunk.from, to = chunk.to;
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
        throw Error(ErrorKind::Numeric, "sampling produced a non-finite value at step " +
                                 std::to_string(step) + " in sample " +
                                 std::to_string(base + e / width) +
                                 " (diverging network or weights?)");
    if (!advance(1))
      return false;
  }
  return true;
}

size_t Program::arenaBytes() const {
  const size_t bytes = static_cast<size_t>(desc_.arenaBytesPerSample) * microBatch_;
  return (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
}

size_t Program::scratchBytes(int64_t count, int threads) const {
  if (count <= 0)
    return 0;
  // Row-invariant chunks depend on the count and threads alone; aligned ones
  // span at most ceil(count / M) + 1 micro-batches, whatever the first sample.
  const int64_t chunks = rowInvariant_ ? chunkCount(0, count, threads)
                                       : (count + microBatch_ - 1) / microBatch_ + 1;
  return static_cast<size_t>(std::clamp<int64_t>(threads, 1, chunks)) * arenaBytes();
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
    throw Error(ErrorKind::OutOfMemory,
        "the module's arena needs " + gib(static_cast<double>(desc_.arenaBytesPerSample)) +
        " per sample, " + gib(bytes) + " for " + std::to_string(threads) + " thread(s) of " +
        std::to_string(microBatch_) + " sample(s), more than this machine's " +
        gib(physical) + " of memory");
  }
}

SampleOutcome Program::sample(const SampleJob &job) {
  if (job.count <= 0)
    return SampleOutcome::Done;
  const int64_t chunks = chunkCount(job.firstSample, job.count, job.threads);
  const int threads = static_cast<int>(std::clamp<int64_t>(job.threads, 1, chunks));
  const size_t needed = static_cast<size_t>(threads) * arenaBytes();
  if (job.scratch) {
    const bool aligned = reinterpret_cast<uintptr_t>(job.scratch) % 64 == 0;
    if (job.scratchSize < needed || !aligned)
      throw Error(ErrorKind::InvalidArgument,
                  "the scratch is " + std::to_string(job.scratchSize) + " bytes at " +
                      (aligned ? "an aligned" : "a misaligned") +
                      " address; this request needs " + std::to_string(needed) +
                      " bytes, 64-byte aligned (tweedie_session_scratch_size)");
  } else {
    checkArenaFits(threads);
  }
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
    std::optional<Worker> worker;
    try {
      worker.emplace(context_.engine, job, static_cast<size_t>(omp_get_thread_num()),
                     arenaBytes());
    } catch (...) {
      std::lock_guard lock(errorMutex);
      if (!error)
        error = std::current_exception();
      cancelled = true;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      if (cancelled)
        continue;
      try {
        runChunk(*worker, chunkOf(job, c), job, advance);
      } catch (...) {
        std::lock_guard lock(errorMutex);
        if (!error)
          error = std::current_exception();
        cancelled = true;
      }
    }
    if (job.profile && worker) {
      worker->profile.reorders = worker->context.reorders;
      std::lock_guard lock(errorMutex);
      job.profile->merge(worker->profile);
    }
  }
  if (error)
    std::rethrow_exception(error);
  return cancelled ? SampleOutcome::Cancelled : SampleOutcome::Done;
}

} // namespace tweedie::cpu
