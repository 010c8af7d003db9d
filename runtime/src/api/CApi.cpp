//===- CApi.cpp - tweedie.h on top of the C++ runtime ---------------------===//
//
// Every entry point catches everything: a C caller sees a status, never an
// exception or an abort.
//
//===----------------------------------------------------------------------===//
#include "tweedie/tweedie.h"
#include "cuda/CudaDriver.h"
#include "cuda/SamplerProgram.h"
#include "cpu/Program.h"
#include "tweedie/Error.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/module/ModuleDesc.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>

#ifndef TWEEDIE_VERSION_STRING
#define TWEEDIE_VERSION_STRING "0.0.0"
#endif

struct tweedie_status {
  tweedie_status_code code;
  std::string message;
};

struct tweedie_instance {
  /// The host's allocator for working memory, if it gave one.
  std::optional<tweedie::cpu::HostAllocator> allocator;
};

struct tweedie_module {
  std::unique_ptr<tweedie::cpu::Program> program;
  std::string description;
  const tweedie_instance *instance = nullptr;
};

/// Calls on a session may run concurrently. Each call takes a ticket as it
/// starts; a cancel stops every call whose ticket it has seen, so it neither
/// reaches calls that start after it nor is undone by them (a flag cleared on
/// entry was lost when a second call started).
struct tweedie_session {
  tweedie_module *module;
  int threads;
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> cancelledThrough{0};
  /// Device "cuda": the module's GPU program, one request at a time.
  std::unique_ptr<tweedie::cuda::SamplerProgram> gpu;
  std::mutex gpuMutex;
};

namespace {

tweedie_status *make(tweedie_status_code code, std::string message) {
  return new (std::nothrow) tweedie_status{code, std::move(message)};
}

/// Runs `body`, mapping exceptions to statuses.
tweedie_status_code codeOf(tweedie::ErrorKind kind) {
  switch (kind) {
  case tweedie::ErrorKind::InvalidArgument:
    return TWEEDIE_INVALID_ARGUMENT;
  case tweedie::ErrorKind::InvalidModule:
    return TWEEDIE_INVALID_MODULE;
  case tweedie::ErrorKind::Numeric:
    return TWEEDIE_NUMERIC_ERROR;
  case tweedie::ErrorKind::OutOfMemory:
    return TWEEDIE_OUT_OF_MEMORY;
  case tweedie::ErrorKind::Internal:
    return TWEEDIE_INTERNAL;
  }
  return TWEEDIE_INTERNAL;
}

/// Runs `body`, mapping exceptions to statuses: an Error says what kind it
/// is; a format error is the module's; an invalid argument while a module
/// loads is the module asking for what this backend cannot build.
template <typename F> tweedie_status *guarded(F &&body) {
  try {
    return body();
  } catch (const tweedie::Error &e) {
    return make(codeOf(e.kind()), e.what());
  } catch (const tweedie::io::FormatError &e) {
    return make(TWEEDIE_INVALID_MODULE, e.what());
  } catch (const std::bad_alloc &) {
    return make(TWEEDIE_OUT_OF_MEMORY, "out of memory");
  } catch (const std::invalid_argument &e) {
    return make(TWEEDIE_INVALID_MODULE, e.what());
  } catch (const std::exception &e) {
    return make(TWEEDIE_INTERNAL, e.what());
  } catch (...) {
    return make(TWEEDIE_INTERNAL, "unknown error");
  }
}

tweedie_status *loadModule(const tweedie_instance *instance, std::span<const std::byte> image,
                           const std::string &origin, tweedie_module **out) {
  auto module = std::make_unique<tweedie_module>();
  module->instance = instance;
  tweedie::module::ModuleDesc desc = tweedie::module::parseModule(image, origin);
  module->description = desc.network + ": " + desc.method + ", " + desc.schedule +
                        ", prediction " + desc.prediction + ", " +
                        (desc.integrator ? "adaptive, at most " : "") +
                        std::to_string(desc.steps) + " steps";
  if (!desc.cudaKernels.empty()) {
    module->description += "; CUDA kernels for";
    for (const tweedie::module::CudaKernelsDesc &k : desc.cudaKernels)
      module->description += " " + k.arch;
  }
  module->program = std::make_unique<tweedie::cpu::Program>(std::move(desc), origin);
  *out = module.release();
  return nullptr;
}

} // namespace

extern "C" {

tweedie_status_code tweedie_status_get_code(const tweedie_status *s) {
  return s ? s->code : TWEEDIE_OK;
}
const char *tweedie_status_message(const tweedie_status *s) {
  return s ? s->message.c_str() : "ok";
}
void tweedie_status_free(tweedie_status *s) { delete s; }
const char *tweedie_version(void) { return TWEEDIE_VERSION_STRING; }

tweedie_status *tweedie_instance_create(tweedie_instance **out) {
  if (!out)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_instance_create: out is NULL");
  *out = new (std::nothrow) tweedie_instance();
  return *out ? nullptr : make(TWEEDIE_OUT_OF_MEMORY, "out of memory");
}

tweedie_status *tweedie_instance_create_with_options(const tweedie_instance_options *options,
                                                     tweedie_instance **out) {
  if (!out)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_instance_create_with_options: out is NULL");
  *out = nullptr;
  if (options && options->struct_size < sizeof(tweedie_instance_options))
    return make(TWEEDIE_INVALID_ARGUMENT,
                "tweedie_instance_options.struct_size is " +
                    std::to_string(options->struct_size) + ", expected at least " +
                    std::to_string(sizeof(tweedie_instance_options)));
  const tweedie_allocator *a = options ? options->allocator : nullptr;
  if (a && (!a->allocate || !a->release))
    return make(TWEEDIE_INVALID_ARGUMENT, "the allocator needs both allocate and release");
  *out = new (std::nothrow) tweedie_instance();
  if (!*out)
    return make(TWEEDIE_OUT_OF_MEMORY, "out of memory");
  if (a)
    (*out)->allocator = tweedie::cpu::HostAllocator{a->allocate, a->release, a->user_data};
  return nullptr;
}

void tweedie_instance_destroy(tweedie_instance *instance) { delete instance; }

tweedie_status *tweedie_module_load_file(tweedie_instance *instance, const char *path,
                                         tweedie_module **out) {
  if (!instance || !path || !out)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_module_load_file: NULL argument");
  *out = nullptr;
  std::vector<std::byte> image;
  try {
    image = tweedie::io::readFile(path);
  } catch (const std::exception &e) {
    return make(TWEEDIE_IO_ERROR, e.what());
  }
  return guarded([&] { return loadModule(instance, image, path, out); });
}

tweedie_status *tweedie_module_load_memory(tweedie_instance *instance, const void *data,
                                           size_t size, tweedie_module **out) {
  if (!instance || (!data && size > 0) || !out)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_module_load_memory: NULL argument");
  *out = nullptr;
  return guarded([&] {
    return loadModule(instance, {static_cast<const std::byte *>(data), data ? size : 0},
                      "<memory>", out);
  });
}

void tweedie_module_destroy(tweedie_module *module) { delete module; }

size_t tweedie_module_sample_rank(const tweedie_module *m) {
  return m ? m->program->desc().sampleShape.size() : 0;
}
int64_t tweedie_module_sample_dim(const tweedie_module *m, size_t axis) {
  if (!m || axis >= m->program->desc().sampleShape.size())
    return 0;
  return m->program->desc().sampleShape[axis];
}
int64_t tweedie_module_sample_size(const tweedie_module *m) {
  return m ? m->program->desc().sampleNumel() : 0;
}
int64_t tweedie_module_steps(const tweedie_module *m) {
  return m ? m->program->desc().steps : 0;
}
const char *tweedie_module_description(const tweedie_module *m) {
  return m ? m->description.c_str() : "";
}

tweedie_status *tweedie_session_create(tweedie_module *module,
                                       const tweedie_session_options *options,
                                       tweedie_session **out) {
  if (!module || !out)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_session_create: NULL argument");
  *out = nullptr;
  const char *device = options && options->device ? options->device : "cpu";
  const bool cuda = std::strcmp(device, "cuda") == 0;
  if (cuda) {
    // The driver is probed (dlopen) so that the message says what is there.
    const tweedie::cuda::Availability &gpus = tweedie::cuda::availability();
    if (gpus.devices.empty())
      return make(TWEEDIE_UNAVAILABLE, "device 'cuda' is not available: " + gpus.why);
  } else if (std::strcmp(device, "cpu") != 0) {
    return make(TWEEDIE_INVALID_ARGUMENT,
                std::string("unknown device '") + device + "' (devices: \"cpu\", \"cuda\")");
  }
  int threads = options ? options->threads : 0;
  if (threads < 0)
    return make(TWEEDIE_INVALID_ARGUMENT, "thread count must be >= 0");
  if (threads == 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto session = std::unique_ptr<tweedie_session>(new (std::nothrow)
                                                      tweedie_session{module, threads});
  if (!session)
    return make(TWEEDIE_OUT_OF_MEMORY, "out of memory");
  if (cuda)
    if (tweedie_status *status = guarded([&]() -> tweedie_status * {
          auto unavailable = [](const std::exception &e) {
            return make(TWEEDIE_UNAVAILABLE, std::string("device 'cuda': ") + e.what());
          };
          try {
            session->gpu = std::make_unique<tweedie::cuda::SamplerProgram>(
                module->program->desc(), tweedie::cuda::availability(),
                tweedie::cuda::blasAvailability(), tweedie::cuda::dnnAvailability());
          } catch (const std::invalid_argument &e) { // a module or op not for CUDA yet
            return unavailable(e);
          } catch (const std::runtime_error &e) { // cuBLASLt missing, the driver failing
            return unavailable(e);
          }
          return nullptr;
        }))
      return status;
  *out = session.release();
  return nullptr;
}

void tweedie_session_destroy(tweedie_session *session) { delete session; }

void tweedie_session_cancel(tweedie_session *session) {
  if (!session)
    return;
  const uint64_t latest = session->started.load();
  uint64_t seen = session->cancelledThrough.load();
  while (seen < latest && !session->cancelledThrough.compare_exchange_weak(seen, latest)) {
  }
}

tweedie_status *tweedie_session_sample(tweedie_session *session,
                                       const tweedie_sample_request *request) {
  if (!session || !request)
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_session_sample: NULL argument");
  if (request->num_samples < 0)
    return make(TWEEDIE_INVALID_ARGUMENT, "num_samples must be >= 0");
  if (request->first_sample < 0 ||
      request->first_sample + request->num_samples > (int64_t{1} << 32))
    return make(TWEEDIE_INVALID_ARGUMENT,
                "sample indices must lie in [0, 2^32) (the noise stream's range)");
  if (request->num_samples == 0) { // an empty result: nothing to write, nothing to run
    if (!request->output && request->allocated_output)
      *request->allocated_output = nullptr;
    return nullptr;
  }
  if (!request->output && !request->allocated_output)
    return make(TWEEDIE_INVALID_ARGUMENT,
                "give either output or allocated_output to receive the samples");
  tweedie::cpu::Program &program = *session->module->program;
  const size_t floats =
      static_cast<size_t>(request->num_samples) * program.desc().sampleNumel();
  float *out = request->output;
  if (!out) {
    out = static_cast<float *>(std::malloc(std::max<size_t>(floats, 1) * sizeof(float)));
    if (!out)
      return make(TWEEDIE_OUT_OF_MEMORY, "out of memory for the samples");
  }
  const uint64_t ticket = ++session->started;
  // Hands the samples over, or frees what was allocated for them on failure.
  auto deliver = [&](tweedie_status *status) {
    if (!request->output) {
      if (status)
        std::free(out);
      else
        *request->allocated_output = out;
    }
    return status;
  };
  if (session->gpu) {
    // A fixed-step loop is one graph on the GPU: progress is reported when it
    // is done, and a cancel is seen before it starts only. An integrator
    // reports (and sees a cancel) between its graph replays, in thousandths
    // of its interval, as the CPU does.
    tweedie_status *status = guarded([&]() -> tweedie_status * {
      if (session->cancelledThrough.load() >= ticket)
        return make(TWEEDIE_CANCELLED, "sampling was cancelled");
      const int64_t total = program.desc().integrator ? 1000 : program.desc().steps;
      int64_t reported = 0;
      auto progress = [&](double fraction) {
        if (session->cancelledThrough.load() >= ticket)
          return false;
        const int64_t ticks =
            std::clamp<int64_t>(static_cast<int64_t>(fraction * total), 0, total);
        if (!request->progress || ticks <= reported)
          return true;
        reported = ticks;
        return request->progress(request->progress_user_data, ticks, total) == 0;
      };
      std::lock_guard lock(session->gpuMutex);
      if (!session->gpu->sample(request->num_samples, request->seed, request->first_sample,
                                request->initial_noise, out, progress))
        return make(TWEEDIE_CANCELLED, "sampling was cancelled");
      if (request->progress && reported < total)
        request->progress(request->progress_user_data, total, total);
      return nullptr;
    });
    return deliver(status);
  }
  tweedie::cpu::SampleJob job;
  job.count = request->num_samples;
  job.seed = request->seed;
  job.firstSample = request->first_sample;
  job.noise = request->initial_noise;
  job.out = out;
  job.threads = session->threads;
  job.scratch = static_cast<std::byte *>(request->scratch);
  job.scratchSize = request->scratch_size;
  const tweedie_instance *instance = session->module->instance;
  job.allocator = instance && instance->allocator ? &*instance->allocator : nullptr;
  job.progress = [&](int64_t done, int64_t total) {
    if (session->cancelledThrough.load() >= ticket)
      return false;
    return !request->progress ||
           request->progress(request->progress_user_data, done, total) == 0;
  };
  tweedie_status *status = guarded([&]() -> tweedie_status * {
    if (program.sample(job) == tweedie::cpu::SampleOutcome::Cancelled)
      return make(TWEEDIE_CANCELLED, "sampling was cancelled");
    return nullptr;
  });
  return deliver(status);
}

size_t tweedie_session_scratch_size(const tweedie_session *session, int64_t num_samples) {
  return session ? session->module->program->scratchBytes(num_samples, session->threads) : 0;
}

double tweedie_module_likelihood_prior_std(const tweedie_module *m) {
  return m ? m->program->desc().likelihoodPriorStd : 0.0;
}

tweedie_status *tweedie_session_log_likelihood(tweedie_session *session,
                                               const tweedie_likelihood_request *request) {
  if (!session || !request || (request->num_points > 0 && (!request->data || !request->log_p)))
    return make(TWEEDIE_INVALID_ARGUMENT, "tweedie_session_log_likelihood: NULL argument");
  const tweedie::module::ModuleDesc &desc = session->module->program->desc();
  const double prior = desc.likelihoodPriorStd;
  if (!(prior > 0))
    return make(TWEEDIE_INVALID_ARGUMENT,
                "this module is a sampler; compile a sampler.likelihood for log p(x)");
  if (request->num_points < 0 || request->num_points > (int64_t{1} << 32))
    return make(TWEEDIE_INVALID_ARGUMENT, "num_points must lie in [0, 2^32]");
  const int64_t width = desc.sampleNumel(), d = width - 1, n = request->num_points;
  // Rows [x, 0] in, [x_T, l] out.
  std::vector<float> rows(static_cast<size_t>(n * width), 0.0f), out(rows.size());
  for (int64_t r = 0; r < n; ++r)
    std::copy_n(request->data + r * d, d, rows.begin() + r * width);
  tweedie_sample_request flow{};
  flow.num_samples = n;
  flow.initial_noise = rows.data();
  flow.output = out.data();
  flow.progress = request->progress;
  flow.progress_user_data = request->progress_user_data;
  if (tweedie_status *status = tweedie_session_sample(session, &flow))
    return status;
  const double logNormalizer =
      0.5 * static_cast<double>(d) * std::log(2 * std::numbers::pi * prior * prior);
  for (int64_t r = 0; r < n; ++r) {
    double squares = 0;
    for (int64_t j = 0; j < d; ++j)
      squares += static_cast<double>(out[r * width + j]) * out[r * width + j];
    request->log_p[r] =
        -0.5 * squares / (prior * prior) - logNormalizer + out[r * width + d];
  }
  return nullptr;
}

void tweedie_free(void *buffer) { std::free(buffer); }

} // extern "C"
