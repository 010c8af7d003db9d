//===- Passes.h - conversions between levels ---*- C++ -*-===//
#ifndef TWEEDIE_CONVERSION_PASSES_H
#define TWEEDIE_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

#define GEN_PASS_DECL
#include "tweedie/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Conversion/Passes.h.inc"

} // namespace tweedie

#endif
