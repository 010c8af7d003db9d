//===- FloatSyntax.h - exact float64 attribute parameters in assembly -----===//
//
// Schedule and sampler coefficients are float64 and must survive a print/parse
// round trip bit for bit, which raw_ostream's `<< double` (6 digits) does not.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DIALECT_COMMON_FLOATSYNTAX_H
#define TWEEDIE_DIALECT_COMMON_FLOATSYNTAX_H

#include "tweedie/Dialect/Common/ShortestFloat.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/bit.h"

#include <string>

namespace tweedie {

/// A float64 attribute parameter. Attribute storage hashes its parameters with
/// llvm::hash_combine, which has no overload for double; this wrapper supplies
/// one (by bit pattern, found through ADL) and otherwise behaves as a double.
struct F64 {
  double value = 0;
  F64() = default;
  F64(double v) : value(v) {}
  operator double() const { return value; }
};
inline llvm::hash_code hash_value(F64 v) {
  return llvm::hash_value(llvm::bit_cast<uint64_t>(v.value));
}

void printF64(mlir::AsmPrinter &printer, double value);
mlir::FailureOr<F64> parseF64(mlir::AsmParser &parser);

/// `[1.0, 0.5, 0.25]`
void printF64Array(mlir::AsmPrinter &printer, llvm::ArrayRef<double> values);
mlir::FailureOr<llvm::SmallVector<double>> parseF64Array(mlir::AsmParser &parser);
/// The same list as a DenseF64ArrayAttr (per-step tables, explicit sigmas).
mlir::FailureOr<mlir::DenseF64ArrayAttr> parseF64ArrayAttr(mlir::AsmParser &parser);

} // namespace tweedie

#endif // TWEEDIE_DIALECT_COMMON_FLOATSYNTAX_H
