//===- Elementwise.cpp - activations and broadcasting arithmetic ----------===//
#include "tweedie/Reference/Kernels.h"

#include <algorithm>
#include <cmath>

namespace tweedie::reference {

Tensor activate(const Tensor &x, Activation kind) {
  Tensor y = x;
  for (double &v : y.data)
    v = activate(v, kind);
  return y;
}

template <typename Fn>
static Result broadcast(const Tensor &lhs, const Tensor &rhs, const char *opName,
                        Fn fn) {
  const int64_t rank = std::max(lhs.rank(), rhs.rank());
  Shape shape(rank);
  // Per result axis, the stride to use in each operand (0 where broadcast).
  Shape lStride(rank, 0), rStride(rank, 0);
  Shape ls = lhs.strides(), rs = rhs.strides();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t li = i - (rank - lhs.rank()), ri = i - (rank - rhs.rank());
    int64_t l = li >= 0 ? lhs.shape[li] : 1, r = ri >= 0 ? rhs.shape[ri] : 1;
    if (l != r && l != 1 && r != 1)
      return Result::error(std::string(opName) + ": shapes " +
                           formatShape(lhs.shape) + " and " + formatShape(rhs.shape) +
                           " do not broadcast");
    shape[i] = std::max(l, r);
    if (l != 1)
      lStride[i] = ls[li];
    if (r != 1)
      rStride[i] = rs[ri];
  }
  Tensor out(shape);
  Shape index(rank, 0);
  for (int64_t flat = 0; flat < out.numel(); ++flat) {
    int64_t lo = 0, ro = 0;
    for (int64_t i = 0; i < rank; ++i) {
      lo += index[i] * lStride[i];
      ro += index[i] * rStride[i];
    }
    out[flat] = fn(lhs[lo], rhs[ro]);
    for (int64_t i = rank - 1; i >= 0 && ++index[i] == shape[i]; --i)
      index[i] = 0;
  }
  return out;
}

Result add(const Tensor &lhs, const Tensor &rhs) {
  return broadcast(lhs, rhs, "add", [](double a, double b) { return a + b; });
}

Result mul(const Tensor &lhs, const Tensor &rhs) {
  return broadcast(lhs, rhs, "mul", [](double a, double b) { return a * b; });
}

} // namespace tweedie::reference
