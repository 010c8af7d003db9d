//===- ScoreInterfaces.td - score op interfaces --------------*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SCORE_IR_SCOREINTERFACES_TD
#define TWEEDIE_DIALECT_SCORE_IR_SCOREINTERFACES_TD

include "mlir/IR/OpBase.td"

def Score_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::tweedie::score";
  let description = [{
    The reverse-mode rule of an op (its vector-Jacobian product): given the
    cotangents of its results, emit score ops computing the cotangents of its
    operands. The emitted ops implement this interface too, so a gradient
    can be differentiated again (energy models train through -grad_x E).
    Rules live in dialects/lib/Score/ScoreVJPs.cpp, one per op.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the operands' cotangents at the builder's insertion point.
        `resultGrads` has one entry per result (null: no gradient reaches
        it); the caller calls a rule only when at least one is not null. Fills `operandGrads` with one entry per operand, null where no
        gradient flows (an absent optional operand, a shape-only operand, an
        input the op is not differentiable in). Fails with a diagnostic on
        the op when the rule cannot be written (e.g. third derivatives).
      }],
      "::mlir::LogicalResult", "emitVJP",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def Score_DecomposableOpInterface : OpInterface<"DecomposableOpInterface"> {
  let cppNamespace = "::tweedie::score";
  let description = [{
    A fused op that a reverse-mode rule emits for speed (one kernel where the
    primitive ops would make a dozen passes over the data) and that has no
    rule of its own: it can be written as primitive score ops, and autodiff
    writes it so before differentiating it again (second order).
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the primitive ops computing this op's results at the builder's
        insertion point and returns them, one per result.
      }],
      "::llvm::SmallVector<::mlir::Value>", "decompose",
      (ins "::mlir::OpBuilder &":$builder)>
  ];
}

#endif // TWEEDIE_DIALECT_SCORE_IR_SCOREINTERFACES_TD
