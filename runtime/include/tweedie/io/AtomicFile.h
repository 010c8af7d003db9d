//===- AtomicFile.h - write a file completely or not at all --------------===//
#ifndef TWEEDIE_IO_ATOMICFILE_H
#define TWEEDIE_IO_ATOMICFILE_H

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tweedie::io {

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and
/// renames it over `path`: a crash leaves the old file or the new one, never a
/// half-written one. The new file gets `mode` (less the umask). A target that
/// exists and is not a regular file (/dev/null, a pipe) is written in place,
/// its mode untouched; a symlink is written through. Temporaries that killed
/// writers left beside `path` are removed. Throws FormatError naming the file
/// on any failure.
void writeFileAtomically(const std::filesystem::path &path, std::span<const std::byte> bytes,
                         mode_t mode = 0644);

/// Throws FormatError, naming `what` and the path, unless writeFileAtomically
/// could write `path` now: its directory exists and is writable, and the path
/// is not a directory. Tools check every output before long work starts.
void checkWritable(const std::filesystem::path &path, const std::string &what);

/// The whole file; throws FormatError naming it when it cannot be read.
std::vector<std::byte> readFile(const std::filesystem::path &path);

} // namespace tweedie::io

#endif
