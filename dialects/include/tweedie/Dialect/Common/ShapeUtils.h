//===- ShapeUtils.h - shape arithmetic and messages shared by the dialects -===//
#ifndef TWEEDIE_DIALECT_COMMON_SHAPEUTILS_H
#define TWEEDIE_DIALECT_COMMON_SHAPEUTILS_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tweedie {

/// "[?, 2, 3]": how every user-facing message spells a shape.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Two dims agree when equal or when either is dynamic (known only at run time).
bool dimsCompatible(int64_t a, int64_t b);

/// The more informative of two compatible dims (static wins over dynamic).
int64_t mergeDims(int64_t a, int64_t b);

/// NumPy broadcasting of two shapes; std::nullopt and the offending result axis
/// in `badAxis` when some pair of dims is neither equal nor 1.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                int64_t &badAxis);

/// Emits "'<opName>' op <message>" at `loc` when a location is known (shape
/// inference runs both inside the verifier and silently from builders).
mlir::LogicalResult emitShapeError(std::optional<mlir::Location> loc,
                                   llvm::StringRef opName,
                                   const llvm::Twine &message);

} // namespace tweedie

#endif // TWEEDIE_DIALECT_COMMON_SHAPEUTILS_H
