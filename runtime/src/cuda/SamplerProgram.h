//===- SamplerProgram.h - a verified module, sampling on a GPU -----------===//
//
// The CUDA backend's sampler loop, a driver over its kernel registry
// (cuda/OpKernel.h): the module's constants uploaded once, one device arena
// per session (grown to its largest request) laid out by the compiler's plan
// (a value's rows at count x its planned offset, as on the CPU), every op
// its kernel's library calls and launches from the module's PTX, the whole
// loop captured as one CUDA graph (each step's scalars recorded in its
// launches) and replayed with one cuGraphLaunch.
// Host<->device copies happen at the request's edges only: the prior in
// (drawn from Noise.h's stream, the bits the CPU draws), the samples out.
//
// Convolutions are cuDNN calls; normalisation, attention, pooling, slices,
// transposes, upsampling, broadcasting arithmetic and the sampler steps
// generated kernels; concatenation 2-D copies. The adaptive integrators
// (rk45, likelihood) run cuda/Integrator.h's device-side RK45 instead of the
// loop. Not yet: channels-last values; preparing a module that needs them
// throws, naming what.
// Whole-batch runs (evaluations, training steps) are cuda::BatchProgram's.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_SAMPLERPROGRAM_H
#define TWEEDIE_RUNTIME_CUDA_SAMPLERPROGRAM_H

#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"
#include "cuda/OpKernel.h"
#include "cuda/ProgramResources.h"
#include "tweedie/module/ModuleDesc.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tweedie::cuda {

/// The PTX among `kernels` a GPU of `arch` ("sm_90") runs: its own, else
/// the newest older one (the driver JIT-compiles PTX forward); null if none.
const module::CudaKernelsDesc *ptxForArch(const std::vector<module::CudaKernelsDesc> &kernels,
                                          const std::string &arch);

class SamplerProgram {
public:
  /// On `gpus`' first GPU with `blas` and (for convolutions) `dnn`. Throws
  /// std::invalid_argument when the module has no PTX for this GPU or an op
  /// this backend cannot run yet (naming it), std::runtime_error when the
  /// driver or a library fails.
  SamplerProgram(module::ModuleDesc desc, const Availability &gpus,
                 const BlasAvailability &blas, const DnnAvailability &dnn);
  ~SamplerProgram();
  SamplerProgram(const SamplerProgram &) = delete;
  SamplerProgram &operator=(const SamplerProgram &) = delete;

  const module::ModuleDesc &desc() const { return desc_; }
  const Device &device() const { return resources_.context.device(); }

  /// Samples [firstSample, firstSample + count) of `seed`'s stream into
  /// `out` (count x sampleNumel floats, host memory), from `noise` (the
  /// same shape) as the prior when given. Throws tweedie::Error (Numeric)
  /// when a sample is not finite. An adaptive integrator reports the
  /// slowest sample's fraction of its interval to `progress` between graph
  /// replays (the fixed-step loop is one graph: nothing until it is done);
  /// false from it cancels, and sample returns false with `out` unwritten.
  bool sample(int64_t count, uint64_t seed, int64_t firstSample, const float *noise,
              float *out, const std::function<bool(double fraction)> &progress = {});
  /// The nodes of the last request's graph (its launches, matmuls and copies).
  size_t lastGraphNodes() const { return lastGraphNodes_; }

private:
  static const module::ModuleDesc &checked(const module::ModuleDesc &desc);
  /// The fixed-step loop, captured as one graph, replayed, waited for.
  void runLoop(const DeviceFrame &frame);
  /// `buffer`, grown to at least `bytes` (its old contents dropped).
  CUdeviceptr reserve(std::unique_ptr<DeviceBuffer> &buffer, size_t bytes);

  module::ModuleDesc desc_;
  ProgramResources resources_;
  size_t lastGraphNodes_ = 0;
  /// The session's arena and scratch, as large as its largest request so
  /// far: one allocation each, reused by every request that fits.
  std::unique_ptr<DeviceBuffer> arena_, scratch_;
};

} // namespace tweedie::cuda

#endif
