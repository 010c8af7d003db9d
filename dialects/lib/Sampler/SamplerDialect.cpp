//===- SamplerDialect.cpp - dialect registration --------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace tweedie::sampler;

#include "tweedie/Dialect/Sampler/IR/SamplerDialect.cpp.inc"


namespace {
/// Every op of the dialect is pure dataflow (or, for sampler regions, self-
/// contained), so networks inline into the sampler loop that calls them.
struct SamplerInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void SamplerDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "tweedie/Dialect/Sampler/IR/SamplerOps.cpp.inc"
      >();
  addInterfaces<SamplerInlinerInterface>();
}
