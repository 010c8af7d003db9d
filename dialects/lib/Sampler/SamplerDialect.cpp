//===- SamplerDialect.cpp - dialect registration --------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"

#include "tweedie/Dialect/Common/Inlining.h"

using namespace mlir;
using namespace tweedie::sampler;

#include "tweedie/Dialect/Sampler/IR/SamplerDialect.cpp.inc"

void SamplerDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "tweedie/Dialect/Sampler/IR/SamplerOps.cpp.inc"
      >();
  addInterfaces<tweedie::AlwaysInlinableInterface>();
}

LogicalResult SamplerDialect::verifyOperationAttribute(Operation *op,
                                                       NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  if (name == "sampler.schedule") {
    if (!isa<ScheduleAttrInterface>(attribute.getValue()))
      return op->emitError("'sampler.schedule' must be a schedule (e.g. #sampler.vp<>), got ")
             << attribute.getValue();
    return success();
  }
  if (name == "sampler.prediction") {
    auto text = dyn_cast<StringAttr>(attribute.getValue());
    if (!text || !symbolizeParameterization(text.getValue()))
      return op->emitError("'sampler.prediction' must be one of \"eps\", \"x0\", \"v\", "
                           "\"score\", \"energy\", got ")
             << attribute.getValue();
    return success();
  }
  // Other sampler.* attributes are the compiler's own annotations (plans).
  return success();
}
