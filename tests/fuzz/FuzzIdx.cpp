//===- FuzzIdx.cpp - libFuzzer target: IDX byte arrays --------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/IdxFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    tweedie::io::parseIdx({reinterpret_cast<const std::byte *>(data), size}, "fuzz.idx");
  } catch (const tweedie::io::FormatError &) {
  }
  return 0;
}
