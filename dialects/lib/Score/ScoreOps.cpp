//===- ScoreOps.cpp - shape inference and verifiers of score ops ---------===//
//
// Shape rules live in inferReturnTypes: the verifier compares the declared
// result type with the inferred one, and builders get the type for free. Each
// message names the operands involved and prints their shapes.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Dialect/Common/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace tweedie;
using namespace tweedie::score;

namespace {

/// Collects the shape checks of one op under inference.
class ShapeChecker {
public:
  ShapeChecker(std::optional<Location> loc, StringRef opName)
      : loc(loc), opName(opName) {}

  LogicalResult fail(const Twine &message) const {
    return emitShapeError(loc, opName, message);
  }

  /// Every tensor operand must share one element type (no implicit casts).
  LogicalResult sameElementType(ArrayRef<std::pair<StringRef, Value>> operands) {
    Type first = getElementTypeOrSelf(operands.front().second.getType());
    for (auto [name, value] : operands.drop_front()) {
      if (!value)
        continue;
      Type elem = getElementTypeOrSelf(value.getType());
      if (elem != first)
        return fail(Twine("operand '") + name + "' has element type " +
                    typeToString(elem) + " but '" + operands.front().first +
                    "' has " + typeToString(first));
    }
    return success();
  }

  LogicalResult rank(StringRef name, ShapedType type, int64_t expected) const {
    if (type.getRank() != expected)
      return fail(Twine("operand '") + name + "' must have rank " +
                  Twine(expected) + ", got shape " + formatShape(type.getShape()));
    return success();
  }

  LogicalResult minRank(StringRef name, ShapedType type, int64_t minimum) const {
    if (type.getRank() < minimum)
      return fail(Twine("operand '") + name + "' must have rank >= " +
                  Twine(minimum) + ", got shape " + formatShape(type.getShape()));
    return success();
  }

  /// A per-channel vector (bias, gamma, beta) of `expected` entries.
  LogicalResult vectorOf(StringRef name, ShapedType type, int64_t expected,
                         StringRef what, StringRef other, ShapedType otherType) {
    if (type.getRank() != 1 || !dimsCompatible(type.getDimSize(0), expected))
      return fail(Twine("operand '") + name + "' shape " +
                  formatShape(type.getShape()) + " must be [" +
                  (ShapedType::isDynamic(expected) ? std::string("?")
                                                   : std::to_string(expected)) +
                  "] to match " + what + " of '" + other + "' shape " +
                  formatShape(otherType.getShape()));
    return success();
  }

private:
  static std::string typeToString(Type type) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    return s;
  }

  std::optional<Location> loc;
  StringRef opName;
};

ShapedType shapedOf(Value v) { return cast<ShapedType>(v.getType()); }

/// The fused residual is added elementwise (no broadcasting): same shape.
LogicalResult checkResidual(ShapeChecker &check, Value residual,
                            ArrayRef<int64_t> resultShape) {
  if (!residual)
    return success();
  ArrayRef<int64_t> shape = shapedOf(residual).getShape();
  bool same = shape.size() == resultShape.size();
  for (size_t d = 0; same && d < shape.size(); ++d)
    same = dimsCompatible(shape[d], resultShape[d]);
  if (!same)
    return check.fail("operand 'residual' shape " + formatShape(shape) +
                      " must equal the result shape " + formatShape(resultShape));
  return success();
}

Type tensorLike(ArrayRef<int64_t> shape, Value like) {
  return RankedTensorType::get(shape, getElementTypeOrSelf(like.getType()));
}

} // namespace

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError("weight name must not be empty");
  if (!getType().hasStaticShape())
    return emitOpError("weight '")
           << getName() << "' must have a static shape, got "
           << formatShape(getType().getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// DenseOp
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType input = shapedOf(adaptor.getInput());
  ShapedType weight = shapedOf(adaptor.getWeight());
  if (failed(check.sameElementType({{"input", adaptor.getInput()},
                                    {"weight", adaptor.getWeight()},
                                    {"bias", adaptor.getBias()},
                                    {"residual", adaptor.getResidual()}})) ||
      failed(check.minRank("input", input, 1)) ||
      failed(check.rank("weight", weight, 2)))
    return failure();
  int64_t k = input.getShape().back();
  if (!dimsCompatible(weight.getDimSize(0), k))
    return check.fail("operand 'weight' shape " + formatShape(weight.getShape()) +
                      " must be [K, N] with K equal to the last dim of 'input' "
                      "shape " + formatShape(input.getShape()));
  int64_t n = weight.getDimSize(1);
  if (Value bias = adaptor.getBias())
    if (failed(check.vectorOf("bias", shapedOf(bias), n, "dim 1", "weight", weight)))
      return failure();
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = n;
  if (failed(checkResidual(check, adaptor.getResidual(), shape)))
    return failure();
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType input = shapedOf(adaptor.getInput());
  ShapedType weight = shapedOf(adaptor.getWeight());
  if (failed(check.sameElementType({{"input", adaptor.getInput()},
                                    {"weight", adaptor.getWeight()},
                                    {"bias", adaptor.getBias()},
                                    {"residual", adaptor.getResidual()}})) ||
      failed(check.rank("input", input, 4)) ||
      failed(check.rank("weight", weight, 4)))
    return failure();
  ArrayRef<int64_t> stride = adaptor.getStride();
  ArrayRef<int64_t> padding = adaptor.getPadding();
  int64_t groups = adaptor.getGroups();
  if (stride.size() != 2 || stride[0] < 1 || stride[1] < 1)
    return check.fail("'stride' must be two positive integers [height, width], got " +
                      formatShape(stride));
  if (padding.size() != 2 || padding[0] < 0 || padding[1] < 0)
    return check.fail("'padding' must be two non-negative integers [height, "
                      "width], got " + formatShape(padding));
  if (groups < 1)
    return check.fail("'groups' must be positive, got " + Twine(groups));

  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (!ShapedType::isDynamic(channels) && channels % groups != 0)
    return check.fail("input channels " + Twine(channels) +
                      " (operand 'input' shape " + formatShape(input.getShape()) +
                      ") are not divisible by groups = " + Twine(groups));
  if (!ShapedType::isDynamic(outChannels) && outChannels % groups != 0)
    return check.fail("output channels " + Twine(outChannels) +
                      " (operand 'weight' shape " + formatShape(weight.getShape()) +
                      ") are not divisible by groups = " + Twine(groups));
  if (!ShapedType::isDynamic(channels) &&
      !dimsCompatible(weight.getDimSize(1), channels / groups))
    return check.fail("operand 'weight' shape " + formatShape(weight.getShape()) +
                      " must have dim 1 = input channels / groups = " +
                      Twine(channels / groups) + " for operand 'input' shape " +
                      formatShape(input.getShape()));
  if (Value bias = adaptor.getBias())
    if (failed(check.vectorOf("bias", shapedOf(bias), outChannels, "dim 0",
                              "weight", weight)))
      return failure();

  SmallVector<int64_t> shape = {input.getDimSize(0), outChannels};
  for (int axis = 0; axis < 2; ++axis) {
    int64_t size = input.getDimSize(2 + axis), kernel = weight.getDimSize(2 + axis);
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(kernel)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t padded = size + 2 * padding[axis];
    if (kernel > padded)
      return check.fail(Twine("kernel ") + (axis ? "width " : "height ") +
                        Twine(kernel) + " (operand 'weight' shape " +
                        formatShape(weight.getShape()) +
                        ") exceeds the padded input " + Twine(padded) +
                        " (operand 'input' shape " + formatShape(input.getShape()) +
                        ")");
    shape.push_back((padded - kernel) / stride[axis] + 1);
  }
  if (failed(checkResidual(check, adaptor.getResidual(), shape)))
    return failure();
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType q = shapedOf(adaptor.getQuery());
  ShapedType k = shapedOf(adaptor.getKey());
  ShapedType v = shapedOf(adaptor.getValue());
  if (failed(check.sameElementType({{"query", adaptor.getQuery()},
                                    {"key", adaptor.getKey()},
                                    {"value", adaptor.getValue()}})) ||
      failed(check.rank("query", q, 3)) || failed(check.rank("key", k, 3)) ||
      failed(check.rank("value", v, 3)))
    return failure();
  auto mismatch = [&](StringRef what, StringRef a, ShapedType at, StringRef b,
                      ShapedType bt) {
    return check.fail(what + " of operand '" + a + "' shape " +
                      formatShape(at.getShape()) + " and operand '" + b +
                      "' shape " + formatShape(bt.getShape()) + " differ");
  };
  if (!dimsCompatible(q.getDimSize(0), k.getDimSize(0)) ||
      !dimsCompatible(q.getDimSize(0), v.getDimSize(0)))
    return mismatch("batch dims (0)", "query", q,
                    dimsCompatible(q.getDimSize(0), k.getDimSize(0)) ? "value" : "key",
                    dimsCompatible(q.getDimSize(0), k.getDimSize(0)) ? v : k);
  if (!dimsCompatible(q.getDimSize(2), k.getDimSize(2)))
    return mismatch("feature dims (2)", "query", q, "key", k);
  if (!dimsCompatible(k.getDimSize(1), v.getDimSize(1)))
    return mismatch("sequence dims (1)", "key", k, "value", v);
  int64_t heads = adaptor.getHeads();
  for (auto [name, type] : {std::pair<StringRef, ShapedType>{"query", q}, {"value", v}}) {
    int64_t features = type.getDimSize(2);
    if (!ShapedType::isDynamic(features) && features % heads != 0)
      return check.fail("heads = " + Twine(heads) +
                        " does not divide the feature dim of operand '" + name +
                        "' shape " + formatShape(type.getShape()));
  }
  inferred.push_back(tensorLike(
      {mergeDims(q.getDimSize(0), v.getDimSize(0)), q.getDimSize(1), v.getDimSize(2)},
      adaptor.getQuery()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

static LogicalResult inferAffineNorm(ShapeChecker &check, Value input, Value gamma,
                                     Value beta, int64_t featureAxis,
                                     int64_t minRank, StringRef what,
                                     SmallVectorImpl<Type> &inferred) {
  ShapedType in = shapedOf(input);
  if (failed(check.sameElementType(
          {{"input", input}, {"gamma", gamma}, {"beta", beta}})) ||
      failed(check.minRank("input", in, minRank)))
    return failure();
  int64_t axis = featureAxis < 0 ? in.getRank() + featureAxis : featureAxis;
  int64_t features = in.getDimSize(axis);
  if (failed(check.vectorOf("gamma", shapedOf(gamma), features, what, "input", in)) ||
      failed(check.vectorOf("beta", shapedOf(beta), features, what, "input", in)))
    return failure();
  inferred.push_back(input.getType());
  return success();
}

LogicalResult GroupNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  if (failed(inferAffineNorm(check, adaptor.getInput(), adaptor.getGamma(),
                             adaptor.getBeta(), 1, 2, "the channel dim (1)",
                             inferred)))
    return failure();
  ShapedType in = shapedOf(adaptor.getInput());
  int64_t channels = in.getDimSize(1);
  if (!ShapedType::isDynamic(channels) && channels % adaptor.getGroups() != 0)
    return check.fail("channels " + Twine(channels) + " of operand 'input' shape " +
                      formatShape(in.getShape()) + " are not divisible by groups = " +
                      Twine(adaptor.getGroups()));
  return success();
}

LogicalResult GroupNormOp::verify() {
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive, got ") << getEpsilon().convertToDouble();
  return success();
}

LogicalResult GroupNormGradOp::verify() {
  ShapeChecker check(getLoc(), getOperationName());
  ShapedType in = shapedOf(getInput());
  if (failed(check.minRank("input", in, 2)) ||
      failed(check.vectorOf("gamma", shapedOf(getGamma()), in.getDimSize(1),
                            "the channel dim (1)", "input", in)))
    return failure();
  const int64_t channels = in.getDimSize(1);
  if (!ShapedType::isDynamic(channels) && channels % getGroups() != 0)
    return check.fail("channels " + Twine(channels) + " of operand 'input' shape " +
                      formatShape(in.getShape()) + " are not divisible by groups = " +
                      Twine(getGroups()));
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive, got ") << getEpsilon().convertToDouble();
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  return inferAffineNorm(check, adaptor.getInput(), adaptor.getGamma(),
                         adaptor.getBeta(), -1, 1, "the last dim", inferred);
}

LogicalResult LayerNormOp::verify() {
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive, got ") << getEpsilon().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(StringRef opName, std::optional<Location> loc,
                                   Value lhs, Value rhs,
                                   SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, opName);
  if (failed(check.sameElementType({{"lhs", lhs}, {"rhs", rhs}})))
    return failure();
  ArrayRef<int64_t> l = shapedOf(lhs).getShape(), r = shapedOf(rhs).getShape();
  int64_t badAxis = 0;
  auto shape = broadcastShapes(l, r, badAxis);
  if (!shape)
    return check.fail("operands 'lhs' shape " + formatShape(l) + " and 'rhs' shape " +
                      formatShape(r) + " are not broadcast-compatible at result axis " +
                      Twine(badAxis));
  inferred.push_back(tensorLike(*shape, lhs));
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferBroadcast(getOperationName(), loc, adaptor.getLhs(), adaptor.getRhs(),
                        inferred);
}

LogicalResult MulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferBroadcast(getOperationName(), loc, adaptor.getLhs(), adaptor.getRhs(),
                        inferred);
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return check.fail("needs at least one input");
  SmallVector<std::pair<StringRef, Value>> named;
  for (Value v : inputs)
    named.push_back({"inputs", v});
  if (failed(check.sameElementType(named)))
    return failure();
  ShapedType first = shapedOf(inputs.front());
  int64_t axis = adaptor.getAxis();
  if (axis >= first.getRank())
    return check.fail("axis " + Twine(axis) + " is out of range for input #0 shape " +
                      formatShape(first.getShape()));
  SmallVector<int64_t> shape(first.getShape());
  for (auto [index, value] : llvm::enumerate(inputs.drop_front())) {
    ShapedType type = shapedOf(value);
    auto mismatch = [&]() {
      return check.fail("input #" + Twine(index + 1) + " shape " +
                        formatShape(type.getShape()) +
                        " does not match input #0 shape " +
                        formatShape(first.getShape()) + " outside axis " + Twine(axis));
    };
    if (type.getRank() != first.getRank())
      return mismatch();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (d == axis) {
        bool dynamic = ShapedType::isDynamic(shape[d]) ||
                       ShapedType::isDynamic(type.getDimSize(d));
        shape[d] = dynamic ? ShapedType::kDynamic : shape[d] + type.getDimSize(d);
      } else if (!dimsCompatible(shape[d], type.getDimSize(d))) {
        return mismatch();
      } else {
        shape[d] = mergeDims(shape[d], type.getDimSize(d));
      }
    }
  }
  inferred.push_back(tensorLike(shape, inputs.front()));
  return success();
}

LogicalResult UpsampleOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  if (failed(check.rank("input", in, 4)))
    return failure();
  SmallVector<int64_t> shape(in.getShape());
  for (int axis = 2; axis < 4; ++axis)
    if (!ShapedType::isDynamic(shape[axis]))
      shape[axis] *= adaptor.getScale();
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  if (failed(check.rank("input", in, 4)))
    return failure();
  ArrayRef<int64_t> kernel = adaptor.getKernel(), stride = adaptor.getStride();
  if (kernel.size() != 2 || kernel[0] < 1 || kernel[1] < 1)
    return check.fail("'kernel' must be two positive integers [height, width], got " +
                      formatShape(kernel));
  if (stride.size() != 2 || stride[0] < 1 || stride[1] < 1)
    return check.fail("'stride' must be two positive integers [height, width], got " +
                      formatShape(stride));
  SmallVector<int64_t> shape(in.getShape());
  for (int axis = 0; axis < 2; ++axis) {
    int64_t &size = shape[2 + axis];
    if (ShapedType::isDynamic(size))
      continue;
    if (kernel[axis] > size)
      return check.fail("pooling window " + formatShape(kernel) +
                        " is larger than operand 'input' shape " +
                        formatShape(in.getShape()));
    size = (size - kernel[axis]) / stride[axis] + 1;
  }
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  ShapedType in = getInput().getType(), out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from input element type "
           << in.getElementType();
  auto staticProduct = [](ArrayRef<int64_t> shape, int &dynamicCount) {
    int64_t product = 1;
    dynamicCount = 0;
    for (int64_t d : shape) {
      if (ShapedType::isDynamic(d))
        ++dynamicCount;
      else
        product *= d;
    }
    return product;
  };
  int inDynamic = 0, outDynamic = 0;
  int64_t inCount = staticProduct(in.getShape(), inDynamic);
  int64_t outCount = staticProduct(out.getShape(), outDynamic);
  if (inDynamic > 1 || outDynamic > 1 || inDynamic != outDynamic)
    return emitOpError("can only reshape with one dynamic (batch) dim on both "
                       "sides, got input shape ")
           << formatShape(in.getShape()) << " and result shape "
           << formatShape(out.getShape());
  if (inCount != outCount)
    return emitOpError("input shape ")
           << formatShape(in.getShape()) << " (" << inCount
           << " static elements) cannot be reshaped to result shape "
           << formatShape(out.getShape()) << " (" << outCount << ")";
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  auto bad = [&]() {
    return check.fail("permutation " + formatShape(perm) +
                      " is not a permutation of the axes of operand 'input' shape " +
                      formatShape(in.getShape()));
  };
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return bad();
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= in.getRank() || seen[axis])
      return bad();
    seen[axis] = true;
    shape.push_back(in.getDimSize(axis));
  }
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Folds: layout and affine identities that need no kernel. The expansions'
// greedy rewriters, the inliner's canonicalisation and --canonicalize apply
// them (tests/Dialect/Score/canonicalize.mlir). Each keeps every bit of the
// values it forwards.
//===----------------------------------------------------------------------===//

OpFoldResult ScaleOp::fold(FoldAdaptor) {
  if (getFactor().isExactlyValue(1.0) && getShift().isZero())
    return getInput();
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // Row-major order survives any chain of reshapes: one is enough.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getInput().getType() == getType() ? getInput() : Value(getResult());
  }
  auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (dense && getType().hasStaticShape())
    return dense.reshape(getType());
  return {};
}

namespace {
bool isIdentityPermutation(ArrayRef<int64_t> permutation) {
  for (size_t i = 0; i < permutation.size(); ++i)
    if (permutation[i] != static_cast<int64_t>(i))
      return false;
  return true;
}

/// out[o] = in[i] with i[permutation[k]] = o[k], for static shapes.
DenseElementsAttr transposeConstant(DenseElementsAttr in, ArrayRef<int64_t> permutation,
                                    RankedTensorType resultType) {
  if (in.isSplat())
    return DenseElementsAttr::get(resultType, in.getSplatValue<Attribute>());
  ArrayRef<int64_t> inShape = in.getType().getShape();
  const int64_t rank = static_cast<int64_t>(inShape.size());
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  SmallVector<Attribute> values(in.getValues<Attribute>());
  SmallVector<Attribute> out;
  out.reserve(values.size());
  SmallVector<int64_t> index(rank, 0); // the output's multi-index
  for (int64_t n = 0; n < static_cast<int64_t>(values.size()); ++n) {
    int64_t source = 0;
    for (int64_t k = 0; k < rank; ++k)
      source += index[k] * inStrides[permutation[k]];
    out.push_back(values[source]);
    for (int64_t k = rank - 1; k >= 0 && ++index[k] == resultType.getDimSize(k); --k)
      index[k] = 0;
  }
  return DenseElementsAttr::get(resultType, out);
}
} // namespace

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (isIdentityPermutation(permutation) && getInput().getType() == getType())
    return getInput();
  // Result dim k is the inner result's dim p[k], which is x's dim q[p[k]].
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t axis : permutation)
      composed.push_back(inner.getPermutation()[axis]);
    if (isIdentityPermutation(composed) && inner.getInput().getType() == getType())
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  auto type = llvm::dyn_cast<RankedTensorType>(getType());
  if (dense && type && type.hasStaticShape())
    return transposeConstant(dense, permutation, type);
  return {};
}

//===----------------------------------------------------------------------===//
// TimeEmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult TimeEmbeddingOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType time = shapedOf(adaptor.getTime());
  if (failed(check.sameElementType({{"time", adaptor.getTime()},
                                    {"frequencies", adaptor.getFrequencies()}})) ||
      failed(check.rank("time", time, 1)))
    return failure();
  int64_t dim = adaptor.getDim();
  if (dim % 2 != 0)
    return check.fail("dim must be even (half sine, half cosine features), got " +
                      Twine(dim));
  bool fourier = adaptor.getKind() == EmbeddingKind::fourier;
  Value frequencies = adaptor.getFrequencies();
  if (fourier && !frequencies)
    return check.fail("fourier embedding needs a 'frequencies' operand of shape [" +
                      Twine(dim / 2) + "]");
  if (!fourier && frequencies)
    return check.fail("sinusoidal embedding takes no 'frequencies' operand");
  if (frequencies &&
      failed(check.vectorOf("frequencies", shapedOf(frequencies), dim / 2,
                            "dim / 2 = " + std::to_string(dim / 2) + ", half the width",
                            "time", time)))
    return failure();
  if (!(adaptor.getMaxPeriod().convertToDouble() > 0))
    return check.fail("max_period must be positive");
  inferred.push_back(tensorLike({time.getDimSize(0), dim}, adaptor.getTime()));
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  SmallVector<int64_t> shape(in.getShape());
  int64_t previous = -1;
  for (int64_t axis : adaptor.getAxes()) {
    if (axis <= previous || axis >= in.getRank())
      return check.fail("axes " + formatShape(adaptor.getAxes()) +
                        " must be increasing axes of operand 'input' shape " +
                        formatShape(in.getShape()));
    shape[axis] = 1;
    previous = axis;
  }
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

LogicalResult BroadcastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  if (failed(check.sameElementType({{"input", adaptor.getInput()}, {"like", adaptor.getLike()}})))
    return failure();
  ArrayRef<int64_t> in = shapedOf(adaptor.getInput()).getShape();
  ArrayRef<int64_t> like = shapedOf(adaptor.getLike()).getShape();
  bool fits = in.size() <= like.size();
  for (size_t i = 0; fits && i < in.size(); ++i) {
    int64_t d = in[in.size() - 1 - i], l = like[like.size() - 1 - i];
    fits = d == 1 || dimsCompatible(d, l);
  }
  if (!fits)
    return check.fail("operand 'input' shape " + formatShape(in) +
                      " does not broadcast to operand 'like' shape " + formatShape(like));
  inferred.push_back(adaptor.getLike().getType());
  return success();
}

LogicalResult ActGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  if (adaptor.getInput().getType() != adaptor.getGrad().getType())
    return check.fail("operands 'input' shape " +
                      formatShape(shapedOf(adaptor.getInput()).getShape()) + " and 'grad' shape " +
                      formatShape(shapedOf(adaptor.getGrad()).getShape()) +
                      " must have the same type");
  inferred.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult OuterSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType lhs = shapedOf(adaptor.getLhs()), rhs = shapedOf(adaptor.getRhs());
  if (failed(check.sameElementType({{"lhs", adaptor.getLhs()}, {"rhs", adaptor.getRhs()}})) ||
      failed(check.minRank("lhs", lhs, 1)))
    return failure();
  bool same = lhs.getRank() == rhs.getRank();
  for (int64_t i = 0; same && i + 1 < lhs.getRank(); ++i)
    same = dimsCompatible(lhs.getDimSize(i), rhs.getDimSize(i));
  if (!same)
    return check.fail("operands 'lhs' shape " + formatShape(lhs.getShape()) + " and 'rhs' shape " +
                      formatShape(rhs.getShape()) + " must share all but their last dim");
  int64_t m = lhs.getShape().back(), n = rhs.getShape().back();
  if (ShapedType::isDynamic(m) || ShapedType::isDynamic(n))
    return check.fail("the last dims of 'lhs' and 'rhs' must be static");
  inferred.push_back(tensorLike({m, n}, adaptor.getLhs()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  const int64_t axis = adaptor.getAxis();
  if (axis >= in.getRank() || in.isDynamicDim(axis) ||
      adaptor.getOffset() + adaptor.getSize() > in.getDimSize(axis))
    return check.fail("range [" + Twine(adaptor.getOffset()) + ", " +
                      Twine(adaptor.getOffset() + adaptor.getSize()) + ") of axis " + Twine(axis) +
                      " is not inside operand 'input' shape " + formatShape(in.getShape()));
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = adaptor.getSize();
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ShapedType in = shapedOf(adaptor.getInput());
  const int64_t axis = adaptor.getAxis();
  if (axis >= in.getRank() || in.isDynamicDim(axis))
    return check.fail("axis " + Twine(axis) + " is not a static axis of operand 'input' shape " +
                      formatShape(in.getShape()));
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] += adaptor.getBefore() + adaptor.getAfter();
  inferred.push_back(tensorLike(shape, adaptor.getInput()));
  return success();
}

namespace {
/// The [N, O, OH, OW] result of a conv2d of `input` [N, C, H, W] with a
/// [O, C/g, KH, KW] kernel, or nullopt when the attributes are malformed.
std::optional<SmallVector<int64_t>> convResultShape(ArrayRef<int64_t> input,
                                                    ArrayRef<int64_t> weight,
                                                    ArrayRef<int64_t> stride,
                                                    ArrayRef<int64_t> padding) {
  if (input.size() != 4 || weight.size() != 4 || stride.size() != 2 || padding.size() != 2 ||
      stride[0] < 1 || stride[1] < 1 || padding[0] < 0 || padding[1] < 0)
    return std::nullopt;
  SmallVector<int64_t> shape = {input[0], weight[0]};
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t padded = input[2 + axis] + 2 * padding[axis];
    if (ShapedType::isDynamic(input[2 + axis]) || padded < weight[2 + axis])
      return std::nullopt;
    shape.push_back((padded - weight[2 + axis]) / stride[axis] + 1);
  }
  return shape;
}

bool sameShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!dimsCompatible(a[i], b[i]))
      return false;
  return true;
}
} // namespace

LogicalResult Conv2DBackwardDataOp::inferReturnTypes(MLIRContext *,
                                                     std::optional<Location> loc,
                                                     Adaptor adaptor,
                                                     SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ArrayRef<int64_t> like = shapedOf(adaptor.getLike()).getShape();
  ArrayRef<int64_t> weight = shapedOf(adaptor.getWeight()).getShape();
  ArrayRef<int64_t> grad = shapedOf(adaptor.getGrad()).getShape();
  auto expected = convResultShape(like, weight, adaptor.getStride(), adaptor.getPadding());
  if (!expected || !sameShape(*expected, grad) ||
      weight[1] * static_cast<int64_t>(adaptor.getGroups()) != like[1])
    return check.fail("operand 'grad' shape " + formatShape(grad) +
                      " is not the result of a conv2d of operand 'like' shape " +
                      formatShape(like) + " with operand 'weight' shape " + formatShape(weight));
  inferred.push_back(adaptor.getLike().getType());
  return success();
}

LogicalResult Conv2DBackwardWeightOp::inferReturnTypes(MLIRContext *,
                                                       std::optional<Location> loc,
                                                       Adaptor adaptor,
                                                       SmallVectorImpl<Type> &inferred) {
  ShapeChecker check(loc, getOperationName());
  ArrayRef<int64_t> input = shapedOf(adaptor.getInput()).getShape();
  ArrayRef<int64_t> grad = shapedOf(adaptor.getGrad()).getShape();
  ArrayRef<int64_t> kernel = adaptor.getKernel();
  const int64_t groups = adaptor.getGroups();
  if (input.size() != 4 || grad.size() != 4 || kernel.size() != 2 ||
      ShapedType::isDynamic(input[1]) || input[1] % groups != 0)
    return check.fail("operands 'input' shape " + formatShape(input) + " and 'grad' shape " +
                      formatShape(grad) + " do not fit a conv2d with kernel " +
                      formatShape(kernel));
  SmallVector<int64_t> weight = {grad[1], input[1] / groups, kernel[0], kernel[1]};
  auto expected = convResultShape(input, weight, adaptor.getStride(), adaptor.getPadding());
  if (!expected || !sameShape(*expected, grad))
    return check.fail("operand 'grad' shape " + formatShape(grad) +
                      " is not the result of a conv2d of operand 'input' shape " +
                      formatShape(input) + " with a kernel " + formatShape(weight));
  inferred.push_back(tensorLike(weight, adaptor.getInput()));
  return success();
}

#include "tweedie/Dialect/Score/IR/ScoreInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "tweedie/Dialect/Score/IR/ScoreOps.cpp.inc"
