//===- ShapeUtils.cpp -------------------------------------------------------===//
#include "tweedie/Dialect/Common/ShapeUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <algorithm>

namespace tweedie {

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += mlir::ShapedType::isDynamic(shape[i]) ? "?" : std::to_string(shape[i]);
  }
  return out + "]";
}

bool dimsCompatible(int64_t a, int64_t b) {
  return a == b || mlir::ShapedType::isDynamic(a) || mlir::ShapedType::isDynamic(b);
}

int64_t mergeDims(int64_t a, int64_t b) {
  return mlir::ShapedType::isDynamic(a) ? b : a;
}

std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                int64_t &badAxis) {
  const size_t rank = std::max(lhs.size(), rhs.size());
  llvm::SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align at the trailing axes; a missing leading axis acts as 1.
    int64_t l = i + lhs.size() >= rank ? lhs[i + lhs.size() - rank] : 1;
    int64_t r = i + rhs.size() >= rank ? rhs[i + rhs.size() - rank] : 1;
    if (l == 1)
      result[i] = r;
    else if (r == 1)
      result[i] = l;
    else if (dimsCompatible(l, r))
      result[i] = mergeDims(l, r);
    else {
      badAxis = static_cast<int64_t>(i);
      return std::nullopt;
    }
  }
  return result;
}

mlir::LogicalResult emitShapeError(std::optional<mlir::Location> loc,
                                   llvm::StringRef opName,
                                   const llvm::Twine &message) {
  if (loc)
    mlir::emitError(*loc) << "'" << opName << "' op " << message;
  return mlir::failure();
}

} // namespace tweedie
