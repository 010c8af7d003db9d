//===- SafeTensors.h - read and write .safetensors weight files ----------===//
//
// The format (huggingface/safetensors): an 8-byte little-endian header length
// N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin,
// end]}, "__metadata__": {string: string}}, then the tensors' bytes. Reading
// verifies everything a corrupt or hostile file could get wrong: lengths,
// JSON, dtypes, shapes against byte counts, offsets inside the data and not
// overlapping, and no unindexed bytes.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_IO_SAFETENSORS_H
#define TWEEDIE_IO_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tweedie::io {

enum class DType { F64, F32, F16, BF16, I64, I32, U8 };

/// "F32", ... as the format spells them.
const char *dtypeName(DType dtype);
size_t dtypeSize(DType dtype);

struct NamedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data; // little-endian, row-major

  int64_t numel() const;
  /// The values as float64 (exact for every dtype here but I64 beyond 2^53).
  std::vector<double> toDouble() const;
  static NamedTensor fromFloat32(std::string name, std::vector<int64_t> shape,
                                 std::span<const float> values);
};

struct SafeTensorsFile {
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::string> metadata;

  /// Parses and verifies; throws FormatError naming `source`.
  static SafeTensorsFile parse(std::span<const std::byte> bytes, const std::string &source);
  static SafeTensorsFile read(const std::filesystem::path &path);

  /// Serialises with tensors in name order, the header padded with spaces so
  /// the data starts 8-byte aligned (as the reference writer does).
  std::vector<std::byte> serialize() const;
  /// serialize() written atomically (temporary file + rename).
  void write(const std::filesystem::path &path) const;
};

/// For callers built without exceptions (the compiler): the file, or nullopt
/// with the message in `error`.
std::optional<SafeTensorsFile> tryReadSafeTensors(const std::filesystem::path &path,
                                                  std::string &error) noexcept;

} // namespace tweedie::io

#endif
