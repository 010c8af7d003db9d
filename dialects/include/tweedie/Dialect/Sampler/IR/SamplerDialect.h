//===- SamplerDialect.h - the sampler dialect -------------------*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERDIALECT_H
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h.inc"

#endif
