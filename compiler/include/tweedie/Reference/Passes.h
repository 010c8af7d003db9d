//===- Passes.h - the reference interpreter pass ---*- C++ -*-===//
#ifndef TWEEDIE_REFERENCE_PASSES_H
#define TWEEDIE_REFERENCE_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

#define GEN_PASS_DECL
#include "tweedie/Reference/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Reference/Passes.h.inc"

} // namespace tweedie

#endif
