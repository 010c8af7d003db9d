//===- Passes.h - the CPU target's passes ---*- C++ -*-===//
#ifndef TWEEDIE_TARGET_CPU_PASSES_H
#define TWEEDIE_TARGET_CPU_PASSES_H

#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

#define GEN_PASS_DECL
#include "tweedie/Target/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Target/CPU/Passes.h.inc"

} // namespace tweedie

#endif
