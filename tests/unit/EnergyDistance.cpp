//===- EnergyDistance.cpp -------------------------------------------------===//
#include "EnergyDistance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace tweedie::testing {
namespace {

/// The statistic for the labelling `first` (true: the point is in sample a),
/// from the pooled distance matrix: only the within-group sums change under a
/// permutation, since the total sum is fixed.
double statistic(const std::vector<double> &distance, const std::vector<char> &first,
                 size_t n, size_t m) {
  const size_t total = n + m;
  double withinA = 0, withinB = 0, all = 0;
  for (size_t i = 0; i < total; ++i) {
    const double *row = &distance[i * total];
    for (size_t j = 0; j < total; ++j) {
      all += row[j];
      if (first[i] && first[j])
        withinA += row[j];
      else if (!first[i] && !first[j])
        withinB += row[j];
    }
  }
  const double between = (all - withinA - withinB) / 2;
  return 2 * between / (double(n) * m) - withinA / (double(n) * n) - withinB / (double(m) * m);
}

} // namespace

TwoSampleResult energyDistanceTest(const std::vector<double> &a, const std::vector<double> &b,
                                   int dim, int permutations, uint64_t seed) {
  const size_t n = a.size() / dim, m = b.size() / dim, total = n + m;
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::vector<double> distance(total * total);
  for (size_t i = 0; i < total; ++i)
    for (size_t j = 0; j < total; ++j) {
      double squared = 0;
      for (int d = 0; d < dim; ++d) {
        const double diff = pooled[i * dim + d] - pooled[j * dim + d];
        squared += diff * diff;
      }
      distance[i * total + j] = std::sqrt(squared);
    }
  std::vector<char> first(total, 0);
  std::fill(first.begin(), first.begin() + n, 1);
  TwoSampleResult result;
  result.energyDistance = statistic(distance, first, n, m);
  std::mt19937_64 rng(seed);
  int atLeast = 0;
  for (int p = 0; p < permutations; ++p) {
    std::shuffle(first.begin(), first.end(), rng);
    atLeast += statistic(distance, first, n, m) >= result.energyDistance;
  }
  result.pValue = (1.0 + atLeast) / (1.0 + permutations);
  return result;
}

} // namespace tweedie::testing
