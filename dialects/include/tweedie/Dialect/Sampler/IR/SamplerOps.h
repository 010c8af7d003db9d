//===- SamplerOps.h - sampler dialect operations ----------------*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLEROPS_H
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLEROPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"

namespace tweedie::sampler {
class YieldOp;

/// On an entry whose sampler.likelihood was expanded: the std of the prior
/// N(0, s^2 I) its flow ends in (the runtime adds that log-density).
inline constexpr llvm::StringLiteral kLikelihoodPriorStdAttr = "sampler.likelihood_prior_std";
} // namespace tweedie::sampler

#define GET_OP_CLASSES
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h.inc"

#endif
