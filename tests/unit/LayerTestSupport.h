//===- LayerTestSupport.h - inputs and error norms for CPU kernel tests ---===//
#ifndef TWEEDIE_TESTS_LAYERTESTSUPPORT_H
#define TWEEDIE_TESTS_LAYERTESTSUPPORT_H

#include "tweedie/Reference/Tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace tweedie::testing {

/// Deterministic values of both signs with no short period.
inline std::vector<float> pattern(size_t n, double phase, double scale = 1.0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(scale * std::sin(phase * (i + 1) + 0.3 * (i % 7)));
  return v;
}

inline reference::Tensor asTensor(reference::Shape shape, const std::vector<float> &v) {
  return reference::Tensor(std::move(shape), std::vector<double>(v.begin(), v.end()));
}

/// ||actual - expected|| / ||expected||.
inline double relativeError(const std::vector<float> &actual,
                            const reference::Tensor &expected) {
  EXPECT_EQ(static_cast<int64_t>(actual.size()), expected.numel());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
    norm += expected[i] * expected[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

} // namespace tweedie::testing

#endif
