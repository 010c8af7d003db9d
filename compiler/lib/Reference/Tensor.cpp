//===- Tensor.cpp -----------------------------------------------------------===//
#include "tweedie/Reference/Tensor.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>

namespace tweedie::reference {

static int64_t product(const Shape &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

Tensor::Tensor(Shape s, double fill)
    : shape(std::move(s)), data(static_cast<size_t>(product(shape)), fill) {}

Tensor::Tensor(Shape s, std::vector<double> values)
    : shape(std::move(s)), data(std::move(values)) {
  if (static_cast<int64_t>(data.size()) != product(shape)) {
    std::fprintf(stderr, "reference::Tensor: %zu values for shape %s\n", data.size(),
                 formatShape(shape).c_str());
    std::abort();
  }
}

Shape Tensor::strides() const {
  Shape s(shape.size(), 1);
  for (int64_t i = rank() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::string formatShape(const Shape &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

Tensor &Result::value() {
  if (!ok()) {
    std::fprintf(stderr, "reference kernel failed: %s\n", error_.c_str());
    std::abort();
  }
  return value_;
}

} // namespace tweedie::reference
