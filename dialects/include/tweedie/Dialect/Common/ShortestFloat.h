//===- ShortestFloat.h - float64 as the shortest exact decimal -*- C++ -*-===//
//
// Plain C++ (no MLIR): the dialects print attributes with it and the sampler
// catalog (which must not link MLIR) writes spec values with it, so both
// spell a number the same way.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DIALECT_COMMON_SHORTESTFLOAT_H
#define TWEEDIE_DIALECT_COMMON_SHORTESTFLOAT_H

#include <charconv>
#include <string>

namespace tweedie {

/// Shortest decimal that parses back to exactly `value`, always with a '.' so the
/// MLIR lexer reads it as a float ("1.0e-04", "0.02", "7.0").
inline std::string formatF64(double value) {
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

} // namespace tweedie

#endif // TWEEDIE_DIALECT_COMMON_SHORTESTFLOAT_H
