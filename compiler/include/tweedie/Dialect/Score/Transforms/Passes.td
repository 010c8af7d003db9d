//===- Passes.td - the score dialect's passes: epilogue fusion -*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SCORE_TRANSFORMS_PASSES_TD
#define TWEEDIE_DIALECT_SCORE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweedieFuseEpilogues : Pass<"tweedie-fuse-epilogues", "::mlir::ModuleOp"> {
  let summary = "Fold activations and residual adds into dense, conv2d and group_norm";
  let description = [{
    `act(dense(x))` and `act(conv2d(x))` become the op with `act`; a following
    elementwise add of a same-shaped tensor becomes its `residual`, so
    y = act(op(x) + b) + r is one library call (oneDNN post-ops on the CPU).
    `act(group_norm(x))` folds the activation into the normalisation. Folds only
    when the producer has no other user, and only same-shape (non-broadcast)
    residuals.
  }];
  let dependentDialects = ["::tweedie::score::ScoreDialect"];
}

#endif // TWEEDIE_DIALECT_SCORE_TRANSFORMS_PASSES_TD
