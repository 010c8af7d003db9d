//===- AtomicFile.cpp -------------------------------------------------------===//
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"

#include <cerrno>
#include <cstring>
#include <csignal>
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
constexpr char kTempInfix[] = ".tmp-";

/// Removes `<name>.tmp-<pid>` beside `path` for every pid that no longer runs:
/// what a writer killed between creating its temporary and renaming it left
/// (a live writer's temporary is left alone).
void removeStaleTemporaries(const std::filesystem::path &path) {
  const std::string prefix = path.filename().string() + kTempInfix;
  std::error_code ec;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
      continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
      ::unlink(entry.path().c_str());
  }
}
} // namespace

void writeFileAtomically(const std::filesystem::path &requested,
                         std::span<const std::byte> bytes, mode_t mode) {
  // Through a symlink to the file it names: the link stays a link.
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::is_symlink(requested, ec)
                                         ? std::filesystem::weakly_canonical(requested, ec)
                                         : requested;
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    return writeInPlace(path, bytes);
  removeStaleTemporaries(path);
  std::filesystem::path temp = path;
  temp += kTempInfix + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
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

void checkWritable(const std::filesystem::path &path, const std::string &what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw FormatError(what + " '" + path.string() + "' is a directory");
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw FormatError(what + " '" + path.string() + "': directory '" + dir.string() +
                      "' does not exist");
  struct stat info;
  const bool exists = ::stat(path.c_str(), &info) == 0;
  // A new file needs a writable directory; an existing device is written in place.
  if (exists && !S_ISREG(info.st_mode) ? ::access(path.c_str(), W_OK) != 0
                                       : ::access(dir.c_str(), W_OK) != 0)
    throw FormatError(systemError("cannot write " + what, path));
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
