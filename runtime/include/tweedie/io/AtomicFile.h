//===- AtomicFile.h - write a file completely or not at all --------------===//
#ifndef TWEEDIE_IO_ATOMICFILE_H
#define TWEEDIE_IO_ATOMICFILE_H

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

namespace tweedie::io {

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and
/// renames it over `path`: a crash leaves the old file or the new one, never a
/// half-written one. Throws FormatError naming the file on any failure.
void writeFileAtomically(const std::filesystem::path &path,
                         std::span<const std::byte> bytes);

/// The whole file; throws FormatError naming it when it cannot be read.
std::vector<std::byte> readFile(const std::filesystem::path &path);

} // namespace tweedie::io

#endif
