//===- DynamicLibrary.h - the CUDA libraries' dlopen, once ----------------===//
//
// The driver, cuBLASLt and cuDNN are opened the same way: the first of
// their sonames that loads, never unloaded, each entry point looked up by
// name into a table of function pointers.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_DYNAMICLIBRARY_H
#define TWEEDIE_RUNTIME_CUDA_DYNAMICLIBRARY_H

#include <dlfcn.h>

#include <initializer_list>
#include <string>

namespace tweedie::cuda {

/// The first of `names` dlopen loads, or null with `why` naming what was
/// tried and dlerror's last word. (The libraries' lists end with the CUDA
/// toolkit's default folder, which is not always on the loader's path.)
inline void *openFirst(std::initializer_list<const char *> names, std::string &why) {
  std::string tried;
  for (const char *name : names) {
    if (void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL))
      return library;
    tried += std::string(tried.empty() ? "" : ", ") + name;
  }
  const char *error = dlerror(); // about the last one tried
  why = names.size() > 1 ? "tried " + tried + "; " : "";
  why += error ? error : "not found";
  return nullptr;
}

/// Looks `symbol` up into `fn`; false when the library lacks it.
template <typename Fn> bool resolve(void *library, const char *symbol, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  return fn != nullptr;
}

} // namespace tweedie::cuda

#endif
