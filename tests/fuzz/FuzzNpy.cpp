//===- FuzzNpy.cpp - libFuzzer target: .npy arrays ------------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/NpyFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    tweedie::io::parseNpy({reinterpret_cast<const std::byte *>(data), size}, "fuzz.npy");
  } catch (const tweedie::io::FormatError &) {
    // The one way a reader may refuse its input; anything else escapes and
    // libFuzzer reports it.
  }
  return 0;
}
