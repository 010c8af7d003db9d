//===- NpyFile.cpp ----------------------------------------------------------===//
#include "tweedie/io/NpyFile.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/ElementCount.h"
#include "tweedie/io/FormatError.h"

#include <cctype>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>

namespace tweedie::io {

namespace {
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// No array has more elements than this (4 TiB of float32), so byte counts fit.
constexpr uint64_t kMaxElements = uint64_t{1} << 40;
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

namespace {

/// The header is a Python dict literal, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }
/// read by a single forward scan: the file is untrusted, so no backtracking regex
/// (std::regex recurses per character and overflows the stack on long headers).
class NpyHeaderParser {
public:
  NpyHeaderParser(std::string_view text, const std::function<FormatError(std::string)> &fail)
      : text_(text), fail_(fail) {}

  struct Fields {
    std::optional<std::string> descr;
    std::optional<bool> fortranOrder;
    std::optional<std::vector<uint64_t>> shape;
  };

  Fields parse() {
    Fields fields;
    expect('{');
    while (skipSpace(), !consume('}')) {
      const std::string key = quoted();
      expect(':');
      skipSpace();
      if (key == "descr")
        fields.descr = quoted();
      else if (key == "fortran_order")
        fields.fortranOrder = boolean();
      else if (key == "shape")
        fields.shape = tuple();
      else
        throw fail_("unknown header key '" + key + "'");
      skipSpace();
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    return fields;
  }

private:
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    skipSpace();
    if (!consume(c))
      throw fail_(std::string("header: expected '") + c + "' at byte " +
                  std::to_string(pos_));
  }
  std::string quoted() {
    skipSpace();
    const char quote = pos_ < text_.size() ? text_[pos_] : 0;
    if (quote != '\'' && quote != '"')
      throw fail_("header: expected a quoted string at byte " + std::to_string(pos_));
    const size_t close = text_.find(quote, ++pos_);
    if (close == std::string_view::npos)
      throw fail_("header: unterminated string");
    std::string value(text_.substr(pos_, close - pos_));
    pos_ = close + 1;
    return value;
  }
  bool boolean() {
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
      if (text_.substr(pos_, std::strlen(word)) == word) {
        pos_ += std::strlen(word);
        return value;
      }
    throw fail_("header: fortran_order is neither True nor False");
  }
  std::vector<uint64_t> tuple() {
    std::vector<uint64_t> dims;
    if (!consume('('))
      throw fail_("header: shape is not a tuple");
    while (skipSpace(), !consume(')')) {
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        throw fail_("header: shape holds something other than sizes at byte " +
                    std::to_string(pos_));
      uint64_t d = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (__builtin_mul_overflow(d, 10, &d) ||
            __builtin_add_overflow(d, static_cast<uint64_t>(text_[pos_] - '0'), &d))
          throw fail_("header: a dim of the shape does not fit in 64 bits");
        ++pos_;
      }
      if (dims.size() == kMaxRank)
        throw fail_("header: the shape has more than " + std::to_string(kMaxRank) + " dims");
      dims.push_back(d);
      skipSpace();
      if (!consume(',')) {
        skipSpace();
        if (!consume(')'))
          throw fail_("header: expected ',' or ')' in the shape at byte " +
                      std::to_string(pos_));
        break;
      }
    }
    return dims;
  }

  static constexpr size_t kMaxRank = 32; // NumPy's own limit (NPY_MAXDIMS)
  std::string_view text_;
  const std::function<FormatError(std::string)> &fail_;
  size_t pos_ = 0;
};

} // namespace

NpyArray parseNpy(std::span<const std::byte> bytes, const std::string &source) {
  const std::function<FormatError(std::string)> fail = [&](const std::string &message) {
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
  const size_t dataStart = 8 + lengthBytes + size_t{headerLength};
  if (dataStart > bytes.size())
    throw fail("header length " + std::to_string(headerLength) + " exceeds the file");
  const std::string_view header(reinterpret_cast<const char *>(bytes.data() + 8 + lengthBytes),
                                headerLength);
  const NpyHeaderParser::Fields fields = NpyHeaderParser(header, fail).parse();
  if (!fields.descr || *fields.descr != "<f4")
    throw fail("dtype must be '<f4' (little-endian float32), the header says " +
               (fields.descr ? "'" + *fields.descr + "'" : std::string("nothing")));
  if (!fields.fortranOrder)
    throw fail("the header has no fortran_order");
  if (*fields.fortranOrder)
    throw fail("only C-order arrays are supported");
  if (!fields.shape)
    throw fail("the header has no shape");
  std::string dims;
  for (uint64_t d : *fields.shape)
    dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  const size_t available = bytes.size() - dataStart;
  const std::optional<uint64_t> count =
      elementCount(std::span<const uint64_t>(*fields.shape), kMaxElements);
  if (!count)
    throw fail("shape (" + dims + ") is too large");
  if (*count * 4 != available)
    throw fail("shape (" + dims + ") needs " + std::to_string(*count * 4) +
               " data bytes, the file has " + std::to_string(available));
  NpyArray array;
  for (uint64_t d : *fields.shape)
    array.shape.push_back(static_cast<int64_t>(d));
  array.data.resize(*count);
  if (*count > 0) // an empty vector's data() may be null, which memcpy may not take
    std::memcpy(array.data.data(), bytes.data() + dataStart, *count * 4);
  return array;
}

NpyArray readNpy(const std::filesystem::path &path) {
  return parseNpy(readFile(path), path.string());
}

} // namespace tweedie::io
