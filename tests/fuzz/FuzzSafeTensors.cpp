//===- FuzzSafeTensors.cpp - libFuzzer target: .safetensors weights -------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/SafeTensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    const auto file = tweedie::io::SafeTensorsFile::parse(
        {reinterpret_cast<const std::byte *>(data), size}, "fuzz.safetensors");
    // What a reader does with an accepted file: every tensor's values.
    for (const auto &[name, tensor] : file.tensors)
      (void)tensor.toDouble();
  } catch (const tweedie::io::FormatError &) {
  }
  return 0;
}
