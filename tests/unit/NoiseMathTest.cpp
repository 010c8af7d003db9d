//===- NoiseMathTest.cpp - the noise's own log, cosine and sine ----------===//
//
// NoiseMath.h replaces the C library's log, cos and sin in Box-Muller so the
// noise has the same bits on every machine. Checked here against long double
// references on the inputs Box-Muller sees (every (bits + 1/2) 2^-32 form,
// the ends of the interval included) and on general doubles.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Philox.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace {

using tweedie::noisemath::cosSinTurns;
using tweedie::noisemath::logOfPositive;

constexpr long double kTwoPiL = 6.283185307179586476925286766559005768L;

/// |computed - exact| in units of the last place of the exact value's double.
double ulpError(double computed, long double exact) {
  const double rounded = static_cast<double>(exact);
  const double ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
  return static_cast<double>(std::fabs(static_cast<long double>(computed) - exact)) / ulp;
}

std::vector<double> boxMullerInputs() {
  std::vector<double> u = {tweedie::uniformOpen01(0), tweedie::uniformOpen01(1),
                           tweedie::uniformOpen01(0x7fffffffu),
                           tweedie::uniformOpen01(0x80000000u),
                           tweedie::uniformOpen01(0xfffffffeu),
                           tweedie::uniformOpen01(0xffffffffu)};
  std::mt19937 bits(7);
  for (int i = 0; i < 400000; ++i)
    u.push_back(tweedie::uniformOpen01(bits()));
  // Quarter turns and their neighbours, where the quadrant changes.
  for (uint32_t q = 0; q < 4; ++q)
    for (int d = -3; d <= 3; ++d)
      u.push_back(tweedie::uniformOpen01(q * 0x40000000u + static_cast<uint32_t>(d)));
  return u;
}

TEST(NoiseMath, LogIsWithinTwoUlpOfTheExactLog) {
  double worst = 0;
  for (double u : boxMullerInputs())
    worst = std::max(worst, ulpError(logOfPositive(u), std::log(static_cast<long double>(u))));
  std::mt19937_64 bits(11); // general positive normal doubles, tiny to huge
  std::uniform_real_distribution<double> exponent(-1000, 1000), mantissa(1, 2);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::ldexp(mantissa(bits), static_cast<int>(exponent(bits)));
    worst = std::max(worst, ulpError(logOfPositive(x), std::log(static_cast<long double>(x))));
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(logOfPositive(1.0), 0.0);
  EXPECT_EQ(logOfPositive(2.0), 0.6931471805599453);
}

TEST(NoiseMath, CosineAndSineOfTurnsAreWithinTwoUlpOfOne) {
  // Near a zero of sin or cos the absolute error is what a Box-Muller normal
  // feels (it multiplies a radius of order 1), so the bound is 2 ulp of 1.
  const double bound = 2.0 * std::numeric_limits<double>::epsilon();
  double worstCos = 0, worstSin = 0;
  for (double u : boxMullerInputs()) {
    const long double angle = kTwoPiL * static_cast<long double>(u);
    const auto [c, s] = cosSinTurns(u);
    worstCos = std::max(worstCos, static_cast<double>(std::fabs(c - std::cos(angle))));
    worstSin = std::max(worstSin, static_cast<double>(std::fabs(s - std::sin(angle))));
  }
  EXPECT_LE(worstCos, bound);
  EXPECT_LE(worstSin, bound);
  EXPECT_EQ(cosSinTurns(0.0)[0], 1.0);
  EXPECT_EQ(cosSinTurns(0.0)[1], 0.0);
  EXPECT_EQ(cosSinTurns(0.5)[0], -1.0);
  EXPECT_EQ(cosSinTurns(0.25)[0], 0.0);
}

} // namespace
