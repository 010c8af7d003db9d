//===- InitAll.h - register every dialect and pass Tweedie's tools use ---===//
#ifndef TWEEDIE_INITALL_H
#define TWEEDIE_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tweedie {

/// Tweedie's dialects plus the upstream ones the pipeline lowers through.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Tweedie's passes (and the upstream ones its pipelines use) for opt tools.
void registerAllPasses();

} // namespace tweedie

#endif
