//===- CublasLt.h - cuBLASLt's matmul, loaded at run time ----------------===//
//
// Dense layers' matmuls on CUDA are cuBLASLt calls. Like the driver, the
// library is opened with dlopen when a CUDA program is built (libcublasLt.so.13,
// then .12, from the CUDA toolkit or a runtime package), so the runtime links
// no CUDA library; the few types are declared here by their ABI (handles are
// pointers, enums ints), and building needs no CUDA headers.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_CUBLASLT_H
#define TWEEDIE_RUNTIME_CUDA_CUBLASLT_H

#include "cuda/CudaDriver.h"

#include <cstdint>
#include <string>

namespace tweedie::cuda {

using BlasStatus = int;
using BlasHandle = struct cublasLtContext *;
using MatmulDesc = struct cublasLtMatmulDescOpaque_t *;
using MatrixLayout = struct cublasLtMatrixLayoutOpaque_t *;

/// cuBLASLt's enumerators Tweedie uses (cublas_api.h, library_types.h).
inline constexpr int kComputeFloat32 = 68; // CUBLAS_COMPUTE_32F: no TF32
inline constexpr int kFloat32 = 0;         // CUDA_R_32F
inline constexpr int kMatmulDescTransB = 4; // CUBLASLT_MATMUL_DESC_TRANSB (int32)
inline constexpr int32_t kOpTranspose = 1;  // CUBLAS_OP_T

/// The entry points Tweedie calls (null until loaded).
struct BlasApi {
  BlasStatus (*create)(BlasHandle *) = nullptr;
  BlasStatus (*destroy)(BlasHandle) = nullptr;
  const char *(*statusName)(BlasStatus) = nullptr;
  BlasStatus (*matmulDescCreate)(MatmulDesc *, int computeType, int scaleType) = nullptr;
  BlasStatus (*matmulDescDestroy)(MatmulDesc) = nullptr;
  BlasStatus (*matmulDescSetAttribute)(MatmulDesc, int attribute, const void *value,
                                       size_t bytes) = nullptr;
  BlasStatus (*layoutCreate)(MatrixLayout *, int type, uint64_t rows, uint64_t cols,
                             int64_t ld) = nullptr;
  BlasStatus (*layoutDestroy)(MatrixLayout) = nullptr;
  BlasStatus (*matmul)(BlasHandle, MatmulDesc, const void *alpha, const void *a,
                       MatrixLayout aDesc, const void *b, MatrixLayout bDesc, const void *beta,
                       const void *c, MatrixLayout cDesc, void *d, MatrixLayout dDesc,
                       const void *algo, void *workspace, size_t workspaceBytes,
                       CUstream stream) = nullptr;
};

/// cuBLASLt loaded once per process: the API, or why not (api null).
struct BlasAvailability {
  const BlasApi *api = nullptr;
  std::string why;
};
const BlasAvailability &blasAvailability();

/// Throws std::runtime_error naming `what` and the status when it is not
/// success.
void check(const BlasApi &api, BlasStatus status, const char *what);

/// y [rows, out] = x [rows, in] w [in, out], all row-major float32, float32
/// accumulation (TF32 off). Row-major matrices are column-major transposes,
/// so cuBLASLt computes y^T = w^T x^T with no transposition flags; with
/// `transposeX`, x is stored as x^T [in, rows] (a weight's gradient: the
/// batch's inputs transposed times its output cotangents) and B is marked
/// transposed.
class Gemm {
public:
  /// In `handle`'s library context (cublasLtCreate), which outlives this.
  Gemm(const BlasApi &api, BlasHandle handle, int64_t rows, int64_t in, int64_t out,
       bool transposeX = false);
  ~Gemm();
  Gemm(const Gemm &) = delete;
  Gemm &operator=(const Gemm &) = delete;

  void run(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y, CUstream stream) const;

private:
  const BlasApi &api_;
  BlasHandle handle_;
  MatmulDesc desc_ = nullptr;
  MatrixLayout w_ = nullptr, x_ = nullptr, y_ = nullptr;
};

} // namespace tweedie::cuda

#endif
