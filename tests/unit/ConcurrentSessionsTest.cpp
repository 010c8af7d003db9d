//===- ConcurrentSessionsTest.cpp - what tweedie.h says threads may share ===//
//
// tweedie.h: an instance and a module may be shared by any number of threads
// and sessions; a session may run several calls at once; a cancel from any
// thread reaches the calls that started before it. Each case here does that
// from host threads and checks the samples against one thread alone, bit for
// bit. Links only the runtime (no MLIR), so scripts/test-sanitizers.sh runs it
// under ThreadSanitizer; the module comes from tweedie-compile (ctest fixture).
//
//   tweedie-concurrency-tests --module=M.tweedie [gtest flags]
//
//===----------------------------------------------------------------------===//
#include "tweedie/tweedie.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string gModulePath;
constexpr int kThreads = 4;
constexpr int64_t kPerThread = 48;
constexpr uint64_t kSeed = 17;

std::vector<std::byte> readModule() {
  std::ifstream in(gModulePath, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty()) << "cannot read --module=" << gModulePath;
  return std::vector<std::byte>(reinterpret_cast<std::byte *>(bytes.data()),
                                reinterpret_cast<std::byte *>(bytes.data()) + bytes.size());
}

class ConcurrentSessions : public ::testing::Test {
protected:
  void SetUp() override {
    image_ = readModule();
    ASSERT_EQ(tweedie_instance_create(&instance_), nullptr);
    module_ = load();
    ASSERT_NE(module_, nullptr);
    width_ = tweedie_module_sample_size(module_);
  }
  void TearDown() override {
    tweedie_module_destroy(module_);
    tweedie_instance_destroy(instance_);
  }

  tweedie_module *load() const {
    tweedie_module *m = nullptr;
    tweedie_status *status =
        tweedie_module_load_memory(instance_, image_.data(), image_.size(), &m);
    EXPECT_EQ(status, nullptr) << tweedie_status_message(status);
    tweedie_status_free(status);
    return m;
  }

  static tweedie_session *session(tweedie_module *m) {
    // One worker per call: the concurrency is the host's threads.
    tweedie_session_options options{"cpu", 1};
    tweedie_session *s = nullptr;
    tweedie_status_free(tweedie_session_create(m, &options, &s));
    return s;
  }

  /// Samples [first, first + count) into out; the status code.
  static tweedie_status_code sample(tweedie_session *s, int64_t first, int64_t count,
                                    float *out, tweedie_progress_fn progress = nullptr,
                                    void *user = nullptr) {
    tweedie_sample_request r{};
    r.num_samples = count;
    r.seed = kSeed;
    r.first_sample = first;
    r.output = out;
    r.progress = progress;
    r.progress_user_data = user;
    tweedie_status *status = tweedie_session_sample(s, &r);
    const tweedie_status_code code = tweedie_status_get_code(status);
    tweedie_status_free(status);
    return code;
  }

  /// Samples [0, kThreads * kPerThread) on one thread: the reference.
  std::vector<float> alone() {
    std::vector<float> out(kThreads * kPerThread * width_);
    tweedie_session *s = session(module_);
    EXPECT_EQ(sample(s, 0, kThreads * kPerThread, out.data()), TWEEDIE_OK);
    tweedie_session_destroy(s);
    return out;
  }

  /// Starts kThreads host threads; thread k samples slice k of [0, kThreads *
  /// kPerThread) into `out`, on `shared` or (null) on a session of its own.
  void startSlices(tweedie_session *shared, std::vector<float> &out,
                   std::atomic<int> &failures, std::vector<std::thread> &threads) {
    for (int k = 0; k < kThreads; ++k)
      threads.emplace_back([&, shared, k] {
        tweedie_session *s = shared ? shared : session(module_);
        if (sample(s, k * kPerThread, kPerThread, out.data() + k * kPerThread * width_) !=
            TWEEDIE_OK)
          ++failures;
        if (!shared)
          tweedie_session_destroy(s);
      });
  }

  std::vector<std::byte> image_;
  tweedie_instance *instance_ = nullptr;
  tweedie_module *module_ = nullptr;
  int64_t width_ = 0;
};

TEST_F(ConcurrentSessions, SessionsOnOneModuleGiveTheSamplesOfOneThread) {
  const std::vector<float> expected = alone();
  std::vector<float> out(expected.size());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  startSlices(nullptr, out, failures, threads);
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, expected);
}

TEST_F(ConcurrentSessions, CallsOnOneSessionRunAtOnce) {
  const std::vector<float> expected = alone();
  std::vector<float> out(expected.size());
  tweedie_session *shared = session(module_);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  startSlices(shared, out, failures, threads);
  for (std::thread &t : threads)
    t.join();
  tweedie_session_destroy(shared);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, expected);
}

TEST_F(ConcurrentSessions, ModulesLoadConcurrentlyFromOneImage) {
  const std::vector<float> expected = alone();
  std::vector<float> out(expected.size());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int k = 0; k < kThreads; ++k)
    threads.emplace_back([&, k] {
      tweedie_module *m = load();
      tweedie_session *s = m ? session(m) : nullptr;
      if (!s ||
          sample(s, k * kPerThread, kPerThread, out.data() + k * kPerThread * width_) !=
              TWEEDIE_OK)
        ++failures;
      tweedie_session_destroy(s);
      tweedie_module_destroy(m);
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, expected);
}

/// Cancels its session from inside its own first progress report, while
/// other sessions on the module keep sampling.
int cancelOwnSession(void *user, int64_t, int64_t) {
  tweedie_session_cancel(static_cast<tweedie_session *>(user));
  return 0;
}

TEST_F(ConcurrentSessions, ACancelStopsOnlyItsSessionsCalls) {
  const std::vector<float> expected = alone();
  std::vector<float> out(expected.size()), cancelled(kPerThread * width_);
  tweedie_session *doomed = session(module_);
  tweedie_status_code doomedCode = TWEEDIE_OK;
  std::thread canceller([&] {
    doomedCode = sample(doomed, 0, kPerThread, cancelled.data(), cancelOwnSession, doomed);
  });
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  startSlices(nullptr, out, failures, threads);
  canceller.join();
  for (std::thread &t : threads)
    t.join();
  tweedie_session_destroy(doomed);
  EXPECT_EQ(doomedCode, TWEEDIE_CANCELLED);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, expected);
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--module=", 9) == 0)
      gModulePath = argv[i] + 9;
  const bool listing = ::testing::GTEST_FLAG(list_tests);
  if (gModulePath.empty() && !listing) {
    std::fprintf(stderr, "usage: %s --module=M.tweedie [gtest flags]\n", argv[0]);
    return 2;
  }
  return RUN_ALL_TESTS();
}
