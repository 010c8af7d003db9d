//===- IdxFile.h - LeCun's IDX arrays of unsigned bytes (MNIST's format) --===//
#ifndef TWEEDIE_IO_IDXFILE_H
#define TWEEDIE_IO_IDXFILE_H

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tweedie::io {

struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // row-major
};

/// An IDX file of unsigned bytes (type 0x08): a big-endian header of magic
/// 0x0000 08 NDIMS and NDIMS 32-bit sizes, then the data. Anything else, and
/// a file shorter than its header promises, is a FormatError naming `source`.
IdxArray parseIdx(std::span<const std::byte> bytes, const std::string &source);

/// Reads `path`, gunzipping it when it is gzip-compressed (Debian ships the
/// datasets as .gz).
IdxArray readIdx(const std::filesystem::path &path);

} // namespace tweedie::io

#endif
