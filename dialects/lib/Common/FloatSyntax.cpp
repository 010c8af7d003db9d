//===- FloatSyntax.cpp ------------------------------------------------------===//
#include "tweedie/Dialect/Common/FloatSyntax.h"

namespace tweedie {

void printF64(mlir::AsmPrinter &printer, double value) {
  printer << formatF64(value);
}

mlir::FailureOr<F64> parseF64(mlir::AsmParser &parser) {
  double value = 0;
  if (parser.parseFloat(value))
    return mlir::failure();
  return F64(value);
}

void printF64Array(mlir::AsmPrinter &printer, llvm::ArrayRef<double> values) {
  printer << '[';
  llvm::interleaveComma(values, printer, [&](double v) { printF64(printer, v); });
  printer << ']';
}

mlir::FailureOr<llvm::SmallVector<double>> parseF64Array(mlir::AsmParser &parser) {
  llvm::SmallVector<double> values;
  auto parseOne = [&]() -> mlir::ParseResult {
    double v = 0;
    if (parser.parseFloat(v))
      return mlir::failure();
    values.push_back(v);
    return mlir::success();
  };
  if (parser.parseCommaSeparatedList(mlir::AsmParser::Delimiter::Square, parseOne))
    return mlir::failure();
  return values;
}

mlir::FailureOr<mlir::DenseF64ArrayAttr> parseF64ArrayAttr(mlir::AsmParser &parser) {
  mlir::FailureOr<llvm::SmallVector<double>> values = parseF64Array(parser);
  if (mlir::failed(values))
    return mlir::failure();
  return mlir::DenseF64ArrayAttr::get(parser.getContext(), *values);
}

} // namespace tweedie
