//===- Inlining.h - inliner interface of Tweedie's dialects ----*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_COMMON_INLINING_H
#define TWEEDIE_DIALECT_COMMON_INLINING_H

#include "mlir/Transforms/InliningUtils.h"

namespace tweedie {

/// Every score op is pure dataflow and every sampler region is self-contained,
/// so any of their ops may be inlined: networks inline into the sampler loop
/// that calls them. Both dialects register this one interface.
struct AlwaysInlinableInterface : public mlir::DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(mlir::Operation *, mlir::Region *, bool,
                       mlir::IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(mlir::Region *, mlir::Region *, bool,
                       mlir::IRMapping &) const final {
    return true;
  }
};

} // namespace tweedie

#endif
