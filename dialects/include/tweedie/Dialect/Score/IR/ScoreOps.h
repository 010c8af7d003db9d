//===- ScoreOps.h - score dialect operations --------------------*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SCORE_IR_SCOREOPS_H
#define TWEEDIE_DIALECT_SCORE_IR_SCOREOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tweedie/Dialect/Score/IR/ScoreDialect.h"

#include "tweedie/Dialect/Score/IR/ScoreEnums.h.inc"
#include "tweedie/Dialect/Score/IR/ScoreInterfaces.h.inc"

#define GET_OP_CLASSES
#include "tweedie/Dialect/Score/IR/ScoreOps.h.inc"

#endif
