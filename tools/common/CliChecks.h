//===- CliChecks.h - validators for the tools' numeric flags --------------===//
//
// CLI11's PositiveNumber/NonNegativeNumber report "Value 0 not in range 0 to
// 1.797...e308", and an unsigned option takes "-1" as 2^64 - 1. These say
// what a flag takes in words and refuse what is absurd.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TOOLS_CLICHECKS_H
#define TWEEDIE_TOOLS_CLICHECKS_H

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <string>

namespace tweedie::tools {

/// Decimal digits only, at most `maxDigits`, after an optional '-' when `signed_`.
inline bool isDecimal(const std::string &text, size_t maxDigits, bool signed_) {
  const size_t first = signed_ && !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > first && text.size() - first <= maxDigits &&
         text.find_first_not_of("0123456789", first) == std::string::npos;
}

/// A whole number in [lo, hi], written in decimal digits (a leading '-' only
/// when lo < 0).
inline CLI::Validator wholeNumberIn(int64_t lo, int64_t hi) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        const std::string expected = "a whole number from " + range + ", got '" + text + "'";
        if (!isDecimal(text, 19, /*signed_=*/true))
          return expected;
        errno = 0;
        const long long value = std::strtoll(text.c_str(), nullptr, 10);
        return errno == 0 && value >= lo && value <= hi ? std::string() : expected;
      },
      "INT in [" + range + "]");
}

/// A seed: any unsigned 64-bit number, in decimal digits (no sign).
inline CLI::Validator seedNumber() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        const std::string expected =
            "a seed is a whole number from 0 to 18446744073709551615, got '" + text + "'";
        if (!isDecimal(text, 20, /*signed_=*/false))
          return expected;
        errno = 0;
        std::strtoull(text.c_str(), nullptr, 10);
        return errno == 0 ? std::string() : expected;
      },
      "SEED");
}

/// A finite real number in [lo, hi] (or (lo, hi] with `openLow`).
inline CLI::Validator realIn(double lo, double hi, bool openLow = false) {
  auto format = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", v);
    return std::string(buffer);
  };
  const std::string range = (openLow ? "(" : "[") + format(lo) + ", " + format(hi) + "]";
  return CLI::Validator(
      [=](std::string &text) -> std::string {
        char *end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const bool ok = !text.empty() && end && *end == '\0' && std::isfinite(value) &&
                        (openLow ? value > lo : value >= lo) && value <= hi;
        return ok ? std::string() : "a number in " + range + ", got '" + text + "'";
      },
      "REAL in " + range);
}

} // namespace tweedie::tools

#endif
