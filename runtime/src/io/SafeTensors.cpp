//===- SafeTensors.cpp ------------------------------------------------------===//
#include "tweedie/io/SafeTensors.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/ElementCount.h"
#include "tweedie/io/FormatError.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace tweedie::io {

namespace {

struct DTypeInfo {
  DType dtype;
  const char *name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::U8, "U8", 1}};

// Headers beyond this are not weight files (the reference reader's limit).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
// No tensor has more elements than this (4 TiB of float32): a bound far above any
// weight file that keeps every byte count below 2^64.
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

template <typename T> T loadLittleEndian(const std::byte *p) {
  static_assert(std::endian::native == std::endian::little, "big-endian host");
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

double halfToDouble(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -24); // subnormal
  if (exponent == 31)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

} // namespace

const char *dtypeName(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.name;
  return "?";
}

size_t dtypeSize(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.size;
  return 0;
}

int64_t NamedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<double> NamedTensor::toDouble() const {
  const int64_t n = numel();
  std::vector<double> out(static_cast<size_t>(n));
  const std::byte *p = data.data();
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case DType::F64:
      out[i] = loadLittleEndian<double>(p + 8 * i);
      break;
    case DType::F32:
      out[i] = loadLittleEndian<float>(p + 4 * i);
      break;
    case DType::F16:
      out[i] = halfToDouble(loadLittleEndian<uint16_t>(p + 2 * i));
      break;
    case DType::BF16: // the top half of a float32
      out[i] = std::bit_cast<float>(uint32_t{loadLittleEndian<uint16_t>(p + 2 * i)} << 16);
      break;
    case DType::I64:
      out[i] = static_cast<double>(loadLittleEndian<int64_t>(p + 8 * i));
      break;
    case DType::I32:
      out[i] = loadLittleEndian<int32_t>(p + 4 * i);
      break;
    case DType::U8:
      out[i] = static_cast<double>(std::to_integer<uint8_t>(p[i]));
      break;
    }
  }
  return out;
}

NamedTensor NamedTensor::fromFloat32(std::string name, std::vector<int64_t> shape,
                                     std::span<const float> values) {
  NamedTensor t{std::move(name), DType::F32, std::move(shape), {}};
  t.data.resize(values.size_bytes());
  std::memcpy(t.data.data(), values.data(), values.size_bytes());
  return t;
}

SafeTensorsFile SafeTensorsFile::parse(std::span<const std::byte> bytes,
                                       const std::string &source) {
  auto fail = [&](const std::string &message) -> FormatError {
    return FormatError(source + ": not a valid .safetensors file: " + message);
  };
  if (bytes.size() < 8)
    throw fail("only " + std::to_string(bytes.size()) + " bytes, less than the 8-byte "
               "header length");
  const uint64_t headerSize = loadLittleEndian<uint64_t>(bytes.data());
  if (headerSize > kMaxHeaderBytes || headerSize > bytes.size() - 8)
    throw fail("header length " + std::to_string(headerSize) + " exceeds the " +
               std::to_string(bytes.size() - 8) + " bytes after it");
  const auto *headerBegin = reinterpret_cast<const char *>(bytes.data() + 8);
  nlohmann::json header = nlohmann::json::parse(headerBegin, headerBegin + headerSize,
                                                nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    throw fail("the header is not a JSON object");

  const std::span<const std::byte> data = bytes.subspan(8 + headerSize);
  SafeTensorsFile file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        throw fail("__metadata__ is not an object");
      for (auto &[key, value] : entry.items()) {
        if (!value.is_string())
          throw fail("metadata '" + key + "' is not a string");
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string &what) { return fail("tensor '" + name + "': " + what); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    const nlohmann::json &dtype = entry["dtype"], &shape = entry["shape"],
                         &offsets = entry["data_offsets"];
    NamedTensor tensor;
    tensor.name = name;
    const DTypeInfo *info = nullptr;
    if (dtype.is_string())
      for (const DTypeInfo &candidate : kDTypes)
        if (dtype.get<std::string>() == candidate.name)
          info = &candidate;
    if (!info)
      throw bad("unsupported dtype " + dtype.dump() +
                " (supported: F64, F32, F16, BF16, I64, I32, U8)");
    tensor.dtype = info->dtype;
    if (!shape.is_array())
      throw bad("shape is not an array");
    for (const nlohmann::json &d : shape) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > kMaxElements)
        throw bad("shape " + shape.dump() + " has a dim that is not a size");
      tensor.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    const std::optional<uint64_t> elements =
        elementCount(std::span<const int64_t>(tensor.shape), kMaxElements);
    if (!elements)
      throw bad("shape " + shape.dump() + " is too large");
    const uint64_t count = *elements;
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      throw bad("data_offsets is not [begin, end]");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data.size())
      throw bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] fall outside the " + std::to_string(data.size()) + " data bytes");
    if (end - begin != count * info->size)
      throw bad("shape " + shape.dump() + " of " + info->name + " needs " +
                std::to_string(count * info->size) + " bytes, data_offsets give " +
                std::to_string(end - begin));
    tensor.data.assign(data.begin() + static_cast<ptrdiff_t>(begin),
                       data.begin() + static_cast<ptrdiff_t>(end));
    ranges.push_back({begin, end});
    file.tensors.emplace(name, std::move(tensor));
  }
  // The reference format forbids overlaps and holes: every data byte belongs
  // to exactly one tensor (so a file cannot smuggle other content).
  std::sort(ranges.begin(), ranges.end());
  uint64_t cursor = 0;
  for (auto [begin, end] : ranges) {
    if (begin != cursor)
      throw fail(begin < cursor ? "tensor data overlaps at byte " + std::to_string(begin)
                                : "data bytes " + std::to_string(cursor) + ".." +
                                      std::to_string(begin) + " belong to no tensor");
    cursor = end;
  }
  if (cursor != data.size())
    throw fail(std::to_string(data.size() - cursor) +
               " trailing data bytes belong to no tensor");
  return file;
}

SafeTensorsFile SafeTensorsFile::read(const std::filesystem::path &path) {
  return parse(readFile(path), path.string());
}

std::vector<std::byte> SafeTensorsFile::serialize() const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    header[name] = {{"dtype", dtypeName(tensor.dtype)},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + tensor.data.size()}}};
    offset += tensor.data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<std::byte> bytes(8 + text.size());
  const uint64_t size = text.size();
  std::memcpy(bytes.data(), &size, 8);
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  for (const auto &[name, tensor] : tensors)
    bytes.insert(bytes.end(), tensor.data.begin(), tensor.data.end());
  return bytes;
}

void SafeTensorsFile::write(const std::filesystem::path &path) const {
  writeFileAtomically(path, serialize());
}

std::optional<SafeTensorsFile> tryReadSafeTensors(const std::filesystem::path &path,
                                                  std::string &error) noexcept {
  try {
    return SafeTensorsFile::read(path);
  } catch (const std::exception &e) {
    error = e.what();
    return std::nullopt;
  }
}

} // namespace tweedie::io
