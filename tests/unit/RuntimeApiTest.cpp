//===- RuntimeApiTest.cpp - the C API's request options, end to end ------===//
//
// What a host relies on besides the samples themselves: progress reports,
// cancellation (from the callback and from tweedie_session_cancel), starting
// from host-provided noise, runtime-allocated output, and argument errors.
// The modules are bundled models compiled by the real driver.
//
//===----------------------------------------------------------------------===//
#include "CompiledModuleSupport.h"
#include "tweedie/module/ModuleDesc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <cstdio>
#include <thread>
#include <vector>

using namespace tweedie::testing;
using tweedie::reference::Tensor;

namespace {

constexpr int kSteps = 10;
constexpr int64_t kCount = 200;
constexpr uint64_t kSeed = 31;

/// mlp2d with DDPM (noise at every step), compiled once for the whole suite.
class RuntimeApi : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    irPath_ = new std::string(writeTemp(
        "mlp2d-api.mlir", withSampler("mlp2d", "#sampler.ddpm<variance = posterior>", kSteps)));
    image_ = new std::vector<std::byte>(compileImage(*irPath_));
  }
  static void TearDownTestSuite() {
    delete irPath_;
    delete image_;
  }

  void SetUp() override {
    ASSERT_EQ(tweedie_instance_create(&instance_), nullptr);
    tweedie_status *status = nullptr;
    module_ = load(instance_, *image_, &status);
    ASSERT_NE(module_, nullptr) << tweedie_status_message(status);
    tweedie_session_options options{"cpu", 2};
    ASSERT_EQ(tweedie_session_create(module_, &options, &session_), nullptr);
  }
  void TearDown() override {
    tweedie_session_destroy(session_);
    tweedie_module_destroy(module_);
    tweedie_instance_destroy(instance_);
  }

  tweedie_sample_request request(std::vector<float> &out) const {
    out.assign(kCount * tweedie_module_sample_size(module_), 0.f);
    tweedie_sample_request r{};
    r.num_samples = kCount;
    r.seed = kSeed;
    r.output = out.data();
    return r;
  }

  /// Runs the request; returns the status code (TWEEDIE_OK on success) and its message.
  tweedie_status_code run(const tweedie_sample_request &r, std::string *message = nullptr) {
    tweedie_status *status = tweedie_session_sample(session_, &r);
    tweedie_status_code code = tweedie_status_get_code(status);
    if (message)
      *message = status ? tweedie_status_message(status) : "";
    tweedie_status_free(status);
    return code;
  }

  static std::string *irPath_;
  static std::vector<std::byte> *image_;
  tweedie_instance *instance_ = nullptr;
  tweedie_module *module_ = nullptr;
  tweedie_session *session_ = nullptr;
};

std::string *RuntimeApi::irPath_ = nullptr;
std::vector<std::byte> *RuntimeApi::image_ = nullptr;

struct ProgressLog {
  std::vector<std::pair<int64_t, int64_t>> calls;
  int64_t cancelAfter = -1; // cancel on this call (by return value)
  tweedie_session *cancelSession = nullptr; // or through tweedie_session_cancel
};

int recordProgress(void *user, int64_t done, int64_t total) {
  auto *log = static_cast<ProgressLog *>(user);
  log->calls.emplace_back(done, total);
  if (static_cast<int64_t>(log->calls.size()) == log->cancelAfter) {
    if (log->cancelSession) {
      tweedie_session_cancel(log->cancelSession);
      return 0;
    }
    return 1;
  }
  return 0;
}

TEST_F(RuntimeApi, ProgressCountsEveryStepOfEveryMicroBatchOnce) {
  std::vector<float> out;
  tweedie_sample_request r = request(out);
  ProgressLog log;
  r.progress = recordProgress;
  r.progress_user_data = &log;
  ASSERT_EQ(run(r), TWEEDIE_OK);
  ASSERT_FALSE(log.calls.empty());
  const int64_t total = log.calls.front().second;
  EXPECT_EQ(total % kSteps, 0) << "the total counts whole sampling loops";
  EXPECT_GE(total, kSteps);
  EXPECT_EQ(static_cast<int64_t>(log.calls.size()), total);
  for (size_t i = 0; i < log.calls.size(); ++i) {
    EXPECT_EQ(log.calls[i].first, static_cast<int64_t>(i) + 1) << "call " << i;
    EXPECT_EQ(log.calls[i].second, total);
  }
  // Reporting progress must not change the samples.
  std::vector<float> plain;
  ASSERT_EQ(run(request(plain)), TWEEDIE_OK);
  EXPECT_EQ(out, plain);
}

TEST_F(RuntimeApi, ANonzeroProgressReturnCancelsAndTheSessionStaysUsable) {
  std::vector<float> out;
  tweedie_sample_request r = request(out);
  ProgressLog log;
  log.cancelAfter = 3;
  r.progress = recordProgress;
  r.progress_user_data = &log;
  std::string message;
  EXPECT_EQ(run(r, &message), TWEEDIE_CANCELLED);
  EXPECT_EQ(message, "sampling was cancelled");
  EXPECT_LT(static_cast<int64_t>(log.calls.size()), log.calls.front().second)
      << "work stopped early";

  std::vector<float> again, fresh = sampleRange(module_, 0, kCount, kSeed, 1);
  ASSERT_EQ(run(request(again)), TWEEDIE_OK);
  EXPECT_EQ(again, fresh) << "a cancelled request leaves no state behind";
}

TEST_F(RuntimeApi, SessionCancelFromAWorkerThreadStopsTheRequest) {
  std::vector<float> out;
  tweedie_sample_request r = request(out);
  ProgressLog log;
  log.cancelAfter = 2;
  log.cancelSession = session_;
  r.progress = recordProgress;
  r.progress_user_data = &log;
  EXPECT_EQ(run(r), TWEEDIE_CANCELLED);
  // A cancel belongs to the running request: the next one runs to the end.
  std::vector<float> again;
  EXPECT_EQ(run(request(again)), TWEEDIE_OK);
}

/// A held call blocks in its first progress report until released.
struct HeldCall {
  std::mutex mutex;
  std::condition_variable changed;
  bool reporting = false, released = false;
};

int holdAtFirstReport(void *user, int64_t, int64_t) {
  auto *held = static_cast<HeldCall *>(user);
  std::unique_lock lock(held->mutex);
  held->reporting = true;
  held->changed.notify_all();
  held->changed.wait(lock, [&] { return held->released; });
  return 0;
}

TEST_F(RuntimeApi, ACancelReachesARunningCallThoughAnotherStartsAfterIt) {
  // Call A runs (held in its progress callback); the host cancels, then starts
  // call B on the same session. B started after the cancel and runs to the end;
  // A must still stop (a flag cleared on entry used to let B undo the cancel).
  HeldCall held;
  std::vector<float> outA;
  tweedie_sample_request a = request(outA);
  a.progress = holdAtFirstReport;
  a.progress_user_data = &held;
  tweedie_status_code codeA = TWEEDIE_OK;
  std::thread callA([&] { codeA = run(a); });
  {
    std::unique_lock lock(held.mutex);
    held.changed.wait(lock, [&] { return held.reporting; });
  }
  tweedie_session_cancel(session_);
  std::vector<float> outB, alone;
  EXPECT_EQ(run(request(outB)), TWEEDIE_OK) << "a call that starts after the cancel";
  {
    std::lock_guard lock(held.mutex);
    held.released = true;
  }
  held.changed.notify_all();
  callA.join();
  EXPECT_EQ(codeA, TWEEDIE_CANCELLED);
  // And concurrent calls on one session give the samples a lone call gives.
  EXPECT_EQ(run(request(alone)), TWEEDIE_OK);
  EXPECT_EQ(outB, alone);
}

TEST_F(RuntimeApi, HostNoiseEqualToThePriorGivesTheSameBits) {
  Tensor prior = priorNoise(*irPath_, kCount, kSeed);
  std::vector<float> noise(prior.data.begin(), prior.data.end());
  std::vector<float> fromPrior, fromHost;
  ASSERT_EQ(run(request(fromPrior)), TWEEDIE_OK);
  tweedie_sample_request r = request(fromHost);
  r.initial_noise = noise.data();
  ASSERT_EQ(run(r), TWEEDIE_OK);
  EXPECT_EQ(fromHost, fromPrior);
}

TEST_F(RuntimeApi, HostNoiseIsWhereTheChainStarts) {
  // Another starting point (a scaled, shifted prior): the compiled chain must
  // follow the float64 interpreter started from the same values, with the
  // per-step noise still drawn from the seed's stream.
  Tensor start = priorNoise(*irPath_, kCount, kSeed + 1000);
  for (double &v : start.data)
    v = 0.5 * v + 0.25;
  std::vector<float> noise(start.data.begin(), start.data.end());
  for (size_t i = 0; i < noise.size(); ++i)
    start.data[i] = noise[i]; // the oracle starts from the float32 values the runtime sees
  std::vector<float> out, fromPrior;
  tweedie_sample_request r = request(out);
  r.initial_noise = noise.data();
  ASSERT_EQ(run(r), TWEEDIE_OK);
  ASSERT_EQ(run(request(fromPrior)), TWEEDIE_OK);
  EXPECT_NE(out, fromPrior);
  std::vector<double> reference = referenceSamples(*irPath_, start, kSeed);
  EXPECT_LE(relativeError(out, reference), 1e-4);
}

TEST_F(RuntimeApi, AllocatedOutputHoldsTheSameSamples) {
  std::vector<float> expected;
  ASSERT_EQ(run(request(expected)), TWEEDIE_OK);
  std::vector<float> unused;
  tweedie_sample_request r = request(unused);
  float *allocated = nullptr;
  r.output = nullptr;
  r.allocated_output = &allocated;
  ASSERT_EQ(run(r), TWEEDIE_OK);
  ASSERT_NE(allocated, nullptr);
  EXPECT_EQ(std::memcmp(allocated, expected.data(), expected.size() * sizeof(float)), 0);
  tweedie_free(allocated);
}

/// A valid module whose arena is the verifier's largest (64 GiB per sample):
/// a request whose micro-batch arenas exceed the machine's memory is refused
/// before anything is allocated, naming the sizes.
TEST(RuntimeLimits, AnArenaLargerThanTheMachineIsRefusedBeforeAllocating) {
  using namespace tweedie::module;
  ModuleDesc d;
  d.producer = "test";
  d.entry = "sample";
  d.sampleShape = {4};
  d.steps = 1;
  d.arenaBytesPerSample = int64_t{1} << 36;
  d.values = {{ValueKind::Arena, {4}, 0}, {ValueKind::Arena, {4}, 16}};
  d.body = {OpDesc{OpKind::Act, {0}, 1, {}, {}, Activation::Tanh, ""}};
  d.state = 0;
  d.nextState = 1;
  const std::vector<std::byte> image = serializeModule(d);
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create(&instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, image, &status);
  ASSERT_NE(mod, nullptr) << tweedie_status_message(status);
  // 64 samples on 64 threads: 64 arenas of 64 GiB, more than any machine has.
  tweedie_session_options options{"cpu", 64};
  tweedie_session *session = nullptr;
  ASSERT_EQ(tweedie_session_create(mod, &options, &session), nullptr);
  std::vector<float> out(64 * 4);
  tweedie_sample_request r{};
  r.num_samples = 64;
  r.output = out.data();
  status = tweedie_session_sample(session, &r);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_OUT_OF_MEMORY);
  EXPECT_NE(std::string(tweedie_status_message(status))
                .find("the module's arena needs 64.00 GiB per sample, 4096.00 GiB for 64 "
                      "thread(s) of 1 sample(s), more than this machine's"),
            std::string::npos)
      << tweedie_status_message(status);
  tweedie_status_free(status);
  tweedie_session_destroy(session);
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
}

/// A host allocator that counts what it gives and takes back.
struct CountingAllocator {
  std::atomic<int> allocations{0}, releases{0};
  std::atomic<size_t> bytes{0};
  bool fail = false;
};

void *countingAllocate(void *user, size_t size, size_t alignment) {
  auto *a = static_cast<CountingAllocator *>(user);
  if (a->fail)
    return nullptr;
  ++a->allocations;
  a->bytes += size;
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void countingRelease(void *user, void *block) {
  ++static_cast<CountingAllocator *>(user)->releases;
  std::free(block);
}

/// The instance's allocator gives the working memory: every block it gives is
/// released, and the samples are the default allocator's bit for bit.
TEST_F(RuntimeApi, AHostAllocatorGivesTheWorkingMemory) {
  std::vector<float> expected;
  ASSERT_EQ(run(request(expected)), TWEEDIE_OK);
  CountingAllocator counter;
  tweedie_allocator allocator{countingAllocate, countingRelease, &counter};
  tweedie_instance_options options{sizeof(tweedie_instance_options), &allocator};
  tweedie_instance *instance = nullptr;
  ASSERT_EQ(tweedie_instance_create_with_options(&options, &instance), nullptr);
  tweedie_status *status = nullptr;
  tweedie_module *mod = load(instance, *image_, &status);
  ASSERT_NE(mod, nullptr) << tweedie_status_message(status);
  tweedie_session_options sessionOptions{"cpu", 2};
  tweedie_session *session = nullptr;
  ASSERT_EQ(tweedie_session_create(mod, &sessionOptions, &session), nullptr);
  std::vector<float> out;
  tweedie_sample_request r = request(out);
  ASSERT_EQ(tweedie_session_sample(session, &r), nullptr);
  EXPECT_EQ(out, expected);
  EXPECT_GE(counter.allocations.load(), 1);
  EXPECT_EQ(counter.releases.load(), counter.allocations.load());
  EXPECT_LE(counter.bytes.load(), tweedie_session_scratch_size(session, kCount));
  // An allocator that gives nothing: out of memory, said so.
  counter.fail = true;
  status = tweedie_session_sample(session, &r);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_OUT_OF_MEMORY);
  EXPECT_NE(std::string(tweedie_status_message(status)).find("the allocator gave no block"),
            std::string::npos)
      << tweedie_status_message(status);
  tweedie_status_free(status);
  tweedie_session_destroy(session);
  tweedie_module_destroy(mod);
  tweedie_instance_destroy(instance);
  // Options the runtime cannot use.
  tweedie_allocator half{countingAllocate, nullptr, &counter};
  tweedie_instance_options bad{sizeof(tweedie_instance_options), &half};
  status = tweedie_instance_create_with_options(&bad, &instance);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_INVALID_ARGUMENT);
  tweedie_status_free(status);
  tweedie_instance_options small{1, nullptr};
  status = tweedie_instance_create_with_options(&small, &instance);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_INVALID_ARGUMENT);
  tweedie_status_free(status);
}

/// Host-provided scratch of the size the session reports: the same samples;
/// too little or misaligned scratch is refused, naming what is needed.
TEST_F(RuntimeApi, HostScratchOfTheReportedSizeGivesTheSameSamples) {
  std::vector<float> expected;
  ASSERT_EQ(run(request(expected)), TWEEDIE_OK);
  const size_t bytes = tweedie_session_scratch_size(session_, kCount);
  ASSERT_GT(bytes, 0u);
  EXPECT_EQ(tweedie_session_scratch_size(session_, 0), 0u);
  EXPECT_LE(tweedie_session_scratch_size(session_, 1), bytes);
  void *scratch = std::aligned_alloc(64, bytes + 64);
  std::vector<float> out;
  tweedie_sample_request r = request(out);
  r.scratch = scratch;
  r.scratch_size = bytes;
  ASSERT_EQ(run(r), TWEEDIE_OK);
  EXPECT_EQ(out, expected);
  // Any first sample fits the same size.
  r.first_sample = 37;
  EXPECT_EQ(run(r), TWEEDIE_OK);
  r.first_sample = 0;
  std::string message;
  r.scratch_size = bytes - 1;
  EXPECT_EQ(run(r, &message), TWEEDIE_INVALID_ARGUMENT);
  EXPECT_NE(message.find("this request needs " + std::to_string(bytes) + " bytes"),
            std::string::npos)
      << message;
  r.scratch = static_cast<char *>(scratch) + 8;
  r.scratch_size = bytes;
  EXPECT_EQ(run(r, &message), TWEEDIE_INVALID_ARGUMENT);
  EXPECT_NE(message.find("misaligned"), std::string::npos) << message;
  std::free(scratch);
}

/// A small request on many threads: mlp2d's chunks are sized to the request
/// (3 samples a thread for 10 on 4), so the reported scratch must cover one
/// arena per thread, not per aligned micro-batch; the samples stay the same.
TEST_F(RuntimeApi, HostScratchCoversASmallRequestOnManyThreads) {
  std::vector<float> expected;
  tweedie_sample_request whole = request(expected);
  ASSERT_EQ(run(whole), TWEEDIE_OK);
  tweedie_session_options options{"cpu", 4};
  tweedie_session *wide = nullptr;
  ASSERT_EQ(tweedie_session_create(module_, &options, &wide), nullptr);
  const int64_t count = 10;
  const size_t bytes = tweedie_session_scratch_size(wide, count);
  void *scratch = std::aligned_alloc(64, bytes);
  std::vector<float> out(count * tweedie_module_sample_size(module_));
  tweedie_sample_request r{};
  r.num_samples = count;
  r.seed = kSeed;
  r.output = out.data();
  r.scratch = scratch;
  r.scratch_size = bytes;
  tweedie_status *status = tweedie_session_sample(wide, &r);
  EXPECT_EQ(status, nullptr) << tweedie_status_message(status);
  tweedie_status_free(status);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), expected.begin()));
  std::free(scratch);
  tweedie_session_destroy(wide);
}

/// Zero samples is an empty result, not an error, with or without an output.
TEST_F(RuntimeApi, ZeroSamplesIsAnEmptyResult) {
  tweedie_sample_request r{};
  r.num_samples = 0;
  EXPECT_EQ(run(r), TWEEDIE_OK);
  float *allocated = reinterpret_cast<float *>(&r); // overwritten with NULL
  r.allocated_output = &allocated;
  EXPECT_EQ(run(r), TWEEDIE_OK);
  EXPECT_EQ(allocated, nullptr);
}

TEST_F(RuntimeApi, BadRequestsAreInvalidArguments) {
  std::vector<float> out;
  std::string message;
  tweedie_sample_request r = request(out);
  r.num_samples = -1;
  EXPECT_EQ(run(r, &message), TWEEDIE_INVALID_ARGUMENT);
  EXPECT_EQ(message, "num_samples must be >= 0");
  r = request(out);
  r.output = nullptr;
  EXPECT_EQ(run(r, &message), TWEEDIE_INVALID_ARGUMENT);
  EXPECT_NE(message.find("give either output or allocated_output"), std::string::npos);
  tweedie_session_options badThreads{"cpu", -2};
  tweedie_session *session = nullptr;
  tweedie_status *status = tweedie_session_create(module_, &badThreads, &session);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_INVALID_ARGUMENT);
  tweedie_status_free(status);
  tweedie_session_options gpu{"quantum", 1};
  status = tweedie_session_create(module_, &gpu, &session);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tweedie_status_message(status)).find("quantum"), std::string::npos)
      << tweedie_status_message(status);
  tweedie_status_free(status);
}

/// Device "cuda" probes the driver (dlopen; the runtime links no CUDA) and
/// says what it found: no driver, a driver without GPUs, or a GPU that this
/// runtime cannot run modules on yet. Never a crash, never a session.
TEST_F(RuntimeApi, CudaIsUnavailableWithWhatTheDriverFound) {
  tweedie_session_options cuda{"cuda", 1};
  tweedie_session *session = nullptr;
  tweedie_status *status = tweedie_session_create(module_, &cuda, &session);
  EXPECT_EQ(tweedie_status_get_code(status), TWEEDIE_UNAVAILABLE);
  EXPECT_EQ(session, nullptr);
  const std::string message = tweedie_status_message(status);
  tweedie_status_free(status);
  EXPECT_EQ(message.rfind("device 'cuda'", 0), 0u) << message;
  const bool noDriver = message.find("no CUDA driver on this machine") != std::string::npos;
  const bool noGpu = message.find("finds no") != std::string::npos;
  const bool gpu = message.find("(sm_") != std::string::npos;
  EXPECT_TRUE(noDriver || noGpu || gpu) << message;
  std::printf("device 'cuda' here: %s\n", message.c_str());
}

} // namespace
