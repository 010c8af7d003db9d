//===- FuzzModuleLoad.cpp - libFuzzer target: tweedie_module_load_memory --===//
//
// The whole load path a host calls: header and checksums, the FlatBuffers
// verifier, the module verifier, the executor's layers (oneDNN primitives,
// prepacked weights) and the kernel loader. The C API returns a status for
// every failure, so any crash, sanitizer report or escaping exception is a bug.
//
// Random mutations rarely survive the CRC-32s, so by default the harness
// rewrites the checksums of every input before loading it: the fuzzer then
// reaches the structure behind them. TWEEDIE_FUZZ_KEEP_CRC=1 turns that off.
//
//===----------------------------------------------------------------------===//
#include "tweedie/tweedie.h"

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

uint32_t crc32Of(const uint8_t *data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt piece = static_cast<uInt>(size < (1u << 30) ? size : (1u << 30));
    crc = crc32(crc, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

/// The module header (ModuleFile.cpp): magic[8], version, reserved,
/// payloadSize (u64), payloadCrc, headerCrc over the 28 bytes before it.
void fixChecksums(std::vector<uint8_t> &image) {
  if (image.size() < 32)
    return;
  const uint64_t payload = image.size() - 32;
  std::memcpy(image.data() + 16, &payload, 8);
  const uint32_t payloadCrc = crc32Of(image.data() + 32, payload);
  std::memcpy(image.data() + 24, &payloadCrc, 4);
  const uint32_t headerCrc = crc32Of(image.data(), 28);
  std::memcpy(image.data() + 28, &headerCrc, 4);
}

tweedie_instance *instance() {
  static tweedie_instance *shared = [] {
    tweedie_instance *i = nullptr;
    tweedie_status_free(tweedie_instance_create(&i));
    return i;
  }();
  return shared;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> image(data, data + size);
  static const bool keepCrc = std::getenv("TWEEDIE_FUZZ_KEEP_CRC") != nullptr;
  if (!keepCrc)
    fixChecksums(image);
  tweedie_module *module = nullptr;
  tweedie_status *status = tweedie_module_load_memory(instance(), image.data(), image.size(),
                                                      &module);
  if (!status != !!module)
    std::abort(); // a status and a module, or neither
  tweedie_status_free(status);
  tweedie_module_destroy(module);
  return 0;
}
