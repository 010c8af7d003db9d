//===- tweedie.hpp - header-only C++ wrapper of tweedie.h -----------------===//
//
//   tweedie::Instance instance;
//   tweedie::Module module(instance, "unet28.tweedie");
//   tweedie::Session session(module, {.threads = 4});
//   std::vector<float> x = session.sample(16, /*seed=*/7);
//
// Errors throw tweedie::Error with the runtime's code and message.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TWEEDIE_HPP
#define TWEEDIE_TWEEDIE_HPP

#include "tweedie/tweedie.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tweedie {

class Error : public std::runtime_error {
public:
  Error(tweedie_status_code code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  tweedie_status_code code() const { return code_; }

private:
  tweedie_status_code code_;
};

namespace detail {
inline void check(tweedie_status *status) {
  if (!status)
    return;
  Error error(tweedie_status_get_code(status), tweedie_status_message(status));
  tweedie_status_free(status);
  throw error;
}
} // namespace detail

class Instance {
public:
  Instance() {
    tweedie_instance *raw = nullptr;
    detail::check(tweedie_instance_create(&raw));
    handle_.reset(raw);
  }
  /// An instance whose working memory comes from the host's allocator.
  explicit Instance(const tweedie_allocator &allocator) {
    tweedie_instance_options options{sizeof(tweedie_instance_options), &allocator};
    tweedie_instance *raw = nullptr;
    detail::check(tweedie_instance_create_with_options(&options, &raw));
    handle_.reset(raw);
  }
  tweedie_instance *get() const { return handle_.get(); }

private:
  struct Deleter {
    void operator()(tweedie_instance *p) const { tweedie_instance_destroy(p); }
  };
  std::unique_ptr<tweedie_instance, Deleter> handle_;
};

class Module {
public:
  Module(const Instance &instance, const std::string &path) {
    tweedie_module *raw = nullptr;
    detail::check(tweedie_module_load_file(instance.get(), path.c_str(), &raw));
    handle_.reset(raw);
  }
  Module(const Instance &instance, std::span<const std::byte> image) {
    tweedie_module *raw = nullptr;
    detail::check(
        tweedie_module_load_memory(instance.get(), image.data(), image.size(), &raw));
    handle_.reset(raw);
  }
  tweedie_module *get() const { return handle_.get(); }

  std::vector<int64_t> sampleShape() const {
    std::vector<int64_t> shape(tweedie_module_sample_rank(get()));
    for (size_t i = 0; i < shape.size(); ++i)
      shape[i] = tweedie_module_sample_dim(get(), i);
    return shape;
  }
  int64_t sampleSize() const { return tweedie_module_sample_size(get()); }
  int64_t steps() const { return tweedie_module_steps(get()); }
  /// 0 for a sampler; the prior std of a likelihood module.
  double likelihoodPriorStd() const { return tweedie_module_likelihood_prior_std(get()); }
  std::string description() const { return tweedie_module_description(get()); }

private:
  struct Deleter {
    void operator()(tweedie_module *p) const { tweedie_module_destroy(p); }
  };
  std::unique_ptr<tweedie_module, Deleter> handle_;
};

struct SessionOptions {
  std::string device = "cpu";
  int threads = 0; // 0: all hardware threads
};

/// (steps done, steps total) -> false to cancel.
using Progress = std::function<bool(int64_t, int64_t)>;

struct SampleOptions {
  int64_t firstSample = 0;
  const float *initialNoise = nullptr; // count x sampleSize, or null
  Progress progress;
};

class Session {
public:
  Session(const Module &module, const SessionOptions &options = {}) : module_(&module) {
    tweedie_session_options raw{options.device.c_str(), options.threads};
    tweedie_session *session = nullptr;
    detail::check(tweedie_session_create(module.get(), &raw, &session));
    handle_.reset(session);
  }

  /// Writes count x sampleSize floats into `out`.
  void sample(int64_t count, uint64_t seed, std::span<float> out,
              const SampleOptions &options = {}) {
    if (static_cast<int64_t>(out.size()) < count * module_->sampleSize())
      throw Error(TWEEDIE_INVALID_ARGUMENT, "output buffer is too small");
    tweedie_sample_request request{};
    request.num_samples = count;
    request.seed = seed;
    request.first_sample = options.firstSample;
    request.initial_noise = options.initialNoise;
    request.output = out.data();
    const Progress *progress = options.progress ? &options.progress : nullptr;
    if (progress) {
      request.progress = [](void *user, int64_t done, int64_t total) -> int {
        return (*static_cast<const Progress *>(user))(done, total) ? 0 : 1;
      };
      request.progress_user_data = const_cast<Progress *>(progress);
    }
    detail::check(tweedie_session_sample(handle_.get(), &request));
  }

  std::vector<float> sample(int64_t count, uint64_t seed, const SampleOptions &options = {}) {
    std::vector<float> out(static_cast<size_t>(count * module_->sampleSize()));
    sample(count, seed, out, options);
    return out;
  }

  /// A likelihood module's log p(x) in nats for `count` points of
  /// sampleSize() - 1 floats each.
  std::vector<double> logLikelihood(std::span<const float> data, int64_t count,
                                    const Progress &progress = {}) {
    if (static_cast<int64_t>(data.size()) < count * (module_->sampleSize() - 1))
      throw Error(TWEEDIE_INVALID_ARGUMENT, "data buffer is too small");
    std::vector<double> logP(static_cast<size_t>(count));
    tweedie_likelihood_request request{};
    request.num_points = count;
    request.data = data.data();
    request.log_p = logP.data();
    if (progress) {
      request.progress = [](void *user, int64_t done, int64_t total) -> int {
        return (*static_cast<const Progress *>(user))(done, total) ? 0 : 1;
      };
      request.progress_user_data = const_cast<Progress *>(&progress);
    }
    detail::check(tweedie_session_log_likelihood(handle_.get(), &request));
    return logP;
  }

  /// Stops a running sample() from another thread (it throws TWEEDIE_CANCELLED).
  void cancel() { tweedie_session_cancel(handle_.get()); }

private:
  struct Deleter {
    void operator()(tweedie_session *p) const { tweedie_session_destroy(p); }
  };
  const Module *module_;
  std::unique_ptr<tweedie_session, Deleter> handle_;
};

} // namespace tweedie

#endif
