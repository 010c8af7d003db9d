//===- ProgramResources.h - what every CUDA driver of a module holds ------===//
//
// The CUDA backend has two drivers over its kernel registry, as the CPU
// backend does: the sampler loop (SamplerProgram) and whole-batch runs
// (BatchProgram, training and evaluation). Both hold the same things for a
// module: its ops' kernels, its PTX loaded for this GPU, a stream, the
// library handles, the constants on the device and the launcher that ties
// them together. This builds them once, in that order, and frees them.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_PROGRAMRESOURCES_H
#define TWEEDIE_RUNTIME_CUDA_PROGRAMRESOURCES_H

#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"
#include "cuda/OpKernel.h"
#include "tweedie/module/ModuleDesc.h"

#include <memory>
#include <vector>

namespace tweedie::cuda {

class ProgramResources {
public:
  /// For `desc`, which must outlive this. Throws std::invalid_argument when
  /// the module has no PTX for the GPU or an op the backend cannot run
  /// (naming it), std::runtime_error when the driver or a library fails.
  ProgramResources(const module::ModuleDesc &desc, const Availability &gpus,
                   const BlasAvailability &blas, const DnnAvailability &dnn);
  ~ProgramResources();
  ProgramResources(const ProgramResources &) = delete;
  ProgramResources &operator=(const ProgramResources &) = delete;

  /// The kernels' plans for `rows` rows; the scratch bytes the largest needs.
  size_t prepare(int64_t rows);
  /// Queues every op of the body on the stream in `frame`.
  void queueBody(const DeviceFrame &frame);
  /// Uploads constant k's host data again (a trained weight after an update).
  void uploadConstant(size_t k);
  /// What kernels queue their work with (the drivers' own launches too).
  Launcher &launcher() { return *launcher_; }

  Context context;
  CUstream stream = nullptr;
  std::vector<CUdeviceptr> constants;

private:
  const module::ModuleDesc &desc_;
  const BlasApi &blas_;
  BlasHandle blasHandle_ = nullptr;
  const DnnApi *dnn_ = nullptr; // set when the module has convolutions
  DnnHandle dnnHandle_ = nullptr;
  CUmodule module_ = nullptr;
  std::unique_ptr<Launcher> launcher_;
  /// The registry's kernel of each op (cuda/OpKernel.h).
  std::vector<std::unique_ptr<DeviceOpKernel>> kernels_;
};

} // namespace tweedie::cuda

#endif
