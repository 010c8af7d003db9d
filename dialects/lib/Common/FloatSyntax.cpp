//===- FloatSyntax.cpp ------------------------------------------------------===//
#include "tweedie/Dialect/Common/FloatSyntax.h"

#include <charconv>

namespace tweedie {

std::string formatF64(double value) {
  char buffer[64];
  // std::to_chars without a precision gives the shortest round-tripping form.
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  (void)ec;
  std::string text(buffer, end);
  if (text.find_first_of(".ni") != std::string::npos) // has '.', or inf/nan
    return text;
  size_t exponent = text.find('e');
  if (exponent == std::string::npos)
    return text + ".0";
  return text.substr(0, exponent) + ".0" + text.substr(exponent);
}

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

} // namespace tweedie
