//===- Gradients.cpp - float64 semantics of the gradient ops -------------===//
#include "tweedie/Reference/Kernels.h"

#include <cmath>
#include <numbers>

namespace tweedie::reference {

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
} // namespace

double activationDerivative(double x, Activation kind, int order) {
  const bool second = order == 2;
  switch (kind) {
  case Activation::SiLU: { // f = x s(x)
    const double s = sigmoid(x);
    return second ? s * (1 - s) * (2 + x * (1 - 2 * s)) : s * (1 + x * (1 - s));
  }
  case Activation::GELU: { // f = x Phi(x)
    const double phi = std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
    return second ? phi * (2 - x * x) : 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * phi;
  }
  case Activation::ReLU:
    return second ? 0.0 : (x > 0 ? 1.0 : 0.0);
  case Activation::Tanh: {
    const double t = std::tanh(x);
    return second ? -2 * t * (1 - t * t) : 1 - t * t;
  }
  case Activation::Softplus: {
    const double s = sigmoid(x);
    return second ? s * (1 - s) : s;
  }
  case Activation::Exp:
    return std::exp(x);
  case Activation::Log:
    return second ? -1 / (x * x) : 1 / x;
  case Activation::Sqrt:
    return second ? -0.25 / (x * std::sqrt(x)) : 0.5 / std::sqrt(x);
  case Activation::Square:
    return second ? 2.0 : 2 * x;
  case Activation::Reciprocal:
    return second ? 2 / (x * x * x) : -1 / (x * x);
  }
  return 0.0;
}

Result activationGrad(const Tensor &x, const Tensor &grad, Activation kind, int order) {
  if (x.shape != grad.shape)
    return Result::error("act_grad: shapes " + formatShape(x.shape) + " and " +
                         formatShape(grad.shape) + " differ");
  Tensor out(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out[i] = grad[i] * activationDerivative(x[i], kind, order);
  return out;
}

Result reduceSum(const Tensor &x, const Shape &axes) {
  Shape shape = x.shape;
  for (int64_t axis : axes) {
    if (axis < 0 || axis >= x.rank())
      return Result::error("reduce_sum: axis " + std::to_string(axis) + " out of range");
    shape[axis] = 1;
  }
  Tensor out(shape);
  const Shape outStrides = out.strides();
  Shape index(x.rank(), 0);
  for (int64_t flat = 0; flat < x.numel(); ++flat) {
    int64_t o = 0;
    for (int64_t i = 0; i < x.rank(); ++i)
      o += (shape[i] == 1 ? 0 : index[i]) * outStrides[i];
    out[o] += x[flat];
    for (int64_t i = x.rank() - 1; i >= 0 && ++index[i] == x.shape[i]; --i)
      index[i] = 0;
  }
  return out;
}

Result broadcastTo(const Tensor &x, const Shape &shape) {
  Result sum = add(Tensor(shape), x);
  if (sum.ok() && sum.value().shape != shape)
    return Result::error("broadcast: " + formatShape(x.shape) + " does not broadcast to " +
                         formatShape(shape));
  return sum;
}

Result outerSum(const Tensor &a, const Tensor &b) {
  if (a.rank() < 1 || a.rank() != b.rank() || a.numel() / a.shape.back() != b.numel() / b.shape.back())
    return Result::error("outer_sum: shapes " + formatShape(a.shape) + " and " +
                         formatShape(b.shape) + " do not share their leading dims");
  const int64_t m = a.shape.back(), n = b.shape.back(), rows = a.numel() / m;
  Tensor out({m, n});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        out[i * n + j] += a[r * m + i] * b[r * n + j];
  return out;
}

} // namespace tweedie::reference
