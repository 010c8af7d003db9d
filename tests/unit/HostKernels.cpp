//===- HostKernels.cpp - generated kernels compiled for this CPU, opened --===//
#include "HostKernels.h"
#include "CompiledModuleSupport.h"
#include "tweedie/InitAll.h"
#include "tweedie/Target/CPU/Kernels.h"

#include "mlir/IR/MLIRContext.h"

#include <dlfcn.h>
#include <unistd.h>

namespace tweedie::testing {

HostKernels::HostKernels(const std::function<void(mlir::ModuleOp)> &build,
                         const std::string &tag, const std::string &cpu) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
  build(*module);
  mlir::OwningOpRef<mlir::ModuleOp> llvm = lowerKernelsToLLVM(*module);
  if (!llvm) {
    error_ = "the " + tag + " kernels did not lower to LLVM";
    return;
  }
  std::vector<std::byte> object;
  if (!emitKernelLibrary(*llvm, cpu, object, error_))
    return;
  // Named per process: ctest runs each test in its own process, in parallel,
  // and a mapped object must not be rewritten while open.
  const std::string path = writeTemp(
      tag + "-kernels-" + std::to_string(getpid()) + ".so",
      std::string(reinterpret_cast<const char *>(object.data()), object.size()));
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_)
    error_ = dlerror();
}

HostKernels::~HostKernels() {
  if (handle_)
    dlclose(handle_);
}

void *HostKernels::symbol(const std::string &name) const {
  return handle_ ? dlsym(handle_, name.c_str()) : nullptr;
}

} // namespace tweedie::testing
