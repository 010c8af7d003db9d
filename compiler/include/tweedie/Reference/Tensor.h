//===- Tensor.h - the float64 value of the reference interpreter ---------===//
//
// The reference interpreter defines what each `score` op computes. It works in
// float64 with naive loops on purpose: it is the oracle compiled code is tested
// against, so it must be obviously correct rather than fast. No MLIR here.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_REFERENCE_TENSOR_H
#define TWEEDIE_REFERENCE_TENSOR_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tweedie::reference {

using Shape = std::vector<int64_t>;

/// A dense row-major float64 tensor.
struct Tensor {
  Shape shape;
  std::vector<double> data;

  Tensor() = default;
  explicit Tensor(Shape shape, double fill = 0.0);
  Tensor(Shape shape, std::vector<double> values);

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  double &operator[](int64_t i) { return data[i]; }
  double operator[](int64_t i) const { return data[i]; }
  /// Row-major strides in elements.
  Shape strides() const;
};

/// "[2, 3]"
std::string formatShape(const Shape &shape);

/// A kernel's output, or why it could not run: shapes that agree in the IR
/// (dynamic dims) may still disagree at run time.
class Result {
public:
  Result(Tensor value) : value_(std::move(value)) {}
  static Result error(std::string message) {
    Result r{Tensor()};
    r.error_ = std::move(message);
    return r;
  }
  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  /// The tensor; aborts with the message when the kernel failed.
  Tensor &value();

private:
  Tensor value_;
  std::string error_;
};

} // namespace tweedie::reference

#endif
