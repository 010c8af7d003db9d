//===- HostKernels.h - generated kernels compiled for this CPU, opened ----===//
//
// The GPU kernels the compiler generates are func.func kernels the CPU
// lowering compiles too: tests compile them for the host and call them, to
// check them against Noise.h and the float64 reference without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_HOSTKERNELS_H
#define TWEEDIE_TESTS_HOSTKERNELS_H

#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace tweedie::testing {

/// A rank-1 memref as the kernels' C interfaces take it.
template <typename T> struct MemRef1D {
  T *allocated, *aligned;
  int64_t offset, size, stride;
  explicit MemRef1D(std::vector<T> &v)
      : allocated(v.data()), aligned(v.data()), offset(0), size(std::ssize(v)), stride(1) {}
};

/// The kernels `build` adds to an empty module, compiled for `cpu` into a
/// shared object (named after `tag` and this process) and opened; error()
/// says why not.
class HostKernels {
public:
  HostKernels(const std::function<void(mlir::ModuleOp)> &build, const std::string &tag,
              const std::string &cpu);
  ~HostKernels();
  HostKernels(const HostKernels &) = delete;
  HostKernels &operator=(const HostKernels &) = delete;

  const std::string &error() const { return error_; }
  /// Kernel `name`'s C interface, or null.
  template <typename Fn> Fn function(const std::string &name) const {
    return reinterpret_cast<Fn>(symbol("_mlir_ciface_" + name));
  }

private:
  void *symbol(const std::string &name) const;

  std::string error_;
  void *handle_ = nullptr;
};

/// Asserts `got` and `want` hold the same bits, element for element.
template <typename T>
void expectSameBits(const std::vector<T> &got, const std::vector<T> &want,
                    const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(T)), 0)
        << what << " element " << i << ": " << got[i] << " against " << want[i];
}

} // namespace tweedie::testing

#endif
