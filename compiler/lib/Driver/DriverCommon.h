//===- DriverCommon.h - what the compile drivers share ---------*- C++ -*-===//
#ifndef TWEEDIE_DRIVER_DRIVERCOMMON_H
#define TWEEDIE_DRIVER_DRIVERCOMMON_H

#include "tweedie/Reference/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

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

} // namespace tweedie

#endif
