//===- NpyFile.h - NumPy .npy arrays of float32 ---------------------------===//
#ifndef TWEEDIE_IO_NPYFILE_H
#define TWEEDIE_IO_NPYFILE_H

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tweedie::io {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data; // row-major
};

/// NPY format 1.0, dtype '<f4', C order, header padded to 64 bytes.
std::vector<std::byte> encodeNpy(std::span<const float> data,
                                 const std::vector<int64_t> &shape);
void writeNpy(const std::filesystem::path &path, std::span<const float> data,
              const std::vector<int64_t> &shape);

/// Reads format 1.0/2.0 float32 little-endian C-order arrays; anything else is
/// a FormatError naming `source` and what it found.
NpyArray parseNpy(std::span<const std::byte> bytes, const std::string &source);
NpyArray readNpy(const std::filesystem::path &path);

} // namespace tweedie::io

#endif
