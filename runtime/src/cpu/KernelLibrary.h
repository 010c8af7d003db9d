//===- KernelLibrary.h - generated kernels loaded from a module's bytes ---===//
//
// tweedie-compile lowers the fused elementwise groups through linalg and LLVM
// to a shared object and stores its bytes in the module. The runtime does not
// hand those bytes to the system loader (dlopen would run the object's
// constructors and parse its relocations before any check of ours): it loads
// them itself, as IREE's embedded-ELF loader does, and accepts only the
// restricted objects the compiler makes:
//   - x86-64 ELF64 ET_DYN, little-endian; loadable segments inside the file, no
//     page both writable and executable, no executable stack;
//   - no constructors or destructors (DT_INIT/FINI, init/fini/preinit arrays),
//     no NEEDED libraries, no interpreter, no TLS, no text relocations;
//   - no imported symbols: every symbol is defined in the object;
//   - relocations only R_X86_64_RELATIVE, _64, _GLOB_DAT and _JUMP_SLOT against
//     the object's own symbols, each applied and bounds-checked here.
// So loading a module never runs its code and never reads outside its bytes.
// Its kernels are still native code that runs when the module samples: load
// modules you trust, or compile with --kernels builtin (no code in the module).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_KERNELLIBRARY_H
#define TWEEDIE_RUNTIME_CPU_KERNELLIBRARY_H

#include <cstddef>
#include <cstdint>
#include <map>
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
  /// Checks and maps a shared object image; throws io::FormatError naming
  /// `origin` and the first thing the restricted format does not allow.
  KernelLibrary(std::span<const std::byte> image, const std::string &origin);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// The C-interface entry of kernel `name`; throws when it is missing.
  void *function(const std::string &name) const;

private:
  std::byte *base_ = nullptr; // the mapped image (vaddr 0)
  size_t mappedBytes_ = 0;
  std::map<std::string, uint64_t> functions_; // exported name -> vaddr
  std::string origin_;
};

} // namespace tweedie::cpu

#endif
