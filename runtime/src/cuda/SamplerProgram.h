//===- SamplerProgram.h - a verified module, sampling on a GPU -----------===//
//
// The CUDA backend's sampler loop: the module's constants uploaded once, one
// device arena per request sized by the compiler's plan (a value's rows at
// count x its planned offset, as on the CPU), every op a cuBLASLt call or a
// launch of a kernel from the module's PTX (module/DeviceKernels.h names
// them), the whole loop captured as one CUDA graph (each step's scalars
// recorded in its launches) and replayed with one cuGraphLaunch.
// Host<->device copies happen at the request's edges only: the prior in
// (drawn from Noise.h's stream, the bits the CPU draws), the samples out.
//
// Convolutions are cuDNN calls; group normalisation, attention, transposes,
// upsampling, broadcasting arithmetic and the Langevin corrector generated
// kernels; concatenation 2-D copies. Not yet: the adaptive integrators,
// channels-last values, the remaining ops (MALA, slices, pooling, layer norm,
// time embeddings, ...) and training; preparing a module that needs them
// throws, naming the op.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_SAMPLERPROGRAM_H
#define TWEEDIE_RUNTIME_CUDA_SAMPLERPROGRAM_H

#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"
#include "tweedie/module/ModuleDesc.h"

#include <map>
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
  const Device &device() const { return context_.device(); }

  /// Samples [firstSample, firstSample + count) of `seed`'s stream into
  /// `out` (count x sampleNumel floats, host memory), from `noise` (the
  /// same shape) as the prior when given. Throws tweedie::Error (Numeric)
  /// when a sample is not finite.
  void sample(int64_t count, uint64_t seed, int64_t firstSample, const float *noise,
              float *out);
  /// The nodes of the last request's graph (its launches, matmuls and copies).
  size_t lastGraphNodes() const { return lastGraphNodes_; }

private:
  /// One request's device memory and per-shape library plans.
  struct Request {
    CUdeviceptr arena = 0;
    int64_t rows = 0;
    std::vector<std::unique_ptr<Convolution>> convolutions; // by op
    CUdeviceptr workspace = 0, normScratch = 0;
  };

  /// Where value `index` lives for a request of `rows` samples at `step`.
  CUdeviceptr pointer(int32_t index, CUdeviceptr arena, int64_t rows, int64_t step) const;
  CUfunction kernel(const std::string &name);
  void runOp(size_t index, const Request &request, int64_t step, uint64_t seed,
             int64_t firstSample);
  /// op's act(out + bias) + residual in place, the bias by channel
  /// (i / inner) % channels.
  void epilogue(const module::OpDesc &op, CUdeviceptr out, int64_t rows, int64_t step,
                CUdeviceptr arena, int64_t channels, int64_t inner);
  /// Launches the strided layer kernel `name` (gather, broadcast): out,
  /// inputs, n, sizes and one stride list per input, padded to kGatherRank
  /// axes with leading ones.
  void strided(const std::string &name, CUdeviceptr out, std::vector<CUdeviceptr> inputs,
               int64_t n, std::vector<int64_t> sizes,
               std::vector<std::vector<int64_t>> strides);
  /// out[i] = x[digits of i in sizes . strides] (the gather layer kernel).
  void gather(CUdeviceptr out, CUdeviceptr x, int64_t n, std::vector<int64_t> sizes,
              std::vector<int64_t> strides);
  /// [rows] ++ shape for arena values, the stored shape otherwise.
  std::vector<int64_t> fullShape(int32_t value, int64_t rows) const;
  /// `value`'s strides read against the full shape `out` (NumPy broadcasting:
  /// 0 where it repeats).
  std::vector<int64_t> broadcastStrides(int32_t value, const std::vector<int64_t> &out,
                                        int64_t rows) const;

  module::ModuleDesc desc_;
  Context context_;
  const BlasApi &blas_;
  BlasHandle blasHandle_ = nullptr;
  const DnnApi *dnn_ = nullptr; // set when the module has convolutions
  DnnHandle dnnHandle_ = nullptr;
  CUmodule module_ = nullptr;
  CUstream stream_ = nullptr;
  size_t lastGraphNodes_ = 0;
  std::map<std::string, CUfunction> kernels_;
  std::vector<CUdeviceptr> constants_;
};

} // namespace tweedie::cuda

#endif
