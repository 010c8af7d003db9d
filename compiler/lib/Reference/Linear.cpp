//===- Linear.cpp - dense, conv2d and attention ----------------------------===//
#include "tweedie/Reference/Kernels.h"

#include <algorithm>
#include <cmath>

namespace tweedie::reference {

Result dense(const Tensor &x, const Tensor &w, const Tensor *bias) {
  if (x.rank() < 1 || w.rank() != 2 || x.shape.back() != w.shape[0])
    return Result::error("dense: input " + formatShape(x.shape) +
                         " does not match weight " + formatShape(w.shape));
  const int64_t k = w.shape[0], n = w.shape[1], rows = x.numel() / k;
  if (bias && (bias->rank() != 1 || bias->shape[0] != n))
    return Result::error("dense: bias " + formatShape(bias->shape) +
                         " does not match weight " + formatShape(w.shape));
  Shape shape = x.shape;
  shape.back() = n;
  Tensor y(shape);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? (*bias)[j] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        acc += x[r * k + i] * w[i * n + j];
      y[r * n + j] = acc;
    }
  return y;
}

Result conv2d(const Tensor &x, const Tensor &w, const Tensor *bias,
              std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
              int64_t groups) {
  if (x.rank() != 4 || w.rank() != 4 || groups < 1 || x.shape[1] % groups ||
      w.shape[0] % groups || w.shape[1] != x.shape[1] / groups)
    return Result::error("conv2d: input " + formatShape(x.shape) + " and weight " +
                         formatShape(w.shape) + " do not agree for groups = " +
                         std::to_string(groups));
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  const int64_t oh = (h + 2 * padding[0] - kh) / stride[0] + 1;
  const int64_t ow = (wd + 2 * padding[1] - kw) / stride[1] + 1;
  if (oh < 1 || ow < 1)
    return Result::error("conv2d: kernel larger than padded input");
  if (bias && (bias->rank() != 1 || bias->shape[0] != o))
    return Result::error("conv2d: bias " + formatShape(bias->shape) +
                         " does not match " + std::to_string(o) + " output channels");
  const int64_t og = o / groups;
  Tensor y({n, o, oh, ow});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc) {
      const int64_t g = oc / og;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = bias ? (*bias)[oc] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t iy = oy * stride[0] - padding[0] + ky;
                int64_t ix = ox * stride[1] - padding[1] + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue; // zero padding
                int64_t channel = g * cg + ic;
                acc += x[((b * c + channel) * h + iy) * wd + ix] *
                       w[((oc * cg + ic) * kh + ky) * kw + kx];
              }
          y[((b * o + oc) * oh + oy) * ow + ox] = acc;
        }
    }
  return y;
}

Result attention(const Tensor &q, const Tensor &k, const Tensor &v, int64_t heads) {
  if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || q.shape[0] != k.shape[0] ||
      q.shape[0] != v.shape[0] || q.shape[2] != k.shape[2] ||
      k.shape[1] != v.shape[1] || heads < 1 || q.shape[2] % heads ||
      v.shape[2] % heads)
    return Result::error("attention: query " + formatShape(q.shape) + ", key " +
                         formatShape(k.shape) + " and value " + formatShape(v.shape) +
                         " do not agree for heads = " + std::to_string(heads));
  const int64_t batch = q.shape[0], len = q.shape[1], src = k.shape[1];
  const int64_t e = v.shape[2], eh = e / heads;
  Tensor out({batch, len, e});
  std::vector<double> p(src);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t l = 0; l < len; ++l) {
        const double total = attentionRow(q, k, b, h, l, heads, p);
        for (int64_t j = 0; j < eh; ++j) {
          double acc = 0;
          for (int64_t s = 0; s < src; ++s)
            acc += p[s] * v[(b * src + s) * e + h * eh + j];
          out[(b * len + l) * e + h * eh + j] = acc / total;
        }
      }
  return out;
}

double attentionRow(const Tensor &q, const Tensor &k, int64_t b, int64_t h, int64_t l,
                    int64_t heads, std::vector<double> &p) {
  const int64_t len = q.shape[1], src = k.shape[1], d = q.shape[2], dh = d / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  double peak = -INFINITY;
  for (int64_t s = 0; s < src; ++s) {
    double dot = 0;
    for (int64_t j = 0; j < dh; ++j)
      dot += q[(b * len + l) * d + h * dh + j] * k[(b * src + s) * d + h * dh + j];
    p[s] = dot * scale;
    peak = std::max(peak, p[s]);
  }
  double total = 0; // softmax, shifted by the max for stability
  for (int64_t s = 0; s < src; ++s)
    total += (p[s] = std::exp(p[s] - peak));
  return total;
}

} // namespace tweedie::reference
