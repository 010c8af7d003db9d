//===- FuzzKernelLibrary.cpp - libFuzzer target: the kernel object loader -===//
//
// Loads (maps, checks, relocates) but never calls: a mutated object that
// passes is still code, which runs only when a module samples.
//
//===----------------------------------------------------------------------===//
#include "cpu/KernelLibrary.h"
#include "tweedie/io/FormatError.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    tweedie::cpu::KernelLibrary library({reinterpret_cast<const std::byte *>(data), size},
                                        "fuzz.tweedie");
    try {
      (void)library.function("tweedie_affine_xyz");
    } catch (const tweedie::io::FormatError &) {
    }
  } catch (const tweedie::io::FormatError &) {
  }
  return 0;
}
