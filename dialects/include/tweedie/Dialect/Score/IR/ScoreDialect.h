//===- ScoreDialect.h - the score dialect -----------------------*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SCORE_IR_SCOREDIALECT_H
#define TWEEDIE_DIALECT_SCORE_IR_SCOREDIALECT_H

#include "mlir/IR/Dialect.h"

#include "tweedie/Dialect/Score/IR/ScoreDialect.h.inc"

#endif
