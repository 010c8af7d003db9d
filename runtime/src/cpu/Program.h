//===- Program.h - a verified module, ready to sample on the CPU ----------===//
//
// Built once per module load: oneDNN primitives' weights are prepacked, the
// kernel library is loaded, constants are in place. `sample` then splits the
// request into micro-batches of at most M samples and runs each through all
// steps on one worker thread, every library call single-threaded. A sample's
// arithmetic is the same whatever the request's size, offset or thread count:
//
//   row-invariant modules (every op computes a row without regard to the
//     rows beside it: dense layers on RowInvariantGemm, elementwise and
//     generated kernels, counter-based noise) cut the request into
//     ceil(count / threads) samples per chunk, up to M: a batch-1 request
//     computes one row;
//   the others (oneDNN convolutions and normalisations pick kernels by batch)
//     run fixed chunks of M aligned to multiples of M in the stream (stream
//     sample i is always row i mod M of chunk i / M; rows a request does not
//     cover are padding).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_PROGRAM_H
#define TWEEDIE_RUNTIME_CPU_PROGRAM_H

#include "cpu/CpuContext.h"
#include "cpu/OpProfile.h"
#include "tweedie/module/ModuleDesc.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tweedie::cpu {

/// Reports (steps done, steps in total) over all micro-batches; returning
/// false cancels the request. Called from worker threads, one call at a time.
using ProgressFn = std::function<bool(int64_t done, int64_t total)>;

/// A host's allocator for the runtime's working memory (the micro-batch
/// arenas): the C API's tweedie_allocator.
struct HostAllocator {
  void *(*allocate)(void *user, size_t size, size_t alignment) = nullptr;
  void (*release)(void *user, void *block) = nullptr;
  void *user = nullptr;
};

struct SampleJob {
  int64_t count = 0;
  uint64_t seed = 0;
  /// Index of the first sample in the seed's stream (sample i of the job is
  /// stream sample firstSample + i).
  int64_t firstSample = 0;
  /// count x sampleNumel prior noise, or null: drawn from the stream.
  const float *noise = nullptr;
  float *out = nullptr;
  int threads = 1;
  ProgressFn progress;
  /// Working memory: the host's scratch (scratchBytes() of it, 64-byte
  /// aligned) if given, else blocks from `allocator` if given, else the C
  /// library's aligned_alloc.
  std::byte *scratch = nullptr;
  size_t scratchSize = 0;
  const HostAllocator *allocator = nullptr;
  /// When set, each op is timed and the job's profile merged into it.
  OpProfile *profile = nullptr;
};

enum class SampleOutcome { Done, Cancelled };

class Program {
public:
  /// Throws io::FormatError when the kernel library or a kernel is missing,
  /// std::invalid_argument when a layer cannot be built.
  Program(module::ModuleDesc desc, const std::string &origin);
  ~Program();

  const module::ModuleDesc &desc() const { return desc_; }
  /// Samples per micro-batch at most (the unit of work of one thread).
  int64_t microBatch() const { return microBatch_; }
  /// Whether chunks are sized to the request (see above).
  bool rowInvariant() const { return rowInvariant_; }
  /// The micro-batches a job of `count` samples from `firstSample` runs on
  /// `threads` threads.
  int64_t chunkCount(int64_t firstSample, int64_t count, int threads) const;

  /// Runs the sampler; throws tweedie::Error (Numeric) on a non-finite
  /// state, (InvalidArgument) when the job's scratch is too small.
  SampleOutcome sample(const SampleJob &job);

  /// Bytes of working memory a job of `count` samples on `threads` threads
  /// needs, whatever its first sample: one 64-byte aligned micro-batch arena
  /// per worker.
  size_t scratchBytes(int64_t count, int threads) const;

private:
  struct Layers;
  struct Worker;
  /// `advance(k)` reports k more units of progress; false: cancelled.
  /// The padded size of one worker's arena.
  size_t arenaBytes() const;
  /// Chunk `chunk` of the job: stream samples [base, base + rows); the job's
  /// are rows [from, to), the rest padding.
  struct Chunk {
    int64_t base, rows, from, to;
  };
  Chunk chunkOf(const SampleJob &job, int64_t chunk) const;
  /// Rows per chunk of a row-invariant job.
  int64_t chunkRows(int64_t count, int threads) const;
  void runChunk(Worker &worker, const Chunk &chunk, const SampleJob &job,
                const std::function<bool(int64_t)> &advance);
  /// Take the chunk's state from the prior to the samples; false: cancelled.
  bool stepChunk(Worker &worker, const Chunk &chunk, const SampleJob &job,
                 const std::function<bool(int64_t)> &advance);
  bool integrateChunk(Worker &worker, const Chunk &chunk,
                      const SampleJob &job, const std::function<bool(int64_t)> &advance);
  /// Progress units of one micro-batch: its steps, or for an integrated
  /// module kIntegratorTicks of the time interval.
  int64_t progressPerChunk() const;
  /// Throws, naming the sizes, when `threads` micro-batch arenas exceed the
  /// machine's memory.
  void checkArenaFits(int threads) const;
  void runOp(size_t index, Worker &worker, int64_t n, int64_t step, uint64_t seed,
             int64_t first);
  float *pointer(int32_t value, Worker &worker, int64_t n, int64_t step);

  module::ModuleDesc desc_;
  int64_t microBatch_ = 1;
  bool rowInvariant_ = false;
  CpuContext context_;
  std::unique_ptr<Layers> layers_;
};

} // namespace tweedie::cpu

#endif
