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
