//===- SamplerAttrs.h - schedules and sampling methods ----------*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERATTRS_H
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

#include "tweedie/Dialect/Common/FloatSyntax.h"
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Numerics/Processes.h"

#include <vector>

#include "tweedie/Dialect/Sampler/IR/SamplerEnums.h.inc"

#include "tweedie/Dialect/Sampler/IR/SamplerAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h.inc"

#endif
