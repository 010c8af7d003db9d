//===- NpyFile.cpp ----------------------------------------------------------===//
#include "tweedie/io/NpyFile.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"

#include <cstring>
#include <regex>

namespace tweedie::io {

namespace {
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
} // namespace

std::vector<std::byte> encodeNpy(std::span<const float> data,
                                 const std::vector<int64_t> &shape) {
  // NumPy's tuple syntax: "(3, 2)", "(3,)" for one dim, "()" for a scalar.
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    dims += ",";
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
  const size_t unpadded = kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::vector<std::byte> bytes(kMagicSize + 4);
  std::memcpy(bytes.data(), kMagic, kMagicSize);
  bytes[6] = std::byte{1};
  bytes[7] = std::byte{0};
  const uint16_t length = static_cast<uint16_t>(header.size());
  std::memcpy(bytes.data() + 8, &length, 2);
  const auto *h = reinterpret_cast<const std::byte *>(header.data());
  bytes.insert(bytes.end(), h, h + header.size());
  const auto *d = reinterpret_cast<const std::byte *>(data.data());
  bytes.insert(bytes.end(), d, d + data.size_bytes());
  return bytes;
}

void writeNpy(const std::filesystem::path &path, std::span<const float> data,
              const std::vector<int64_t> &shape) {
  writeFileAtomically(path, encodeNpy(data, shape));
}

NpyArray parseNpy(std::span<const std::byte> bytes, const std::string &source) {
  auto fail = [&](const std::string &message) {
    return FormatError(source + ": not a float32 .npy array: " + message);
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    throw fail("missing the \\x93NUMPY magic");
  const int major = std::to_integer<int>(bytes[6]);
  size_t lengthBytes = major == 1 ? 2 : major == 2 || major == 3 ? 4 : 0;
  if (!lengthBytes)
    throw fail("unknown format version " + std::to_string(major));
  if (bytes.size() < 8 + lengthBytes)
    throw fail("truncated header");
  uint32_t headerLength = 0;
  std::memcpy(&headerLength, bytes.data() + 8, lengthBytes);
  const size_t dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.size())
    throw fail("header length " + std::to_string(headerLength) + " exceeds the file");
  const std::string header(reinterpret_cast<const char *>(bytes.data() + 8 + lengthBytes),
                           headerLength);
  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('descr':\s*'([^']*)')")) ||
      match[1] != "<f4")
    throw fail("dtype must be '<f4' (little-endian float32), header says: " + header);
  if (!std::regex_search(header, std::regex(R"('fortran_order':\s*False)")))
    throw fail("only C-order arrays are supported");
  if (!std::regex_search(header, match, std::regex(R"('shape':\s*\(([0-9,\s]*)\))")))
    throw fail("no shape in header: " + header);
  NpyArray array;
  uint64_t count = 1;
  const std::string dims = match[1];
  const std::regex number("[0-9]+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    const uint64_t d = std::stoull(it->str());
    count *= d;
    if (d > (1ull << 40) || count > (1ull << 40))
      throw fail("shape (" + dims + ") is too large");
    array.shape.push_back(static_cast<int64_t>(d));
  }
  if (bytes.size() - dataStart != count * 4)
    throw fail("shape (" + dims + ") needs " + std::to_string(count * 4) +
               " data bytes, the file has " + std::to_string(bytes.size() - dataStart));
  array.data.resize(count);
  std::memcpy(array.data.data(), bytes.data() + dataStart, count * 4);
  return array;
}

NpyArray readNpy(const std::filesystem::path &path) {
  return parseNpy(readFile(path), path.string());
}

} // namespace tweedie::io
