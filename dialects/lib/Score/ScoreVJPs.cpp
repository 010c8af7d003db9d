//===- ScoreVJPs.cpp - reverse-mode rules of the score ops ---------------===//
//
// One emitVJP per op (VJPOpInterface). Each writes the operands' cotangents
// as score ops, which have rules of their own, so a gradient can be
// differentiated again. A result cotangent is null when nothing depends on
// that result; the rules then leave their operand cotangents null too.
//
// Broadcasting ops sum a cotangent back to the operand's shape
// ("unbroadcast"): over the leading axes the operand lacks and over its
// size-1 axes, then reshape. A weight's cotangent so sums its per-sample
// contributions (the batch axis is a broadcast axis of a static weight).
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Score/IR/ScoreOps.h"


using namespace mlir;
using namespace tweedie;
using namespace tweedie::score;

namespace {

/// `grad` (shaped like a broadcast result) summed back to `target`'s shape.
Value unbroadcast(OpBuilder &b, Location loc, Value grad, Type target) {
  if (grad.getType() == target)
    return grad;
  auto from = cast<RankedTensorType>(grad.getType());
  auto to = cast<RankedTensorType>(target);
  const int64_t lead = from.getRank() - to.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < from.getRank(); ++i)
    if (i < lead || (to.getDimSize(i - lead) == 1 && from.getDimSize(i) != 1))
      axes.push_back(i);
  Value summed = axes.empty() ? grad
                              : b.create<ReduceSumOp>(loc, grad, b.getDenseI64ArrayAttr(axes))
                                    .getResult();
  if (summed.getType() != target)
    summed = b.create<ReshapeOp>(loc, target, summed);
  return summed;
}

/// The cotangents of a broadcasting binary op's two operands.
void binaryGrads(OpBuilder &b, Location loc, Value lhs, Value rhs, Value lhsPartial,
                 Value rhsPartial, SmallVectorImpl<Value> &grads) {
  grads.push_back(lhsPartial ? unbroadcast(b, loc, lhsPartial, lhs.getType()) : Value());
  grads.push_back(rhsPartial ? unbroadcast(b, loc, rhsPartial, rhs.getType()) : Value());
}

/// [K, N] -> [N, K]
Value transposed(OpBuilder &b, Location loc, Value matrix) {
  return b.create<TransposeOp>(loc, matrix, b.getDenseI64ArrayAttr({1, 0}));
}

Value plainDense(OpBuilder &b, Location loc, Value input, Value weight) {
  return b.create<DenseOp>(loc, input, weight, Value(), Value(), ActKindAttr());
}

/// grad * f^(order)(input)
Value actGrad(OpBuilder &b, Location loc, ActKind kind, int64_t order, Value input,
              Value grad) {
  return b.create<ActGradOp>(loc, ActKindAttr::get(b.getContext(), kind),
                             b.getI64IntegerAttr(order), input, grad);
}

} // namespace

LogicalResult ParamOp::emitVJP(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {
  return success(); // no operands: the autodiff pass collects weights' cotangents
}

LogicalResult DenseOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  // y = act(z) + residual, z = x W + b.
  Value dz = dy;
  if (dy && getActivation()) {
    Value z = b.create<DenseOp>(loc, getInput(), getWeight(), getBias(), Value(), ActKindAttr());
    dz = actGrad(b, loc, *getActivation(), 1, z, dy);
  }
  if (!dz) {
    grads.append(getNumOperands(), Value());
    return success();
  }
  grads.push_back(plainDense(b, loc, dz, transposed(b, loc, getWeight())));
  grads.push_back(b.create<OuterSumOp>(loc, getInput(), dz));
  if (Value bias = getBias())
    grads.push_back(unbroadcast(b, loc, dz, bias.getType()));
  if (getResidual())
    grads.push_back(dy);
  return success();
}

LogicalResult ActOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                             SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(dy ? actGrad(b, getLoc(), getKind(), 1, getInput(), dy) : Value());
  return success();
}

LogicalResult AddOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                             SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  binaryGrads(b, getLoc(), getLhs(), getRhs(), dy, dy, grads);
  return success();
}

LogicalResult MulOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                             SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  if (!dy) {
    grads.append(2, Value());
    return success();
  }
  Value dl = b.create<MulOp>(loc, dy, getRhs()), dr = b.create<MulOp>(loc, dy, getLhs());
  binaryGrads(b, loc, getLhs(), getRhs(), dl, dr, grads);
  return success();
}

LogicalResult ReshapeOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(dy ? b.create<ReshapeOp>(getLoc(), getInput().getType(), dy).getResult()
                     : Value());
  return success();
}

LogicalResult TransposeOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  if (!dy) {
    grads.push_back(Value());
    return success();
  }
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = static_cast<int64_t>(i);
  grads.push_back(b.create<TransposeOp>(getLoc(), dy, b.getDenseI64ArrayAttr(inverse)));
  return success();
}

LogicalResult TimeEmbeddingOp::emitVJP(OpBuilder &, ValueRange,
                                       SmallVectorImpl<Value> &grads) {
  // The conditioning is an input, not something trained or sampled through,
  // and Fourier frequencies are fixed (Song et al. 2021 keep them so).
  grads.append(getNumOperands(), Value());
  return success();
}

LogicalResult ReduceSumOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(dy ? b.create<BroadcastOp>(getLoc(), dy, getInput()).getResult() : Value());
  return success();
}

LogicalResult BroadcastOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(dy ? unbroadcast(b, getLoc(), dy, getInput().getType()) : Value());
  grads.push_back(Value()); // `like` lends its shape only
  return success();
}

LogicalResult ActGradOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  // r = g f^(k)(x): dr/dx = g f^(k+1)(x), dr/dg = f^(k)(x).
  Value dr = resultGrads[0];
  if (!dr) {
    grads.append(2, Value());
    return success();
  }
  const int64_t order = static_cast<int64_t>(getOrder());
  if (order >= 2)
    return emitOpError("third derivatives of activations are not supported (a gradient "
                       "differentiated twice)");
  Location loc = getLoc();
  Value weighted = b.create<MulOp>(loc, dr, getGrad());
  grads.push_back(actGrad(b, loc, getKind(), order + 1, getInput(), weighted));
  grads.push_back(actGrad(b, loc, getKind(), order, getInput(), dr));
  return success();
}

LogicalResult OuterSumOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &grads) {
  // G = sum_r a_r^T b_r: d a_r = b_r dG^T, d b_r = a_r dG.
  Value dg = resultGrads[0];
  if (!dg) {
    grads.append(2, Value());
    return success();
  }
  Location loc = getLoc();
  grads.push_back(plainDense(b, loc, getRhs(), transposed(b, loc, dg)));
  grads.push_back(plainDense(b, loc, getLhs(), dg));
  return success();
}
