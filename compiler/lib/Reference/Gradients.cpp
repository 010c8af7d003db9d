//===- Gradients.cpp - float64 semantics of the gradient ops -------------===//
#include "tweedie/Reference/Kernels.h"

#include <cmath>
#include <numbers>

namespace tweedie::reference {

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

namespace tweedie::reference {

namespace {
/// Calls fn(x offset, y offset) for each element of the result of a slice of
/// `size` at `offset` along `axis` of a tensor `shape`, x being the full one.
template <typename Fn>
void forEachSliced(const Shape &shape, int64_t axis, int64_t offset, int64_t size, Fn fn) {
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (int64_t i = axis + 1; i < static_cast<int64_t>(shape.size()); ++i)
    inner *= shape[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t a = 0; a < size; ++a)
      for (int64_t i = 0; i < inner; ++i)
        fn(((o * shape[axis]) + offset + a) * inner + i, ((o * size) + a) * inner + i);
}
} // namespace

Result slice(const Tensor &x, int64_t axis, int64_t offset, int64_t size) {
  if (axis >= x.rank() || offset + size > x.shape[axis])
    return Result::error("slice: range outside " + formatShape(x.shape));
  Shape shape = x.shape;
  shape[axis] = size;
  Tensor out(shape);
  forEachSliced(x.shape, axis, offset, size, [&](int64_t from, int64_t to) { out[to] = x[from]; });
  return out;
}

Result pad(const Tensor &x, int64_t axis, int64_t before, int64_t after) {
  if (axis >= x.rank())
    return Result::error("pad: axis outside " + formatShape(x.shape));
  Shape shape = x.shape;
  shape[axis] += before + after;
  Tensor out(shape);
  forEachSliced(shape, axis, before, x.shape[axis],
                [&](int64_t to, int64_t from) { out[to] = x[from]; });
  return out;
}

namespace {
/// Visits every (input element, weight element, output element) triple of a
/// conv2d: the one loop nest all three convolution kernels share.
template <typename Fn>
void forEachConvTap(const Shape &x, const Shape &w, std::array<int64_t, 2> stride,
                    std::array<int64_t, 2> padding, int64_t groups, Fn fn) {
  const int64_t n = x[0], c = x[1], h = x[2], wd = x[3];
  const int64_t o = w[0], cg = w[1], kh = w[2], kw = w[3];
  const int64_t oh = (h + 2 * padding[0] - kh) / stride[0] + 1;
  const int64_t ow = (wd + 2 * padding[1] - kw) / stride[1] + 1;
  const int64_t og = o / groups;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox)
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * stride[0] - padding[0] + ky;
                const int64_t ix = ox * stride[1] - padding[1] + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                const int64_t channel = (oc / og) * cg + ic;
                fn(((b * c + channel) * h + iy) * wd + ix, ((oc * cg + ic) * kh + ky) * kw + kx,
                   ((b * o + oc) * oh + oy) * ow + ox);
              }
}
} // namespace

Result conv2dBackwardData(const Tensor &grad, const Tensor &w, const Shape &inputShape,
                          std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
                          int64_t groups) {
  Tensor dx(inputShape);
  forEachConvTap(inputShape, w.shape, stride, padding, groups,
                 [&](int64_t xi, int64_t wi, int64_t yi) { dx[xi] += w[wi] * grad[yi]; });
  return dx;
}

Result conv2dBackwardWeight(const Tensor &x, const Tensor &grad, std::array<int64_t, 2> kernel,
                            std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
                            int64_t groups) {
  Tensor dw({grad.shape[1], x.shape[1] / groups, kernel[0], kernel[1]});
  forEachConvTap(x.shape, dw.shape, stride, padding, groups,
                 [&](int64_t xi, int64_t wi, int64_t yi) { dw[wi] += x[xi] * grad[yi]; });
  return dw;
}

std::array<Tensor, 3> attentionGrad(const Tensor &q, const Tensor &k, const Tensor &v,
                                    const Tensor &grad, int64_t heads) {
  const int64_t batch = q.shape[0], len = q.shape[1], src = k.shape[1];
  const int64_t d = q.shape[2], e = v.shape[2], dh = d / heads, eh = e / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  Tensor dq(q.shape), dk(k.shape), dv(v.shape);
  std::vector<double> p(src), dp(src);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t l = 0; l < len; ++l) {
        // The forward row: p = softmax(q k^T scale).
        const double total = attentionRow(q, k, b, h, l, heads, p);
        for (int64_t s = 0; s < src; ++s)
          p[s] /= total;
        // dv += p^T g; dp = g v^T; ds = p (dp - sum p dp).
        double weighted = 0;
        for (int64_t s = 0; s < src; ++s) {
          dp[s] = 0;
          for (int64_t j = 0; j < eh; ++j) {
            const double g = grad[(b * len + l) * e + h * eh + j];
            dv[(b * src + s) * e + h * eh + j] += p[s] * g;
            dp[s] += g * v[(b * src + s) * e + h * eh + j];
          }
          weighted += p[s] * dp[s];
        }
        for (int64_t s = 0; s < src; ++s) {
          const double ds = p[s] * (dp[s] - weighted) * scale;
          for (int64_t j = 0; j < dh; ++j) {
            dq[(b * len + l) * d + h * dh + j] += ds * k[(b * src + s) * d + h * dh + j];
            dk[(b * src + s) * d + h * dh + j] += ds * q[(b * len + l) * d + h * dh + j];
          }
        }
      }
  return {dq, dk, dv};
}

} // namespace tweedie::reference
