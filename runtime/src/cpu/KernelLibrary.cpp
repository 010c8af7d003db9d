//===- KernelLibrary.cpp ----------------------------------------------------===//
#include "cpu/KernelLibrary.h"
#include "tweedie/io/FormatError.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tweedie::cpu {

KernelLibrary::KernelLibrary(std::span<const std::byte> image, const std::string &origin)
    : origin_(origin) {
  static const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'};
  if (image.size() < 64 || std::memcmp(image.data(), elf, 4) != 0)
    throw io::FormatError(origin + ": the module's kernel library is not an ELF object");
  fd_ = memfd_create("tweedie-kernels", MFD_CLOEXEC);
  if (fd_ < 0)
    throw io::FormatError(origin + ": memfd_create failed: " + std::strerror(errno));
  size_t written = 0;
  while (written < image.size()) {
    ssize_t n = ::write(fd_, image.data() + written, image.size() - written);
    if (n <= 0) {
      ::close(fd_);
      throw io::FormatError(origin + ": cannot stage the kernel library: " +
                            std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd_);
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char *why = dlerror();
    ::close(fd_);
    throw io::FormatError(origin + ": cannot load the module's kernel library: " +
                          (why ? why : "unknown dlopen error"));
  }
}

KernelLibrary::~KernelLibrary() {
  if (handle_)
    dlclose(handle_);
  if (fd_ >= 0)
    ::close(fd_);
}

void *KernelLibrary::function(const std::string &name) const {
  // MLIR's C interface wrapper of func @name.
  void *f = dlsym(handle_, ("_mlir_ciface_" + name).c_str());
  if (!f)
    throw io::FormatError(origin_ + ": the kernel library has no kernel '" + name + "'");
  return f;
}

} // namespace tweedie::cpu
