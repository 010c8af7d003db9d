//===- PhiloxTest.cpp - Philox4x32-10 known-answer and distribution tests -===//
#include "tweedie/Philox.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

// Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
TEST(Philox, Random123KnownAnswerZeros) {
  auto out = tweedie::philox4x32({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(out, (tweedie::PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu,
                                         0x9b00dbd8u}));
}

TEST(Philox, Random123KnownAnswerOnes) {
  auto out = tweedie::philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                 {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(out, (tweedie::PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u,
                                         0x6d5451fdu}));
}

TEST(Philox, Random123KnownAnswerPi) {
  auto out = tweedie::philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                                 {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(out, (tweedie::PhiloxCounter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u,
                                         0x24126ea1u}));
}

TEST(Philox, UniformStaysInsideOpenInterval) {
  EXPECT_GT(tweedie::uniformOpen01(0), 0.0);
  EXPECT_LT(tweedie::uniformOpen01(0xffffffffu), 1.0);
}

TEST(Philox, BoxMullerMomentsMatchStandardNormal) {
  // 2^17 normals: the sample mean and variance have standard errors of about
  // 0.003 and 0.004, so 5-sigma bounds only fail on a real defect.
  const int n = 1 << 16;
  double sum = 0, sq = 0, fourth = 0;
  for (uint32_t i = 0; i < static_cast<uint32_t>(n); ++i) {
    auto bits = tweedie::philox4x32({i, 0, 0, 0}, {1234, 5678});
    auto z = tweedie::boxMuller(tweedie::uniformOpen01(bits[0]),
                                tweedie::uniformOpen01(bits[1]));
    for (double v : z) {
      sum += v;
      sq += v * v;
      fourth += v * v * v * v;
    }
  }
  const double count = 2.0 * n, mean = sum / count, var = sq / count - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(1 / count));
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2 / count));
  EXPECT_NEAR(fourth / count, 3.0, 5 * std::sqrt(96 / count)); // kurtosis of N(0,1)
}

} // namespace
