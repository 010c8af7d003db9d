//===- KernelLibrary.h - generated kernels loaded from a module's bytes ---===//
//
// tweedie-compile lowers the fused elementwise groups through linalg and LLVM
// to a shared object and stores its bytes in the module. The runtime loads it
// without touching the file system: an anonymous memory file (memfd_create)
// opened with dlopen. A module therefore carries code: load only modules you
// trust, as you would a shared library.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_KERNELLIBRARY_H
#define TWEEDIE_RUNTIME_CPU_KERNELLIBRARY_H

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tweedie::cpu {

/// A rank-1 memref as MLIR's C interface passes it (llvm.emit_c_interface).
struct MemRef1D {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

/// x, y, z -> out with coefficients a, b, c (and the variant without z).
using AffineKernelXYZ = void (*)(MemRef1D *, MemRef1D *, MemRef1D *, MemRef1D *, float,
                                 float, float);
using AffineKernelXY = void (*)(MemRef1D *, MemRef1D *, MemRef1D *, float, float);

inline MemRef1D memref1D(const float *data, int64_t count) {
  auto *p = const_cast<float *>(data);
  return MemRef1D{p, p, 0, {count}, {1}};
}

class KernelLibrary {
public:
  /// Loads a shared object image; throws io::FormatError naming `origin`.
  KernelLibrary(std::span<const std::byte> image, const std::string &origin);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// The C-interface entry of kernel `name`; throws when it is missing.
  void *function(const std::string &name) const;

private:
  void *handle_ = nullptr;
  int fd_ = -1;
  std::string origin_;
};

} // namespace tweedie::cpu

#endif
