//===- FrechetDistance.cpp --------------------------------------------------===//
#include "tweedie/train/FrechetDistance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tweedie::train {

GaussianFit fitGaussian(std::span<const float> rows, int64_t dim) {
  if (dim < 1 || rows.size() % dim || static_cast<int64_t>(rows.size()) / dim < 2)
    throw std::invalid_argument("fitGaussian: need at least two whole rows of " +
                                std::to_string(dim));
  const int64_t n = static_cast<int64_t>(rows.size()) / dim;
  GaussianFit fit;
  fit.dim = dim;
  fit.mean.assign(dim, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < dim; ++k)
      fit.mean[k] += rows[i * dim + k];
  for (double &m : fit.mean)
    m /= static_cast<double>(n);
  fit.covariance.assign(dim * dim, 0.0);
  std::vector<double> centred(dim);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < dim; ++k)
      centred[k] = rows[i * dim + k] - fit.mean[k];
    for (int64_t r = 0; r < dim; ++r)
      for (int64_t c = r; c < dim; ++c)
        fit.covariance[r * dim + c] += centred[r] * centred[c];
  }
  for (int64_t r = 0; r < dim; ++r)
    for (int64_t c = r; c < dim; ++c) {
      const double v = fit.covariance[r * dim + c] / static_cast<double>(n - 1);
      fit.covariance[r * dim + c] = fit.covariance[c * dim + r] = v;
    }
  return fit;
}

SymmetricEigen symmetricEigen(std::vector<double> a, int64_t dim) {
  // Cyclic Jacobi: rotate away each off-diagonal entry in turn until the
  // off-diagonal mass is negligible. Accurate to the last bits for the
  // small (<= a few hundred) covariances features give.
  std::vector<double> v(dim * dim, 0.0);
  for (int64_t i = 0; i < dim; ++i)
    v[i * dim + i] = 1.0;
  auto at = [&](int64_t r, int64_t c) -> double & { return a[r * dim + c]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (int64_t r = 0; r < dim; ++r) {
      diag += at(r, r) * at(r, r);
      for (int64_t c = r + 1; c < dim; ++c)
        off += at(r, c) * at(r, c);
    }
    if (off <= 1e-30 * std::max(diag, 1e-300))
      break;
    for (int64_t p = 0; p < dim; ++p)
      for (int64_t q = p + 1; q < dim; ++q) {
        const double apq = at(p, q);
        if (apq == 0.0)
          continue;
        const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) /
                         (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int64_t k = 0; k < dim; ++k) { // columns p, q
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < dim; ++k) { // rows p, q
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < dim; ++k) {
          const double vkp = v[k * dim + p], vkq = v[k * dim + q];
          v[k * dim + p] = c * vkp - s * vkq;
          v[k * dim + q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<int64_t> order(dim);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t i, int64_t j) { return at(i, i) < at(j, j); });
  SymmetricEigen out;
  out.values.resize(dim);
  out.vectors.resize(dim * dim);
  for (int64_t j = 0; j < dim; ++j) {
    out.values[j] = at(order[j], order[j]);
    for (int64_t k = 0; k < dim; ++k)
      out.vectors[k * dim + j] = v[k * dim + order[j]];
  }
  return out;
}

double frechetDistance(const GaussianFit &a, const GaussianFit &b) {
  if (a.dim != b.dim || a.dim < 1)
    throw std::invalid_argument("frechetDistance: features of " + std::to_string(a.dim) +
                                " and " + std::to_string(b.dim) + " dimensions");
  const int64_t d = a.dim;
  // S = S_a^1/2 from S_a's eigenvectors (negative rounding clamped to 0).
  const SymmetricEigen ea = symmetricEigen(a.covariance, d);
  std::vector<double> root(d * d, 0.0);
  for (int64_t j = 0; j < d; ++j) {
    const double s = std::sqrt(std::max(ea.values[j], 0.0));
    for (int64_t r = 0; r < d; ++r)
      for (int64_t c = 0; c < d; ++c)
        root[r * d + c] += ea.vectors[r * d + j] * s * ea.vectors[c * d + j];
  }
  // M = S S_b S is symmetric positive semi-definite: tr M^1/2 = sum sqrt(eig).
  std::vector<double> tmp(d * d, 0.0), m(d * d, 0.0);
  for (int64_t r = 0; r < d; ++r)
    for (int64_t k = 0; k < d; ++k)
      for (int64_t c = 0; c < d; ++c)
        tmp[r * d + c] += root[r * d + k] * b.covariance[k * d + c];
  for (int64_t r = 0; r < d; ++r)
    for (int64_t k = 0; k < d; ++k)
      for (int64_t c = 0; c < d; ++c)
        m[r * d + c] += tmp[r * d + k] * root[k * d + c];
  for (int64_t r = 0; r < d; ++r) // symmetrise the rounding
    for (int64_t c = r + 1; c < d; ++c)
      m[r * d + c] = m[c * d + r] = 0.5 * (m[r * d + c] + m[c * d + r]);
  double traceRoot = 0.0;
  for (double lambda : symmetricEigen(std::move(m), d).values)
    traceRoot += std::sqrt(std::max(lambda, 0.0));
  double distance = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = a.mean[k] - b.mean[k];
    distance += diff * diff + a.covariance[k * d + k] + b.covariance[k * d + k];
  }
  return std::max(distance - 2.0 * traceRoot, 0.0);
}

} // namespace tweedie::train
