/*===- tweedie.h - the Tweedie runtime's C API ---------------------------===*
 *
 * Load a compiled sampler module and draw samples:
 *
 *   tweedie_instance *inst;  tweedie_module *mod;  tweedie_session *sess;
 *   tweedie_instance_create(&inst);
 *   tweedie_module_load_file(inst, "mlp2d.tweedie", &mod);
 *   tweedie_session_options opts = {"cpu", 4};
 *   tweedie_session_create(mod, &opts, &sess);
 *   tweedie_sample_request req = {0};
 *   req.num_samples = 1000;  req.seed = 7;  req.output = buffer;
 *   tweedie_status *st = tweedie_session_sample(sess, &req);
 *   if (st) { puts(tweedie_status_message(st)); tweedie_status_free(st); }
 *
 * Every fallible call returns NULL on success or a status the caller frees.
 * Sample i of a request with seed s is the same whatever the batch split or
 * thread count (and the same as sample first_sample + i of another request).
 *
 * Threads: an instance and a loaded module are immutable and may be shared by
 * any number of threads and sessions. A session may run several
 * tweedie_session_sample / _log_likelihood calls at once from different
 * threads (each call has its own workers and memory);
 * tweedie_session_cancel may be called from any thread. Destroying an object
 * while a call uses it (or a module before its sessions) is the caller's error.
 *
 * Trust: a module compiled with generated kernels carries native x86-64 code,
 * which runs when the module samples. Loading never runs it: the runtime maps
 * the code itself and refuses objects with constructors, imports, NEEDED
 * libraries or relocations it cannot check. Load such modules only from
 * sources you trust, as you would a shared library; a module compiled with
 * `--kernels builtin` carries no code at all.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TWEEDIE_TWEEDIE_H
#define TWEEDIE_TWEEDIE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: instance options (a host allocator), host-provided scratch,
 * TWEEDIE_OUT_OF_MEMORY. */
#define TWEEDIE_API_VERSION 2

#if defined(__GNUC__)
#define TWEEDIE_EXPORT __attribute__((visibility("default")))
#else
#define TWEEDIE_EXPORT
#endif

typedef struct tweedie_instance tweedie_instance;
typedef struct tweedie_module tweedie_module;
typedef struct tweedie_session tweedie_session;
typedef struct tweedie_status tweedie_status;

typedef enum tweedie_status_code {
  TWEEDIE_OK = 0,
  TWEEDIE_INVALID_ARGUMENT = 1, /* a NULL pointer, bad count, unknown device */
  TWEEDIE_INVALID_MODULE = 2,   /* corrupt, truncated or incompatible module */
  TWEEDIE_IO_ERROR = 3,         /* a file could not be read */
  TWEEDIE_NUMERIC_ERROR = 4,    /* NaN or infinity during sampling */
  TWEEDIE_CANCELLED = 5,        /* the progress callback asked to stop */
  TWEEDIE_UNAVAILABLE = 6,      /* the device is not present on this machine */
  TWEEDIE_INTERNAL = 7,         /* a library call failed */
  TWEEDIE_OUT_OF_MEMORY = 8     /* more than the machine or the host allocator gives */
} tweedie_status_code;

TWEEDIE_EXPORT tweedie_status_code tweedie_status_get_code(const tweedie_status *status);
/* A message naming the problem; valid until the status is freed. */
TWEEDIE_EXPORT const char *tweedie_status_message(const tweedie_status *status);
TWEEDIE_EXPORT void tweedie_status_free(tweedie_status *status);

/* The runtime's version string, e.g. "0.3.0". */
TWEEDIE_EXPORT const char *tweedie_version(void);

TWEEDIE_EXPORT tweedie_status *tweedie_instance_create(tweedie_instance **out);

/* Where the runtime takes its working memory (the micro-batch arenas a
 * sample call runs in) when the call brings no scratch of its own. allocate
 * returns a block of `size` bytes aligned to `alignment` (a power of two), or
 * NULL; release frees a block allocate gave. Both may be called from any
 * worker thread at once. */
typedef struct tweedie_allocator {
  void *(*allocate)(void *user_data, size_t size, size_t alignment);
  void (*release)(void *user_data, void *block);
  void *user_data;
} tweedie_allocator;

typedef struct tweedie_instance_options {
  size_t struct_size;                 /* sizeof(tweedie_instance_options) */
  const tweedie_allocator *allocator; /* NULL: the C library's aligned_alloc/free;
                                         copied, so it need not outlive the call */
} tweedie_instance_options;

TWEEDIE_EXPORT tweedie_status *
tweedie_instance_create_with_options(const tweedie_instance_options *options,
                                     tweedie_instance **out);
TWEEDIE_EXPORT void tweedie_instance_destroy(tweedie_instance *instance);

/* Loads and verifies a module (checksums, structure, every index and shape). */
TWEEDIE_EXPORT tweedie_status *tweedie_module_load_file(tweedie_instance *instance,
                                                        const char *path,
                                                        tweedie_module **out);
TWEEDIE_EXPORT tweedie_status *tweedie_module_load_memory(tweedie_instance *instance,
                                                          const void *data, size_t size,
                                                          tweedie_module **out);
TWEEDIE_EXPORT void tweedie_module_destroy(tweedie_module *module);

/* The per-sample shape of the module's samples (without the batch). */
TWEEDIE_EXPORT size_t tweedie_module_sample_rank(const tweedie_module *module);
TWEEDIE_EXPORT int64_t tweedie_module_sample_dim(const tweedie_module *module,
                                                 size_t axis);
/* Floats per sample: the product of the sample dims. */
TWEEDIE_EXPORT int64_t tweedie_module_sample_size(const tweedie_module *module);
/* Steps of the sampler; for an adaptive one (rk45) the most steps a sample
 * may take. */
TWEEDIE_EXPORT int64_t tweedie_module_steps(const tweedie_module *module);
/* A one-line description: network, method, schedule, prediction, steps. */
TWEEDIE_EXPORT const char *tweedie_module_description(const tweedie_module *module);

typedef struct tweedie_session_options {
  const char *device; /* "cpu" (NULL means "cpu") or "cuda" (the first GPU) */
  int32_t threads;    /* 0: all hardware threads */
} tweedie_session_options;

TWEEDIE_EXPORT tweedie_status *
tweedie_session_create(tweedie_module *module, const tweedie_session_options *options,
                       tweedie_session **out);
TWEEDIE_EXPORT void tweedie_session_destroy(tweedie_session *session);

/* Called as work progresses with (units done, units total) over all
 * micro-batches (a unit is a step, or for an adaptive sampler a thousandth of
 * a micro-batch's time interval); return nonzero to cancel the request. Calls come from worker
 * threads, never two at a time. */
typedef int (*tweedie_progress_fn)(void *user_data, int64_t done, int64_t total);

typedef struct tweedie_sample_request {
  int64_t num_samples;
  uint64_t seed;
  int64_t first_sample;         /* index of sample 0 in the seed's stream */
  const float *initial_noise;   /* num_samples x sample size, or NULL */
  float *output;                /* num_samples x sample size, or NULL: see below */
  float **allocated_output;     /* when output is NULL: receives a buffer to
                                   release with tweedie_free (NULL for 0 samples) */
  tweedie_progress_fn progress; /* optional */
  void *progress_user_data;
  void *scratch;                /* optional: tweedie_session_scratch_size bytes,
                                   64-byte aligned; the call then allocates no
                                   working memory. One call at a time per block. */
  size_t scratch_size;
} tweedie_sample_request;

/* Bytes of scratch a sample call of num_samples samples needs on this
 * session (whatever its first_sample): one arena per worker thread. */
TWEEDIE_EXPORT size_t tweedie_session_scratch_size(const tweedie_session *session,
                                                   int64_t num_samples);

TWEEDIE_EXPORT tweedie_status *
tweedie_session_sample(tweedie_session *session, const tweedie_sample_request *request);

/* Asks every tweedie_session_sample (and _log_likelihood) call that has started
 * on the session to stop; each then returns TWEEDIE_CANCELLED. Calls that start
 * later are not affected. Any thread may call it. */
TWEEDIE_EXPORT void tweedie_session_cancel(tweedie_session *session);

/* Likelihood modules (compiled from sampler.likelihood) integrate data to
 * the prior along the probability-flow ODE. 0 for a sampler; otherwise the
 * std s of the prior N(0, s^2 I) the flow ends in. */
TWEEDIE_EXPORT double tweedie_module_likelihood_prior_std(const tweedie_module *module);

typedef struct tweedie_likelihood_request {
  int64_t num_points;
  const float *data;            /* num_points x (sample size - 1) */
  double *log_p;                /* receives num_points values: log p(x) in nats */
  tweedie_progress_fn progress; /* optional */
  void *progress_user_data;
} tweedie_likelihood_request;

/* log p(x) of each data point under a likelihood module's model. */
TWEEDIE_EXPORT tweedie_status *
tweedie_session_log_likelihood(tweedie_session *session,
                               const tweedie_likelihood_request *request);

TWEEDIE_EXPORT void tweedie_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
