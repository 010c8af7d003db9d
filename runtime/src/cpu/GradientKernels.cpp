//===- GradientKernels.cpp
//--------------------------------------------------===//
#include "cpu/GradientKernels.h"
#include "tweedie/Error.h"

#include <dnnl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tweedie::cpu {

namespace {

/// The shape as [outer, shape[axis], inner].
std::pair<int64_t, int64_t> aroundAxis(const Dims &shape, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  return {outer, inner};
}

} // namespace

void reduceSumKeepDims(const float *x, const Dims &shape, const Dims &axes, float *out) {
  // Adjacent axes that are both reduced or both kept merge into one; size-1
  // axes drop out. What is left alternates kept and reduced runs.
  struct Run {
    int64_t size, stride;
    bool reduced;
  };
  std::vector<Run> runs;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!runs.empty() && runs.back().reduced == reduced)
      runs.back().size *= shape[d];
    else
      runs.push_back({shape[d], 0, reduced});
  }
  int64_t stride = 1;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    it->stride = stride;
    stride *= it->size;
  }
  std::vector<Run> kept, reduced;
  for (const Run &r : runs)
    (r.reduced ? reduced : kept).push_back(r);
  int64_t outputs = 1, terms = 1;
  for (const Run &r : kept)
    outputs *= r.size;
  for (const Run &r : reduced)
    terms *= r.size;
  if (runs.size() == 2 && runs[0].reduced && !runs[1].reduced) {
    // Leading axes summed, trailing kept (a channels-last bias gradient):
    // column sums over rows, vectorized across the columns. Each column
    // adds its rows in order, as the general loop below does.
    const int64_t rows = runs[0].size, columns = runs[1].size;
    std::vector<double> sums(static_cast<size_t>(columns), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = x + r * columns;
      for (int64_t c = 0; c < columns; ++c)
        sums[c] += row[c];
    }
    for (int64_t c = 0; c < columns; ++c)
      out[c] = static_cast<float>(sums[c]);
    return;
  }
  // Each output sums its terms alone, in one fixed order (double
  // accumulation): the result does not depend on the thread count.
#pragma omp parallel for if (outputs * terms > (int64_t{1} << 15)) schedule(static)
  for (int64_t o = 0; o < outputs; ++o) {
    int64_t base = 0, rest = o;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
      base += (rest % it->size) * it->stride;
      rest /= it->size;
    }
    double sum = 0.0;
    if (reduced.empty()) {
      sum = x[base];
    } else {
      // The last reduced run is the inner loop; the others count outside it.
      const Run &last = reduced.back();
      const int64_t outer = terms / last.size;
      for (int64_t t = 0; t < outer; ++t) {
        int64_t offset = base, r = t;
        for (size_t k = reduced.size() - 1; k-- > 0;) {
          offset += (r % reduced[k].size) * reduced[k].stride;
          r /= reduced[k].size;
        }
        const float *p = x + offset;
        if (last.stride == 1) { // contiguous terms: vectorizable lanes
          sum = laneSum(p, last.size, sum);
        } else {
          for (int64_t i = 0; i < last.size; ++i)
            sum += p[i * last.stride];
        }
      }
    }
    out[o] = static_cast<float>(sum);
  }
}

void broadcastTo(const float *x, const Dims &shape, float *out, const Dims &outShape) {
  static const float zero = 0.0f;
  broadcastBinary(BinaryOp::Add, x, shape, &zero, Dims{1}, out, outShape);
}

void activationGrad(Activation activation, int order, const float *x, const float *grad, float *out,
                    int64_t n) {
  const bool second = order == 2;
#pragma omp parallel for if (n > (int64_t{1} << 15)) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = grad[i] * activationDerivative(x[i], activation, order);
}

void matmul(const float *x, const float *w, const float *bias, float *out, int64_t m, int64_t k,
            int64_t n, bool transposeX) {
  // oneDNN's sgemm is row-major: out[m, n] = op(x)[m, k] w[k, n].
  const dnnl_status_t status = dnnl_sgemm(transposeX ? 'T' : 'N', 'N', m, n, k, 1.0f, x,
                                          transposeX ? m : k, w, n, 0.0f, out, n);
  if (status != dnnl_success)
    throw Error(ErrorKind::Internal, "oneDNN sgemm failed (" + std::to_string(m) + "x" + std::to_string(k) +
                             " by " + std::to_string(k) + "x" + std::to_string(n) + ")");
  if (bias)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t j = 0; j < n; ++j)
        out[r * n + j] += bias[j];
}

void sliceAxis(const float *x, const Dims &shape, int64_t axis, int64_t offset, int64_t size,
               float *out) {
  const auto [outer, inner] = aroundAxis(shape, axis);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(out + o * size * inner, x + (o * shape[axis] + offset) * inner,
                size * inner * sizeof(float));
}

void padAxis(const float *x, const Dims &shape, int64_t axis, int64_t before, int64_t after,
             float *out) {
  const auto [outer, inner] = aroundAxis(shape, axis);
  const int64_t width = shape[axis] + before + after;
  std::memset(out, 0, outer * width * inner * sizeof(float));
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(out + (o * width + before) * inner, x + o * shape[axis] * inner,
                shape[axis] * inner * sizeof(float));
}

void sinusoidalEmbedding(const float *t, int64_t rows, int64_t dim, double maxPeriod, float *out) {
  const int64_t half = dim / 2;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < half; ++k) {
      const double angle = t[r] * std::exp(-std::log(maxPeriod) * k / half);
      out[r * dim + k] = static_cast<float>(std::sin(angle));
      out[r * dim + half + k] = static_cast<float>(std::cos(angle));
    }
}

void fourierEmbedding(const float *t, int64_t rows, const float *frequencies, int64_t dim,
                      float *out) {
  const int64_t half = dim / 2;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < half; ++k) {
      const double angle = 2.0 * std::numbers::pi * t[r] * frequencies[k];
      out[r * dim + k] = static_cast<float>(std::sin(angle));
      out[r * dim + half + k] = static_cast<float>(std::cos(angle));
    }
}

} // namespace tweedie::cpu
