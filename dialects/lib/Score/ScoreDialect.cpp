//===- ScoreDialect.cpp - dialect registration and generated definitions --===//
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include "tweedie/Dialect/Common/Inlining.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace tweedie::score;

#include "tweedie/Dialect/Score/IR/ScoreDialect.cpp.inc"
#include "tweedie/Dialect/Score/IR/ScoreEnums.cpp.inc"

void ScoreDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tweedie/Dialect/Score/IR/ScoreOps.cpp.inc"
      >();
  addInterfaces<tweedie::AlwaysInlinableInterface>();
}

/// A folded constant (a transposed or reshaped arith.constant) is an
/// arith.constant again.
Operation *ScoreDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                             Location loc) {
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || dense.getType() != type)
    return nullptr;
  return builder.create<arith::ConstantOp>(loc, type, dense);
}
