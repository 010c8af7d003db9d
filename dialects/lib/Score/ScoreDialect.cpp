//===- ScoreDialect.cpp - dialect registration and generated definitions --===//
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include "tweedie/Dialect/Common/Inlining.h"

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
