//===- ScoreDialect.cpp - dialect registration and generated definitions --===//
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"


#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace tweedie::score;

#include "tweedie/Dialect/Score/IR/ScoreDialect.cpp.inc"
#include "tweedie/Dialect/Score/IR/ScoreEnums.cpp.inc"


namespace {
/// Every op of the dialect is pure dataflow (or, for sampler regions, self-
/// contained), so networks inline into the sampler loop that calls them.
struct ScoreInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void ScoreDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tweedie/Dialect/Score/IR/ScoreOps.cpp.inc"
      >();
  addInterfaces<ScoreInlinerInterface>();
}
