//===- IdxFile.cpp ----------------------------------------------------------===//
#include "tweedie/io/IdxFile.h"
#include "tweedie/io/ElementCount.h"
#include "tweedie/io/FormatError.h"

#include <zlib.h>

#include <cstring>
#include <limits>

namespace tweedie::io {

namespace {

uint32_t bigEndian32(const std::byte *p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

[[noreturn]] void fail(const std::string &source, const std::string &what) {
  throw FormatError(source + ": not an IDX byte array: " + what);
}

} // namespace

IdxArray parseIdx(std::span<const std::byte> bytes, const std::string &source) {
  if (bytes.size() < 4)
    fail(source, "it is " + std::to_string(bytes.size()) + " bytes, shorter than its magic");
  if (bytes[0] != std::byte{0} || bytes[1] != std::byte{0})
    fail(source, "the magic does not start with two zero bytes");
  if (bytes[2] != std::byte{0x08})
    fail(source, "element type 0x" + std::to_string(static_cast<int>(bytes[2])) +
                     " is not unsigned bytes (0x08)");
  const auto rank = static_cast<size_t>(bytes[3]);
  if (rank < 1 || rank > 4)
    fail(source, std::to_string(rank) + " dimensions (1 to 4 expected)");
  const size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    fail(source, "the header is truncated");
  IdxArray array;
  for (size_t d = 0; d < rank; ++d)
    array.shape.push_back(bigEndian32(bytes.data() + 4 + 4 * d));
  const std::optional<uint64_t> elements =
      elementCount(std::span<const int64_t>(array.shape), uint64_t{1} << 34);
  if (!elements)
    fail(source, "its sizes describe more than 16 GiB");
  const uint64_t count = *elements;
  if (bytes.size() - header != count)
    fail(source, "its header promises " + std::to_string(count) + " bytes of data but " +
                     std::to_string(bytes.size() - header) + " follow (truncated or corrupt)");
  array.data.resize(count);
  if (count > 0) // an empty vector's data() may be null, which memcpy may not take
    std::memcpy(array.data.data(), bytes.data() + header, count);
  return array;
}

IdxArray readIdx(const std::filesystem::path &path) {
  // gzread reads plain files unchanged: one path for both.
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    throw FormatError(path.string() + ": cannot open");
  std::vector<std::byte> bytes;
  std::byte chunk[1 << 16];
  int got = 0;
  while ((got = gzread(file, chunk, sizeof chunk)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  int code = Z_OK;
  const char *message = got < 0 ? gzerror(file, &code) : nullptr;
  const std::string error = message ? message : "";
  gzclose(file);
  if (got < 0)
    throw FormatError(path.string() + ": corrupt gzip stream (" + error + ")");
  return parseIdx(bytes, path.string());
}

} // namespace tweedie::io
