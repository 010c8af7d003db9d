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
} // namespace tweedie::sampler

#define GET_OP_CLASSES
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h.inc"

#endif
