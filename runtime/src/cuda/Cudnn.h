//===- Cudnn.h - cuDNN's convolutions, loaded at run time ----------------===//
//
// Convolutions on CUDA are cuDNN 9 calls (its descriptor API, which the
// libcudnn.so.9 shim exports), opened with dlopen like the driver and
// cuBLASLt; the types are declared here by their ABI.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_CUDNN_H
#define TWEEDIE_RUNTIME_CUDA_CUDNN_H

#include "cuda/CudaDriver.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tweedie::cuda {

using DnnStatus = int;
using DnnHandle = struct cudnnContext *;
using TensorDesc = struct cudnnTensorStruct *;
using FilterDesc = struct cudnnFilterStruct *;
using ConvDesc = struct cudnnConvolutionStruct *;

/// cudnnConvolutionFwdAlgoPerf_t (and the BwdData / BwdFilter ones, which
/// are laid out alike).
struct ConvAlgoPerf {
  int algo, status;
  float time;
  size_t memory;
  int determinism, mathType;
  int reserved[3];
};

/// cuDNN's enumerators Tweedie uses (cudnn_graph.h).
inline constexpr int kDnnNchw = 0, kDnnFloat = 0, kDnnCrossCorrelation = 1;
inline constexpr int kDnnFmaMath = 3; // no tensor cores: no TF32

/// The entry points Tweedie calls (null until loaded).
struct DnnApi {
  DnnStatus (*create)(DnnHandle *) = nullptr;
  DnnStatus (*destroy)(DnnHandle) = nullptr;
  DnnStatus (*setStream)(DnnHandle, CUstream) = nullptr;
  const char *(*errorString)(DnnStatus) = nullptr;
  DnnStatus (*createTensor)(TensorDesc *) = nullptr;
  DnnStatus (*setTensor4d)(TensorDesc, int format, int type, int n, int c, int h, int w) =
      nullptr;
  DnnStatus (*destroyTensor)(TensorDesc) = nullptr;
  DnnStatus (*createFilter)(FilterDesc *) = nullptr;
  DnnStatus (*setFilter4d)(FilterDesc, int type, int format, int k, int c, int h, int w) =
      nullptr;
  DnnStatus (*destroyFilter)(FilterDesc) = nullptr;
  DnnStatus (*createConv)(ConvDesc *) = nullptr;
  DnnStatus (*setConv2d)(ConvDesc, int padH, int padW, int strideH, int strideW, int dilationH,
                         int dilationW, int mode, int computeType) = nullptr;
  DnnStatus (*setConvGroups)(ConvDesc, int) = nullptr;
  DnnStatus (*setConvMath)(ConvDesc, int) = nullptr;
  DnnStatus (*destroyConv)(ConvDesc) = nullptr;
  DnnStatus (*forwardAlgorithms)(DnnHandle, TensorDesc, FilterDesc, ConvDesc, TensorDesc,
                                 int requested, int *returned, ConvAlgoPerf *) = nullptr;
  DnnStatus (*forwardWorkspace)(DnnHandle, TensorDesc, FilterDesc, ConvDesc, TensorDesc,
                                int algo, size_t *) = nullptr;
  DnnStatus (*forward)(DnnHandle, const void *alpha, TensorDesc, const void *x, FilterDesc,
                       const void *w, ConvDesc, int algo, void *workspace, size_t bytes,
                       const void *beta, TensorDesc, void *y) = nullptr;
  // The training step's two backward passes.
  DnnStatus (*backwardDataAlgorithms)(DnnHandle, FilterDesc, TensorDesc dy, ConvDesc,
                                      TensorDesc dx, int requested, int *returned,
                                      ConvAlgoPerf *) = nullptr;
  DnnStatus (*backwardDataWorkspace)(DnnHandle, FilterDesc, TensorDesc dy, ConvDesc,
                                     TensorDesc dx, int algo, size_t *) = nullptr;
  DnnStatus (*backwardData)(DnnHandle, const void *alpha, FilterDesc, const void *w,
                            TensorDesc, const void *dy, ConvDesc, int algo, void *workspace,
                            size_t bytes, const void *beta, TensorDesc, void *dx) = nullptr;
  DnnStatus (*backwardFilterAlgorithms)(DnnHandle, TensorDesc x, TensorDesc dy, ConvDesc,
                                        FilterDesc dw, int requested, int *returned,
                                        ConvAlgoPerf *) = nullptr;
  DnnStatus (*backwardFilterWorkspace)(DnnHandle, TensorDesc x, TensorDesc dy, ConvDesc,
                                       FilterDesc dw, int algo, size_t *) = nullptr;
  DnnStatus (*backwardFilter)(DnnHandle, const void *alpha, TensorDesc, const void *x,
                              TensorDesc, const void *dy, ConvDesc, int algo, void *workspace,
                              size_t bytes, const void *beta, FilterDesc, void *dw) = nullptr;
};

/// cuDNN loaded once per process: the API, or why not (api null).
struct DnnAvailability {
  const DnnApi *api = nullptr;
  std::string why;
};
const DnnAvailability &dnnAvailability();

/// Throws std::runtime_error naming `what` and the status when it fails.
void check(const DnnApi &api, DnnStatus status, const char *what);

/// y [N, K, P, Q] = conv(x [N, C, H, W], w [K, C / groups, R, S]) in NCHW
/// float32 (cross-correlation, as the score dialect and PyTorch define it),
/// FMA math (TF32 off), the algorithm cuDNN's heuristics rank first; or one
/// of its backward passes, for a training step.
class Convolution {
public:
  /// run(a, b, out): Forward (x, w) -> y; BackwardData (dy, w) -> dx;
  /// BackwardFilter (x, dy) -> dw, summed over the batch.
  enum class Pass { Forward, BackwardData, BackwardFilter };
  struct Shape {
    int64_t n, c, h, w, k, r, s, p, q;
    std::array<int64_t, 2> stride, padding;
    int64_t groups;
  };
  Convolution(const DnnApi &api, DnnHandle handle, const Shape &shape,
              Pass pass = Pass::Forward);
  ~Convolution();
  Convolution(const Convolution &) = delete;
  Convolution &operator=(const Convolution &) = delete;

  /// Device bytes the pass needs as workspace.
  size_t workspaceBytes() const { return workspace_; }
  void run(CUdeviceptr a, CUdeviceptr b, CUdeviceptr out, CUdeviceptr workspace) const;

private:
  const DnnApi &api_;
  DnnHandle handle_;
  TensorDesc x_ = nullptr, y_ = nullptr;
  FilterDesc w_ = nullptr;
  ConvDesc conv_ = nullptr;
  Pass pass_;
  int algo_ = 0;
  size_t workspace_ = 0;
};

} // namespace tweedie::cuda

#endif
