//===- FrechetDistance.h - the Fréchet distance of two feature sets ------===//
//
// FID's formula on any features: the 2-Wasserstein distance squared between
// Gaussians fitted to two sets of rows,
//   |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2),
// in float64, the matrix square roots from a symmetric (Jacobi) eigensolver.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_FRECHETDISTANCE_H
#define TWEEDIE_TRAIN_FRECHETDISTANCE_H

#include <cstdint>
#include <span>
#include <vector>

namespace tweedie::train {

struct GaussianFit {
  int64_t dim = 0;
  std::vector<double> mean;       // dim
  std::vector<double> covariance; // dim x dim, row-major (unbiased, n - 1)
};

/// Mean and covariance of the rows of a [n, dim] set (n >= 2).
GaussianFit fitGaussian(std::span<const float> rows, int64_t dim);

/// The Fréchet distance (squared, as FID reports it) between two fits.
double frechetDistance(const GaussianFit &a, const GaussianFit &b);

/// Eigenvalues (ascending) and eigenvectors (columns of `vectors`, row-major
/// dim x dim) of a symmetric matrix.
struct SymmetricEigen {
  std::vector<double> values, vectors;
};
SymmetricEigen symmetricEigen(std::vector<double> matrix, int64_t dim);

} // namespace tweedie::train

#endif
