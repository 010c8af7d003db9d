//===- NoiseMath.h - the float64 log and sine/cosine the noise is made of -===//
//
// Box-Muller needs log, cos and sin. The C library's are not the same bits
// everywhere (glibc picks FMA variants by CPU at load time; CUDA's libdevice
// is another implementation), so the noise would depend on the machine. These
// are Tweedie's own: integer and bit operations, + - * / and sqrt only, each correctly
// rounded by IEEE 754 on every x86-64 level and on NVIDIA GPUs, evaluated in
// one fixed order. The generated GPU noise kernel (compiler/lib/Target/
// NoiseKernel.cpp) emits the same operations from the same coefficient
// tables, so a GPU draws the CPU's bits. Both are within 2 ulp of the exact
// functions (tests/unit/NoiseMathTest.cpp).
//
// A compiler must not fuse a*b+c into one rounding here: the project builds
// with -ffp-contract=off, and TWEEDIE_EXACT_FP asks the same of GCC and Clang
// for a host that includes this header with other flags.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NOISEMATH_H
#define TWEEDIE_NOISEMATH_H

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#if defined(__clang__)
#define TWEEDIE_EXACT_FP _Pragma("clang fp contract(off)")
#define TWEEDIE_EXACT_FP_FUNCTION
#elif defined(__GNUC__)
#define TWEEDIE_EXACT_FP
#define TWEEDIE_EXACT_FP_FUNCTION __attribute__((optimize("fp-contract=off")))
#else
#define TWEEDIE_EXACT_FP
#define TWEEDIE_EXACT_FP_FUNCTION
#endif

namespace tweedie::noisemath {

/// log m = 2 atanh(s), s = (m - 1) / (m + 1): 2 s (1 + z/3 + z^2/5 + ...),
/// z = s^2 <= 0.0295 for m in [sqrt(1/2), sqrt(2)]. kLogSeries[k] = 1 / (2k + 3);
/// the first omitted term is below 2^-60 of the sum.
inline constexpr std::array<double, 11> kLogSeries = {
    1.0 / 3.0,  1.0 / 5.0,  1.0 / 7.0,  1.0 / 9.0,  1.0 / 11.0, 1.0 / 13.0,
    1.0 / 15.0, 1.0 / 17.0, 1.0 / 19.0, 1.0 / 21.0, 1.0 / 23.0};
/// sin x = x + x z (-1/3! + z/5! - ...), cos x = 1 + z (-1/2! + z/4! - ...),
/// z = x^2 <= (pi/4)^2.
inline constexpr std::array<double, 9> kSinSeries = {
    -1.0 / 6.0,          1.0 / 120.0,           -1.0 / 5040.0,
    1.0 / 362880.0,      -1.0 / 39916800.0,     1.0 / 6227020800.0,
    -1.0 / 1307674368000.0, 1.0 / 355687428096000.0, -1.0 / 121645100408832000.0};
inline constexpr std::array<double, 10> kCosSeries = {
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40320.0,
    -1.0 / 3628800.0,
    1.0 / 479001600.0,
    -1.0 / 87178291200.0,
    1.0 / 20922789888000.0,
    -1.0 / 6402373705728000.0,
    1.0 / 2432902008176640000.0};
/// ln 2 split so that e * kLn2Hi is exact for every double exponent e
/// (fdlibm's split: kLn2Hi has 32 significant bits).
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;
inline constexpr double kSqrt2 = 1.4142135623730951;
inline constexpr double kTwoPi = 6.283185307179586476925286766559;

/// Horner's rule on z, highest coefficient first.
template <size_t N>
TWEEDIE_EXACT_FP_FUNCTION constexpr double series(const std::array<double, N> &c, double z) {
  TWEEDIE_EXACT_FP
  double p = c[N - 1];
  for (size_t k = N - 1; k-- > 0;)
    p = p * z + c[k];
  return p;
}

/// Natural log of a positive normal double x = m 2^e, m in [sqrt(1/2), sqrt(2)).
TWEEDIE_EXACT_FP_FUNCTION inline double logOfPositive(double x) {
  TWEEDIE_EXACT_FP
  const auto bits = std::bit_cast<uint64_t>(x);
  int64_t exponent = static_cast<int64_t>(bits >> 52) - 1023;
  double m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  if (m > kSqrt2) {
    m = m * 0.5; // exact
    exponent += 1;
  }
  const double s = (m - 1.0) / (m + 1.0); // m - 1 is exact (Sterbenz)
  const double twoS = s + s;
  const double logM = twoS + twoS * ((s * s) * series(kLogSeries, s * s));
  const auto e = static_cast<double>(exponent);
  return e * kLn2Hi + (e * kLn2Lo + logM);
}

/// {cos 2 pi t, sin 2 pi t} for t in [0, 1): t = q/4 + r with q the nearest
/// quarter turn (4t + 1/2 truncated: it is positive), so |2 pi r| <= pi/4 and
/// r = t - q/4 is exact.
TWEEDIE_EXACT_FP_FUNCTION inline std::array<double, 2> cosSinTurns(double t) {
  TWEEDIE_EXACT_FP
  const auto quadrant = static_cast<int64_t>(4.0 * t + 0.5);
  const auto q = static_cast<double>(quadrant);
  const double x = (t - 0.25 * q) * kTwoPi;
  const double z = x * x;
  const double s = x + x * (z * series(kSinSeries, z));
  const double c = 1.0 + z * series(kCosSeries, z);
  switch (quadrant & 3) {
  case 0:
    return {c, s};
  case 1:
    return {-s, c};
  case 2:
    return {-c, -s};
  default:
    return {s, -c};
  }
}

} // namespace tweedie::noisemath

#endif
