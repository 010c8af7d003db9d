//===- Layout.cpp - concat, reshape, transpose, upsample, pooling ---------===//
#include "tweedie/Reference/Kernels.h"

#include <numeric>

namespace tweedie::reference {

Result concat(const std::vector<const Tensor *> &inputs, int64_t axis) {
  if (inputs.empty() || axis < 0 || axis >= inputs[0]->rank())
    return Result::error("concat: no inputs or axis out of range");
  Shape shape = inputs[0]->shape;
  shape[axis] = 0;
  for (const Tensor *t : inputs) {
    Shape other = t->shape;
    if (other.size() != shape.size())
      return Result::error("concat: ranks differ");
    for (int64_t d = 0; d < t->rank(); ++d)
      if (d != axis && other[d] != shape[d])
        return Result::error("concat: input " + formatShape(other) +
                             " does not match " + formatShape(inputs[0]->shape) +
                             " outside axis " + std::to_string(axis));
    shape[axis] += other[axis];
  }
  // Copy slabs: for each outer index, each input contributes axis*inner values.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  Tensor out(shape);
  int64_t cursor = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *t : inputs) {
      int64_t slab = t->shape[axis] * inner;
      for (int64_t i = 0; i < slab; ++i)
        out[cursor++] = (*t)[o * slab + i];
    }
  return out;
}

Result reshape(const Tensor &x, const Shape &shape) {
  int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t{1},
                                  std::multiplies<int64_t>());
  if (count != x.numel())
    return Result::error("reshape: " + formatShape(x.shape) + " has " +
                         std::to_string(x.numel()) + " elements, " +
                         formatShape(shape) + " needs " + std::to_string(count));
  return Tensor(shape, x.data);
}

Result transpose(const Tensor &x, const Shape &permutation) {
  if (static_cast<int64_t>(permutation.size()) != x.rank())
    return Result::error("transpose: permutation rank mismatch");
  Shape shape(x.rank()), inStrides = x.strides(), strides(x.rank());
  for (int64_t i = 0; i < x.rank(); ++i) {
    shape[i] = x.shape[permutation[i]];
    strides[i] = inStrides[permutation[i]];
  }
  Tensor out(shape);
  Shape index(x.rank(), 0);
  for (int64_t flat = 0; flat < out.numel(); ++flat) {
    int64_t source = 0;
    for (int64_t i = 0; i < x.rank(); ++i)
      source += index[i] * strides[i];
    out[flat] = x[source];
    for (int64_t i = x.rank() - 1; i >= 0 && ++index[i] == shape[i]; --i)
      index[i] = 0;
  }
  return out;
}

Result upsampleNearest(const Tensor &x, int64_t scale) {
  if (x.rank() != 4 || scale < 1)
    return Result::error("upsample: needs NCHW input and a positive scale");
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  Tensor out({n, c, h * scale, w * scale});
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t y = 0; y < h * scale; ++y)
      for (int64_t xx = 0; xx < w * scale; ++xx)
        out[(p * h * scale + y) * w * scale + xx] =
            x[(p * h + y / scale) * w + xx / scale];
  return out;
}

Result avgPool2d(const Tensor &x, std::array<int64_t, 2> kernel,
                 std::array<int64_t, 2> stride) {
  if (x.rank() != 4 || kernel[0] > x.shape[2] || kernel[1] > x.shape[3])
    return Result::error("avg_pool: window larger than input " + formatShape(x.shape));
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const int64_t oh = (h - kernel[0]) / stride[0] + 1;
  const int64_t ow = (w - kernel[1]) / stride[1] + 1;
  Tensor out({n, c, oh, ow});
  const double area = static_cast<double>(kernel[0] * kernel[1]);
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double acc = 0;
        for (int64_t ky = 0; ky < kernel[0]; ++ky)
          for (int64_t kx = 0; kx < kernel[1]; ++kx)
            acc += x[(p * h + oy * stride[0] + ky) * w + ox * stride[1] + kx];
        out[(p * oh + oy) * ow + ox] = acc / area;
      }
  return out;
}

} // namespace tweedie::reference
