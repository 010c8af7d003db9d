//===- GradientKernels.cpp
//--------------------------------------------------===//
#include "cpu/GradientKernels.h"

#include <dnnl.h>

#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tweedie::cpu {

namespace {

int64_t count(const Dims &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

float derivative(float x, Activation kind, bool second) {
  switch (kind) {
  case Activation::None:
    return second ? 0.0f : 1.0f;
  case Activation::SiLU: {
    const float s = sigmoid(x);
    return second ? s * (1 - s) * (2 + x * (1 - 2 * s)) : s * (1 + x * (1 - s));
  }
  case Activation::GELU: {
    const float phi = std::exp(-0.5f * x * x) / std::sqrt(2 * std::numbers::pi_v<float>);
    return second ? phi * (2 - x * x) : 0.5f * (1 + std::erf(x / std::sqrt(2.0f))) + x * phi;
  }
  case Activation::ReLU:
    return second ? 0.0f : (x > 0 ? 1.0f : 0.0f);
  case Activation::Tanh: {
    const float t = std::tanh(x);
    return second ? -2 * t * (1 - t * t) : 1 - t * t;
  }
  case Activation::Softplus: {
    const float s = sigmoid(x);
    return second ? s * (1 - s) : s;
  }
  case Activation::Exp:
    return std::exp(x);
  case Activation::Log:
    return second ? -1 / (x * x) : 1 / x;
  case Activation::Sqrt:
    return second ? -0.25f / (x * std::sqrt(x)) : 0.5f / std::sqrt(x);
  case Activation::Square:
    return second ? 2.0f : 2 * x;
  case Activation::Reciprocal:
    return second ? 2 / (x * x * x) : -1 / (x * x);
  }
  return 0.0f;
}

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
  Dims outShape = shape;
  for (int64_t a : axes)
    outShape[a] = 1;
  const size_t rank = shape.size();
  // Output strides, 0 along reduced axes: input element -> output element.
  Dims strides(rank, 0);
  int64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
    strides[d] = outShape[d] == 1 ? 0 : stride;
    stride *= outShape[d];
  }
  std::vector<double> sums(count(outShape), 0.0);
  Dims index(rank, 0);
  const int64_t total = count(shape);
  int64_t offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    sums[offset] += x[i];
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < shape[d])
        break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  for (size_t i = 0; i < sums.size(); ++i)
    out[i] = static_cast<float>(sums[i]);
}

void broadcastTo(const float *x, const Dims &shape, float *out, const Dims &outShape) {
  static const float zero = 0.0f;
  broadcastBinary(BinaryOp::Add, x, shape, &zero, Dims{1}, out, outShape);
}

void activationGrad(Activation activation, int order, const float *x, const float *grad, float *out,
                    int64_t n) {
  const bool second = order == 2;
  for (int64_t i = 0; i < n; ++i)
    out[i] = grad[i] * derivative(x[i], activation, second);
}

void matmul(const float *x, const float *w, const float *bias, float *out, int64_t m, int64_t k,
            int64_t n, bool transposeX) {
  // oneDNN's sgemm is row-major: out[m, n] = op(x)[m, k] w[k, n].
  const dnnl_status_t status = dnnl_sgemm(transposeX ? 'T' : 'N', 'N', m, n, k, 1.0f, x,
                                          transposeX ? m : k, w, n, 0.0f, out, n);
  if (status != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (" + std::to_string(m) + "x" + std::to_string(k) +
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
