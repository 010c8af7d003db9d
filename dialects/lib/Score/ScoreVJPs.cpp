//===- ScoreVJPs.cpp - reverse-mode rules of the score ops ---------------===//
//
// One emitVJP per op (VJPOpInterface). Each writes the operands' cotangents
// as score ops, which have rules of their own, so a gradient can be
// differentiated again. The pass calls a rule only when a cotangent reaches
// one of the op's results; every score op has one result, so the rules
// below take it as given.
//
// Broadcasting ops sum a cotangent back to the operand's shape
// ("unbroadcast"): over the leading axes the operand lacks and over its
// size-1 axes, then reshape. A weight's cotangent so sums its per-sample
// contributions (the batch axis is a broadcast axis of a static weight).
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"


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
  grads.push_back(unbroadcast(b, loc, lhsPartial, lhs.getType()));
  grads.push_back(unbroadcast(b, loc, rhsPartial, rhs.getType()));
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
  if (getActivation()) {
    Value z = b.create<DenseOp>(loc, getInput(), getWeight(), getBias(), Value(), ActKindAttr());
    dz = actGrad(b, loc, *getActivation(), 1, z, dy);
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
  grads.push_back(actGrad(b, getLoc(), getKind(), 1, getInput(), resultGrads[0]));
  return success();
}

LogicalResult ScaleOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  // d/dx (a x + c) = a: the cotangent scaled, unshifted.
  grads.push_back(b.create<ScaleOp>(getLoc(), resultGrads[0], getFactorAttr(),
                                    b.getF64FloatAttr(0.0)));
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
  Value dl = b.create<MulOp>(loc, dy, getRhs()), dr = b.create<MulOp>(loc, dy, getLhs());
  binaryGrads(b, loc, getLhs(), getRhs(), dl, dr, grads);
  return success();
}

LogicalResult ReshapeOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(b.create<ReshapeOp>(getLoc(), getInput().getType(), dy));
  return success();
}

LogicalResult TransposeOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
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
  grads.push_back(b.create<BroadcastOp>(getLoc(), dy, getInput()));
  return success();
}

LogicalResult BroadcastOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  grads.push_back(unbroadcast(b, getLoc(), dy, getInput().getType()));
  grads.push_back(Value()); // `like` lends its shape only
  return success();
}

LogicalResult ActGradOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  // r = g f^(k)(x): dr/dx = g f^(k+1)(x), dr/dg = f^(k)(x).
  Value dr = resultGrads[0];
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
  Location loc = getLoc();
  grads.push_back(plainDense(b, loc, getRhs(), transposed(b, loc, dg)));
  grads.push_back(plainDense(b, loc, getLhs(), dg));
  return success();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  const int64_t axis = static_cast<int64_t>(getAxis());
  int64_t offset = 0;
  for (Value input : getInputs()) {
    const int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    grads.push_back(b.create<SliceOp>(getLoc(), dy, axis, offset, size));
    offset += size;
  }
  return success();
}

LogicalResult SliceOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  const int64_t axis = static_cast<int64_t>(getAxis());
  const int64_t total = cast<RankedTensorType>(getInput().getType()).getDimSize(axis);
  const int64_t after = total - static_cast<int64_t>(getOffset() + getSize());
  grads.push_back(b.create<PadOp>(getLoc(), dy, axis, getOffset(), after));
  return success();
}

LogicalResult PadOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                             SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  const int64_t axis = static_cast<int64_t>(getAxis());
  const int64_t size = cast<RankedTensorType>(getInput().getType()).getDimSize(axis);
  grads.push_back(b.create<SliceOp>(getLoc(), dy, axis, getBefore(), size));
  return success();
}

namespace {
Value scaled(OpBuilder &b, Location loc, Value x, double factor) {
  auto scalar = RankedTensorType::get({1}, getElementTypeOrSelf(x.getType()));
  Value c = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(scalar, b.getFloatAttr(scalar.getElementType(), factor)));
  return b.create<MulOp>(loc, x, c);
}
} // namespace

LogicalResult UpsampleOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &grads) {
  // Each input pixel feeds an s x s block: its cotangent is the block's sum.
  Value dy = resultGrads[0];
  const int64_t s = static_cast<int64_t>(getScale());
  Location loc = getLoc();
  Value pooled = b.create<AvgPoolOp>(loc, dy, b.getDenseI64ArrayAttr({s, s}),
                                     b.getDenseI64ArrayAttr({s, s}));
  grads.push_back(scaled(b, loc, pooled, static_cast<double>(s * s)));
  return success();
}

LogicalResult AvgPoolOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  ArrayRef<int64_t> kernel = getKernel(), stride = getStride();
  auto input = cast<RankedTensorType>(getInput().getType());
  const int64_t k = kernel[0];
  if (kernel[1] != k || stride[0] != k || stride[1] != k || input.getDimSize(2) % k != 0 ||
      input.getDimSize(3) % k != 0)
    return emitOpError("the reverse-mode rule covers square non-overlapping pools that "
                       "tile the input (kernel = stride, dividing H and W) only");
  Location loc = getLoc();
  Value spread = b.create<UpsampleOp>(loc, dy, static_cast<uint64_t>(k));
  grads.push_back(scaled(b, loc, spread, 1.0 / static_cast<double>(k * k)));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

namespace {
/// The stride, padding and groups every op of a convolution's family shares.
struct ConvGeometry {
  DenseI64ArrayAttr stride, padding;
  IntegerAttr groups;
};

Value plainConv(OpBuilder &b, Location loc, Value input, Value weight, const ConvGeometry &g) {
  return b.create<Conv2DOp>(loc, input, weight, Value(), Value(), g.stride, g.padding, g.groups,
                            ActKindAttr());
}

/// The cotangent of a `weightType` kernel for `input` and the result cotangent `grad`.
Value convWeightGrad(OpBuilder &b, Location loc, Value input, Value grad, Value weight,
                     const ConvGeometry &g) {
  auto type = cast<RankedTensorType>(weight.getType());
  return b.create<Conv2DBackwardWeightOp>(
      loc, input, grad, b.getDenseI64ArrayAttr({type.getDimSize(2), type.getDimSize(3)}),
      g.stride, g.padding, g.groups);
}

Value convDataGrad(OpBuilder &b, Location loc, Value grad, Value weight, Value like,
                   const ConvGeometry &g) {
  return b.create<Conv2DBackwardDataOp>(loc, grad, weight, like, g.stride, g.padding, g.groups);
}
} // namespace

LogicalResult Conv2DOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  const ConvGeometry g{getStrideAttr(), getPaddingAttr(), getGroupsAttr()};
  Value dz = dy;
  if (getActivation()) {
    Value z = b.create<Conv2DOp>(loc, getInput(), getWeight(), getBias(), Value(), g.stride,
                                 g.padding, g.groups, ActKindAttr());
    dz = actGrad(b, loc, *getActivation(), 1, z, dy);
  }
  grads.push_back(convDataGrad(b, loc, dz, getWeight(), getInput(), g));
  grads.push_back(convWeightGrad(b, loc, getInput(), dz, getWeight(), g));
  if (Value bias = getBias()) // [1, O, 1, 1] -> [O]
    grads.push_back(b.create<ReshapeOp>(
        loc, bias.getType(), b.create<ReduceSumOp>(loc, dz, b.getDenseI64ArrayAttr({0, 2, 3}))));
  if (getResidual())
    grads.push_back(dy);
  return success();
}

LogicalResult Conv2DBackwardDataOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                            SmallVectorImpl<Value> &grads) {
  // r = J_W^T g is linear in g and in W: dg = conv(dr, W), dW = bw(dr, g).
  Value dr = resultGrads[0];
  const ConvGeometry g{getStrideAttr(), getPaddingAttr(), getGroupsAttr()};
  grads.push_back(plainConv(b, getLoc(), dr, getWeight(), g));
  grads.push_back(convWeightGrad(b, getLoc(), dr, getGrad(), getWeight(), g));
  grads.push_back(Value()); // `like` lends its shape only
  return success();
}

LogicalResult Conv2DBackwardWeightOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                              SmallVectorImpl<Value> &grads) {
  // r = sum x * g is linear in x and in g: dx = bd(g, dr), dg = conv(x, dr).
  Value dr = resultGrads[0];
  const ConvGeometry g{getStrideAttr(), getPaddingAttr(), getGroupsAttr()};
  grads.push_back(convDataGrad(b, getLoc(), getGrad(), dr, getInput(), g));
  grads.push_back(plainConv(b, getLoc(), getInput(), dr, g));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation: written as primitive ops, so their rules give second order.
//===----------------------------------------------------------------------===//

namespace {

/// The mean of v over its last axis, kept as size 1.
Value meanOverLastAxis(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  const int64_t last = type.getRank() - 1;
  return scaled(b, loc, b.create<ReduceSumOp>(loc, v, b.getDenseI64ArrayAttr({last})),
                1.0 / static_cast<double>(type.getDimSize(last)));
}

/// x normalised over its last axis (size n): returns x_hat and 1/sigma.
std::pair<Value, Value> normalizeLastAxis(OpBuilder &b, Location loc, Value x, double epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  auto mean = [&](Value v) { return meanOverLastAxis(b, loc, v); };
  Value centered = b.create<AddOp>(loc, x, scaled(b, loc, mean(x), -1.0));
  Value var = mean(b.create<ActOp>(loc, ActKind::square, centered));
  auto scalar = RankedTensorType::get({1}, type.getElementType());
  Value eps = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(scalar, b.getFloatAttr(type.getElementType(), epsilon)));
  Value rstd = b.create<ActOp>(
      loc, ActKind::reciprocal,
      b.create<ActOp>(loc, ActKind::sqrt, b.create<AddOp>(loc, var, eps)).getResult());
  return {b.create<MulOp>(loc, centered, rstd), rstd};
}

/// dx = rstd (g - mean(g) - x_hat mean(g x_hat)) over the last axis, for the
/// cotangent g of x_hat.
Value normalizeBackward(OpBuilder &b, Location loc, Value xhat, Value rstd, Value g) {
  auto mean = [&](Value v) { return meanOverLastAxis(b, loc, v); };
  Value projection = b.create<MulOp>(loc, xhat, mean(b.create<MulOp>(loc, g, xhat)));
  Value centered = b.create<AddOp>(loc, g, scaled(b, loc, mean(g), -1.0));
  Value inner = b.create<AddOp>(loc, centered, scaled(b, loc, projection, -1.0));
  return b.create<MulOp>(loc, inner, rstd);
}

} // namespace

namespace {
/// [N, C, ...] as [N, G, M]: each group normalised over its last axis.
RankedTensorType groupedType(RankedTensorType type, int64_t groups) {
  int64_t perGroup = type.getDimSize(1) / groups;
  for (int64_t d = 2; d < type.getRank(); ++d)
    perGroup *= type.getDimSize(d);
  return RankedTensorType::get({type.getDimSize(0), groups, perGroup}, type.getElementType());
}

/// gamma, beta [C] as [C, 1, ...] against [N, C, ...].
RankedTensorType channelType(RankedTensorType type) {
  SmallVector<int64_t> shape(type.getRank() - 1, 1);
  shape[0] = type.getDimSize(1);
  return RankedTensorType::get(shape, type.getElementType());
}
} // namespace

LogicalResult GroupNormOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value dz = resultGrads[0];
  if (getActivation()) {
    // The pre-activation z, recomputed by one group norm without it.
    Value z = b.create<GroupNormOp>(loc, getInput(), getGamma(), getBeta(), getGroupsAttr(),
                                    getEpsilonAttr(), ActKindAttr());
    dz = actGrad(b, loc, *getActivation(), 1, z, dz);
  }
  auto g = b.create<GroupNormGradOp>(loc, getInput().getType(), getGamma().getType(),
                                     getGamma().getType(), getInput(), getGamma(), dz,
                                     getGroupsAttr(), getEpsilonAttr());
  grads.append({g.getInputGrad(), g.getGammaGrad(), g.getBetaGrad()});
  return success();
}

SmallVector<Value> GroupNormGradOp::decompose(OpBuilder &b) {
  Location loc = getLoc();
  auto type = cast<RankedTensorType>(getInput().getType());
  auto grouped = groupedType(type, static_cast<int64_t>(getGroups()));
  auto [xhat, rstd] = normalizeLastAxis(b, loc, b.create<ReshapeOp>(loc, grouped, getInput()),
                                        getEpsilon().convertToDouble());
  Value xhatFull = b.create<ReshapeOp>(loc, type, xhat);
  Value gamma = b.create<ReshapeOp>(loc, channelType(type), getGamma());
  Value dz = getGrad();
  SmallVector<int64_t> reduced = {0};
  for (int64_t d = 2; d < type.getRank(); ++d)
    reduced.push_back(d);
  auto perChannel = [&](Value v) {
    return b.create<ReshapeOp>(loc, getGamma().getType(),
                               b.create<ReduceSumOp>(loc, v, b.getDenseI64ArrayAttr(reduced)))
        .getResult();
  };
  Value dxhat = b.create<ReshapeOp>(loc, grouped, b.create<MulOp>(loc, dz, gamma));
  return {b.create<ReshapeOp>(loc, type, normalizeBackward(b, loc, xhat, rstd, dxhat)),
          perChannel(b.create<MulOp>(loc, dz, xhatFull)), perChannel(dz)};
}

LogicalResult LayerNormOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  auto [xhat, rstd] = normalizeLastAxis(b, loc, getInput(), getEpsilon().convertToDouble());
  grads.push_back(
      normalizeBackward(b, loc, xhat, rstd, b.create<MulOp>(loc, dy, getGamma())));
  grads.push_back(unbroadcast(b, loc, b.create<MulOp>(loc, dy, xhat), getGamma().getType()));
  grads.push_back(unbroadcast(b, loc, dy, getBeta().getType()));
  return success();
}

LogicalResult AttentionOp::emitVJP(OpBuilder &b, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &grads) {
  Value dy = resultGrads[0];
  auto g = b.create<AttentionGradOp>(getLoc(), getQuery().getType(), getKey().getType(),
                                     getValue().getType(), getQuery(), getKey(), getValue(),
                                     dy, getHeadsAttr());
  grads.append({g.getQueryGrad(), g.getKeyGrad(), g.getValueGrad()});
  return success();
}
