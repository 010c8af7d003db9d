//===- Passes.h - the autodiff pass ---*- C++ -*-===//
#ifndef TWEEDIE_AUTODIFF_PASSES_H
#define TWEEDIE_AUTODIFF_PASSES_H

#include "tweedie/Dialect/Score/IR/ScoreDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

#define GEN_PASS_DECL
#include "tweedie/Autodiff/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Autodiff/Passes.h.inc"

} // namespace tweedie

#endif
