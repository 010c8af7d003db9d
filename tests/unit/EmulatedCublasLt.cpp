//===- EmulatedCublasLt.cpp - cuBLASLt's matmul on the host, for tests ----===//
#include "EmulatedCublasLt.h"
#include "EmulatedCudaDriver.h"

#include <cstdint>

namespace tweedie::testing {

namespace {

using namespace tweedie::cuda;

constexpr BlasStatus kSuccess = 0, kInvalidValue = 7, kNotSupported = 15;

struct Layout {
  int type;
  uint64_t rows, cols;
  int64_t ld;
};
struct Desc {
  int computeType, scaleType;
  bool transposeA = false, transposeB = false;
};

BlasStatus create(BlasHandle *handle) {
  static int context;
  *handle = reinterpret_cast<BlasHandle>(&context);
  return kSuccess;
}

const char *statusName(BlasStatus s) {
  switch (s) {
  case kSuccess: return "CUBLAS_STATUS_SUCCESS";
  case kInvalidValue: return "CUBLAS_STATUS_INVALID_VALUE";
  case kNotSupported: return "CUBLAS_STATUS_NOT_SUPPORTED";
  default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

BlasStatus descCreate(MatmulDesc *desc, int computeType, int scaleType) {
  *desc = reinterpret_cast<MatmulDesc>(new Desc{computeType, scaleType});
  return kSuccess;
}

BlasStatus descDestroy(MatmulDesc desc) {
  delete reinterpret_cast<Desc *>(desc);
  return kSuccess;
}

BlasStatus descSetAttribute(MatmulDesc descHandle, int attribute, const void *value,
                            size_t bytes) {
  auto &desc = *reinterpret_cast<Desc *>(descHandle);
  constexpr int kTransA = 3, kTransB = 4; // CUBLASLT_MATMUL_DESC_TRANS{A,B}
  if ((attribute != kTransA && attribute != kTransB) || bytes != sizeof(int32_t))
    return kNotSupported;
  const int32_t op = *static_cast<const int32_t *>(value);
  if (op != 0 && op != kOpTranspose)
    return kNotSupported; // conjugates are not for real matrices
  (attribute == kTransA ? desc.transposeA : desc.transposeB) = op == kOpTranspose;
  return kSuccess;
}

BlasStatus layoutCreate(MatrixLayout *layout, int type, uint64_t rows, uint64_t cols,
                        int64_t ld) {
  if (ld < static_cast<int64_t>(rows))
    return kInvalidValue;
  *layout = reinterpret_cast<MatrixLayout>(new Layout{type, rows, cols, ld});
  return kSuccess;
}

BlasStatus layoutDestroy(MatrixLayout layout) {
  delete reinterpret_cast<Layout *>(layout);
  return kSuccess;
}

BlasStatus matmul(BlasHandle, MatmulDesc descHandle, const void *alpha, const void *a,
                  MatrixLayout aHandle, const void *b, MatrixLayout bHandle, const void *beta,
                  const void *c, MatrixLayout cHandle, void *d, MatrixLayout dHandle,
                  const void *algo, void *, size_t, CUstream stream) {
  const auto &desc = *reinterpret_cast<const Desc *>(descHandle);
  const auto &la = *reinterpret_cast<const Layout *>(aHandle);
  const auto &lb = *reinterpret_cast<const Layout *>(bHandle);
  const auto &lc = *reinterpret_cast<const Layout *>(cHandle);
  const auto &ld = *reinterpret_cast<const Layout *>(dHandle);
  if (desc.computeType != kComputeFloat32 || desc.scaleType != kFloat32 || algo)
    return kNotSupported; // the only configuration Tweedie asks for
  for (const Layout *l : {&la, &lb, &lc, &ld})
    if (l->type != kFloat32)
      return kNotSupported;
  // op(A) is m x k, op(B) k x n.
  const uint64_t m = desc.transposeA ? la.cols : la.rows;
  const uint64_t depth = desc.transposeA ? la.rows : la.cols;
  const uint64_t bRows = desc.transposeB ? lb.cols : lb.rows;
  const uint64_t n = desc.transposeB ? lb.rows : lb.cols;
  if (depth != bRows || m != ld.rows || n != ld.cols || lc.rows != ld.rows || lc.cols != ld.cols)
    return kInvalidValue;
  const bool ta = desc.transposeA, tb = desc.transposeB;
  // alpha and beta are read now, as cuBLASLt reads host scalars; the
  // product runs when the stream gets to it (or in the captured graph).
  const float s = *static_cast<const float *>(alpha), t = *static_cast<const float *>(beta);
  auto *pa = static_cast<const float *>(a), *pb = static_cast<const float *>(b);
  auto *pc = static_cast<const float *>(c);
  auto *pd = static_cast<float *>(d);
  const CUresult queued = emulatedEnqueue(stream, [=] {
    for (uint64_t j = 0; j < ld.cols; ++j)
      for (uint64_t i = 0; i < ld.rows; ++i) {
        float sum = 0.0f;
        for (uint64_t k = 0; k < depth; ++k)
          sum += (ta ? pa[k + i * la.ld] : pa[i + k * la.ld]) *
                 (tb ? pb[j + k * lb.ld] : pb[k + j * lb.ld]);
        const float prior = t != 0.0f ? t * pc[i + j * lc.ld] : 0.0f;
        pd[i + j * ld.ld] = s * sum + prior;
      }
    countEmulatedMatmul();
  });
  return queued == 0 ? kSuccess : kNotSupported;
}

} // namespace

const BlasAvailability &emulatedCublasLt() {
  static const BlasApi api = [] {
    BlasApi a;
    a.create = create;
    a.destroy = [](BlasHandle) { return kSuccess; };
    a.statusName = statusName;
    a.matmulDescCreate = descCreate;
    a.matmulDescDestroy = descDestroy;
    a.matmulDescSetAttribute = descSetAttribute;
    a.layoutCreate = layoutCreate;
    a.layoutDestroy = layoutDestroy;
    a.matmul = matmul;
    return a;
  }();
  static const BlasAvailability availability{&api, ""};
  return availability;
}

} // namespace tweedie::testing
