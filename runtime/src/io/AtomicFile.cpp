//===- AtomicFile.cpp -------------------------------------------------------===//
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tweedie::io {

namespace {
std::string systemError(const std::string &what, const std::filesystem::path &path) {
  return what + " '" + path.string() + "': " + std::strerror(errno);
}

/// Writes all of `bytes` to `fd`; false (errno set) on failure.
bool writeAll(int fd, std::span<const std::byte> bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

/// An existing target that is not a regular file (a device such as
/// /dev/null, a pipe) is written in place: renaming onto it would replace
/// the device with a file.
void writeInPlace(const std::filesystem::path &path, std::span<const std::byte> bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    throw FormatError(systemError("cannot open", path));
  if (!writeAll(fd, bytes)) {
    std::string message = systemError("cannot write", path);
    ::close(fd);
    throw FormatError(message);
  }
  ::close(fd);
}
} // namespace

void writeFileAtomically(const std::filesystem::path &path,
                         std::span<const std::byte> bytes) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    return writeInPlace(path, bytes);
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw FormatError(systemError("cannot create", temp));
  if (!writeAll(fd, bytes)) {
    std::string message = systemError("cannot write", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    throw FormatError(message);
  }
  // Data on disk before the rename makes it visible (ext4 and friends).
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string message = systemError("cannot flush", temp);
    ::unlink(temp.c_str());
    throw FormatError(message);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string message = systemError("cannot rename " + temp.string() + " to", path);
    ::unlink(temp.c_str());
    throw FormatError(message);
  }
}

std::vector<std::byte> readFile(const std::filesystem::path &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw FormatError(systemError("cannot open", path));
  std::vector<std::byte> bytes;
  std::byte buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      std::string message = systemError("cannot read", path);
      ::close(fd);
      throw FormatError(message);
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  ::close(fd);
  return bytes;
}

} // namespace tweedie::io
