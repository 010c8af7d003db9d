//===- CublasLt.cpp ---------------------------------------------------------===//
#include "cuda/CublasLt.h"
#include "cuda/DynamicLibrary.h"

#include <stdexcept>

namespace tweedie::cuda {

namespace {

BlasAvailability probe() {
  static BlasApi api; // lives as long as the (never unloaded) library
  BlasAvailability out;
  std::string why;
  void *library = openFirst({"libcublasLt.so.13", "libcublasLt.so.12",
                             "/usr/local/cuda/lib64/libcublasLt.so.13"},
                            why);
  if (!library) {
    out.why = "no cuBLASLt on this machine (" + why + ")";
    return out;
  }
  const bool all = resolve(library, "cublasLtCreate", api.create) &&
                   resolve(library, "cublasLtDestroy", api.destroy) &&
                   resolve(library, "cublasLtGetStatusName", api.statusName) &&
                   resolve(library, "cublasLtMatmulDescCreate", api.matmulDescCreate) &&
                   resolve(library, "cublasLtMatmulDescDestroy", api.matmulDescDestroy) &&
                   resolve(library, "cublasLtMatmulDescSetAttribute",
                           api.matmulDescSetAttribute) &&
                   resolve(library, "cublasLtMatrixLayoutCreate", api.layoutCreate) &&
                   resolve(library, "cublasLtMatrixLayoutDestroy", api.layoutDestroy) &&
                   resolve(library, "cublasLtMatmul", api.matmul);
  if (!all)
    out.why = "cuBLASLt lacks entry points this runtime calls";
  else
    out.api = &api;
  return out;
}

} // namespace

void check(const BlasApi &api, BlasStatus status, const char *what) {
  if (status == 0)
    return;
  const char *name = api.statusName ? api.statusName(status) : nullptr;
  throw std::runtime_error(std::string("cuBLASLt: ") + what + " failed: " +
                           (name ? name : "status " + std::to_string(status)));
}

const BlasAvailability &blasAvailability() {
  static const BlasAvailability probed = probe();
  return probed;
}

Gemm::Gemm(const BlasApi &api, BlasHandle handle, int64_t rows, int64_t in, int64_t out,
           bool transposeX)
    : api_(api), handle_(handle) {
  check(api_, api_.matmulDescCreate(&desc_, kComputeFloat32, kFloat32),
        "cublasLtMatmulDescCreate");
  // Column-major views: w^T is out x in (ld out), x^T in x rows (ld in),
  // y^T out x rows (ld out). A stored x^T [in, rows] is x (rows x in, ld
  // rows) to cuBLASLt, which transposes it back.
  auto layout = [&](MatrixLayout &l, int64_t r, int64_t c) {
    check(api_, api_.layoutCreate(&l, kFloat32, r, c, r), "cublasLtMatrixLayoutCreate");
  };
  layout(w_, out, in);
  if (transposeX) {
    check(api_,
          api_.matmulDescSetAttribute(desc_, kMatmulDescTransB, &kOpTranspose,
                                      sizeof(kOpTranspose)),
          "cublasLtMatmulDescSetAttribute(TRANSB)");
    layout(x_, rows, in);
  } else {
    layout(x_, in, rows);
  }
  layout(y_, out, rows);
}

Gemm::~Gemm() {
  for (MatrixLayout l : {w_, x_, y_})
    if (l)
      api_.layoutDestroy(l);
  if (desc_)
    api_.matmulDescDestroy(desc_);
}

void Gemm::run(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y, CUstream stream) const {
  const float one = 1.0f, zero = 0.0f;
  auto p = [](CUdeviceptr d) { return reinterpret_cast<void *>(d); };
  check(api_,
        api_.matmul(handle_, desc_, &one, p(w), w_, p(x), x_, &zero, p(y), y_, p(y), y_,
                    nullptr, nullptr, 0, stream),
        "cublasLtMatmul");
}

} // namespace tweedie::cuda
