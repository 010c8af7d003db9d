//===- Passes.h - Tweedie's passes ------------------------------*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_PASSES_H
#define TWEEDIE_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

#define GEN_PASS_DECL
#include "tweedie/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Transforms/Passes.h.inc"

} // namespace tweedie

#endif
