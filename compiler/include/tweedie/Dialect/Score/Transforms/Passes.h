//===- Passes.h - the score dialect's passes ---*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SCORE_TRANSFORMS_PASSES_H
#define TWEEDIE_DIALECT_SCORE_TRANSFORMS_PASSES_H

#include "tweedie/Dialect/Score/IR/ScoreDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace tweedie {

/// act/residual-add after dense, conv2d, group_norm -> their fused epilogue
/// (see --tweedie-fuse-epilogues).
void populateFuseEpiloguePatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_DECL
#include "tweedie/Dialect/Score/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Dialect/Score/Transforms/Passes.h.inc"

} // namespace tweedie

#endif
