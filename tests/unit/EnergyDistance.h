//===- EnergyDistance.h - a two-sample test for sampler outputs ----------===//
//
// Szekely & Rizzo's energy distance between two samples of points in R^d,
// E = 2 E|X - Y| - E|X - X'| - E|Y - Y'|, and its permutation p-value: the
// fraction of random relabellings of the pooled points whose statistic is at
// least the observed one. Unlike mean and covariance it sees the whole
// distribution (it is zero only when the distributions are equal).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_ENERGYDISTANCE_H
#define TWEEDIE_TESTS_ENERGYDISTANCE_H

#include <cstdint>
#include <vector>

namespace tweedie::testing {

struct TwoSampleResult {
  double energyDistance = 0;
  double pValue = 1;
};

/// `a` and `b` hold n and m points of `dim` coordinates, row-major.
TwoSampleResult energyDistanceTest(const std::vector<double> &a, const std::vector<double> &b,
                                   int dim, int permutations, uint64_t seed);

} // namespace tweedie::testing

#endif
