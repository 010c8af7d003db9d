//===- DriverCommon.h - what the compile drivers share ---------*- C++ -*-===//
#ifndef TWEEDIE_DRIVER_DRIVERCOMMON_H
#define TWEEDIE_DRIVER_DRIVERCOMMON_H

#include "tweedie/Reference/Interpreter.h"
#include "tweedie/module/ModuleDesc.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tweedie {

/// The IR of `op` as text.
std::string print(mlir::Operation *op);

/// An attribute as text.
template <typename T> std::string printAttr(T attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  return text;
}

/// Parses `path` ("-": stdin) into `context`; null after printing what went
/// wrong (a missing file as "<tool>: ...", IR errors through the context's
/// diagnostic handler).
mlir::OwningOpRef<mlir::ModuleOp> parseInput(const std::string &path,
                                             mlir::MLIRContext &context,
                                             llvm::SourceMgr &sources, const char *tool);

/// Weights from a .safetensors file, or synthetic ones when `weights` is
/// empty; nullopt after printing why the file cannot be read.
std::optional<reference::ParamProvider> loadParams(const std::string &weights,
                                                   uint64_t syntheticSeed, const char *tool);

/// The layer kernels of `desc` with `module`'s generated kernels as PTX in
/// desc.cudaKernels and, when `hostEmulated` is given, their host form
/// compiled for `cpu` (for the tests' emulated driver). False with `error`
/// ("PTX: ..." or "host-emulated CUDA kernels: ...") on failure.
bool emitCudaKernels(mlir::ModuleOp module, module::ModuleDesc &desc,
                     std::vector<std::byte> *hostEmulated, const std::string &cpu,
                     std::string &error);

} // namespace tweedie

#endif
