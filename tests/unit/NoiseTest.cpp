//===- NoiseTest.cpp - the sampler noise stream ---------------------------===//
#include "tweedie/Noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

TEST(Noise, IsAPureFunctionOfItsCoordinates) {
  // A sample's noise is the same however the batch around it is formed.
  std::vector<float> alone(10), again(10);
  tweedie::fillSampleNoise(alone.data(), 10, 42, 7, 3, 0);
  tweedie::fillSampleNoise(again.data(), 10, 42, 7, 3, 0);
  EXPECT_EQ(alone, again);
  for (uint64_t e = 0; e < 10; ++e)
    EXPECT_EQ(alone[e], static_cast<float>(tweedie::noiseAt(42, 7, 3, 0, e)));
}

TEST(Noise, EveryCoordinateChangesTheValue) {
  const double base = tweedie::noiseAt(1, 2, 3, 4, 5);
  EXPECT_NE(base, tweedie::noiseAt(2, 2, 3, 4, 5));
  EXPECT_NE(base, tweedie::noiseAt(1, 3, 3, 4, 5));
  EXPECT_NE(base, tweedie::noiseAt(1, 2, 4, 4, 5));
  EXPECT_NE(base, tweedie::noiseAt(1, 2, 3, 5, 5));
  EXPECT_NE(base, tweedie::noiseAt(1, 2, 3, 4, 6));
  EXPECT_NE(base, tweedie::noiseAt(1ull << 40, 2, 3, 4, 5)); // high seed bits count
}

TEST(Noise, ElementsFollowTheDocumentedLayout) {
  // Elements 0..3 come from one Philox call on counter (0, sample, step, draw).
  auto words = tweedie::philox4x32({0, 9, 2, 1}, {123, 0});
  auto pair0 = tweedie::boxMuller(tweedie::uniformOpen01(words[0]),
                                  tweedie::uniformOpen01(words[1]));
  auto pair1 = tweedie::boxMuller(tweedie::uniformOpen01(words[2]),
                                  tweedie::uniformOpen01(words[3]));
  EXPECT_EQ(tweedie::noiseAt(123, 9, 2, 1, 0), pair0[0]);
  EXPECT_EQ(tweedie::noiseAt(123, 9, 2, 1, 1), pair0[1]);
  EXPECT_EQ(tweedie::noiseAt(123, 9, 2, 1, 2), pair1[0]);
  EXPECT_EQ(tweedie::noiseAt(123, 9, 2, 1, 3), pair1[1]);
}

TEST(Noise, DrawsAreUncorrelatedAcrossStepsAndSamples) {
  // Correlation of 2^15 paired values: |r| < 5 / sqrt(n) unless the streams overlap.
  const int n = 1 << 15;
  double xy = 0, xz = 0;
  for (int e = 0; e < n; ++e) {
    double x = tweedie::noiseAt(5, 0, 0, 0, e);
    xy += x * tweedie::noiseAt(5, 0, 1, 0, e);
    xz += x * tweedie::noiseAt(5, 1, 0, 0, e);
  }
  EXPECT_LT(std::abs(xy / n), 5 / std::sqrt(n));
  EXPECT_LT(std::abs(xz / n), 5 / std::sqrt(n));
}

} // namespace
