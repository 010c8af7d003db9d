//===- Elementwise.cpp ------------------------------------------------------===//
#include "cpu/Elementwise.h"
#include "cpu/Normalization.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace tweedie::cpu {

namespace {

/// Below this many elements a loop runs on the calling thread: waking the
/// OpenMP team costs more than it saves. (Inside a sampler's own parallel
/// region the nested regions run on one thread anyway.)
constexpr int64_t kParallelCount = int64_t{1} << 15;
Dims stridesOf(const Dims &shape) {
  Dims strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Strides of `shape` read as `rank` dims right-aligned, 0 along broadcast dims.
Dims broadcastStrides(const Dims &shape, size_t rank) {
  Dims own = stridesOf(shape), out(rank, 0);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1)
      out[rank - shape.size() + i] = own[i];
  return out;
}

} // namespace

void broadcastBinary(BinaryOp op, const float *lhs, const Dims &lhsShape, const float *rhs,
                     const Dims &rhsShape, float *out, const Dims &outShape) {
  const int64_t count = product(outShape);
  auto apply = [op](float a, float b) { return op == BinaryOp::Add ? a + b : a * b; };
  if (lhsShape == outShape && rhsShape == outShape) {
#pragma omp parallel for simd if (count > kParallelCount) schedule(static)
    for (int64_t i = 0; i < count; ++i)
      out[i] = apply(lhs[i], rhs[i]);
    return;
  }
  const auto fullRank = static_cast<int64_t>(outShape.size());
  const Dims fullL = broadcastStrides(lhsShape, fullRank),
             fullR = broadcastStrides(rhsShape, fullRank);
  // Coalesce adjacent dims that both operands step through alike (both
  // contiguous across them, or both broadcast along both): [B, C, H, W] *
  // [B, C, 1, 1] becomes [B C, H W] * [B C, 1], rows of H W instead of W.
  Dims shape, ls, rs;
  for (int64_t d = 0; d < fullRank; ++d) {
    if (outShape[d] == 1)
      continue;
    if (!shape.empty()) {
      const int64_t n = outShape[d];
      auto joins = [&](const Dims &full, const Dims &merged) {
        return merged.back() == full[d] * n;
      };
      if (joins(fullL, ls) && joins(fullR, rs)) {
        shape.back() *= n;
        ls.back() = fullL[d];
        rs.back() = fullR[d];
        continue;
      }
    }
    shape.push_back(outShape[d]);
    ls.push_back(fullL[d]);
    rs.push_back(fullR[d]);
  }
  const auto rank = static_cast<int64_t>(shape.size());
  // Innermost dim as a contiguous run; each row finds its outer index itself,
  // so rows run in parallel.
  const int64_t inner = rank ? shape[rank - 1] : 1;
  const int64_t lInner = rank ? ls[rank - 1] : 0, rInner = rank ? rs[rank - 1] : 0;
  const int64_t rows = inner ? count / inner : 0;
#pragma omp parallel for if (count > kParallelCount) schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t lo = 0, ro = 0, rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      const int64_t i = rest % shape[d];
      rest /= shape[d];
      lo += i * ls[d];
      ro += i * rs[d];
    }
    float *o = out + row * inner;
    const float *l = lhs + lo, *r = rhs + ro;
    // Unit or zero inner strides get loops the compiler vectorizes.
    if (lInner == 1 && rInner == 1)
      for (int64_t i = 0; i < inner; ++i)
        o[i] = apply(l[i], r[i]);
    else if (lInner == 1 && rInner == 0)
      for (int64_t i = 0; i < inner; ++i)
        o[i] = apply(l[i], r[0]);
    else if (lInner == 0 && rInner == 1)
      for (int64_t i = 0; i < inner; ++i)
        o[i] = apply(l[0], r[i]);
    else
      for (int64_t i = 0; i < inner; ++i)
        o[i] = apply(l[i * lInner], r[i * rInner]);
  }
}

void activateAll(Activation activation, const float *x, float *y, int64_t count) {
#pragma omp parallel for if (count > kParallelCount) schedule(static)
  for (int64_t i = 0; i < count; ++i)
    y[i] = activate(x[i], activation);
}

void concat(std::span<const float *const> inputs, std::span<const Dims> shapes,
            int64_t axis, float *out) {
  const Dims &first = shapes[0];
  int64_t outer = 1, inner = 1, total = 0;
  for (int64_t d = 0; d < axis; ++d)
    outer *= first[d];
  for (size_t d = axis + 1; d < first.size(); ++d)
    inner *= first[d];
  for (const Dims &s : shapes)
    total += s[axis];
  for (int64_t o = 0; o < outer; ++o) {
    float *dst = out + o * total * inner;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int64_t run = shapes[k][axis] * inner;
      std::memcpy(dst, inputs[k] + o * run, run * sizeof(float));
      dst += run;
    }
  }
}

void upsampleNearest(const float *x, int64_t planes, int64_t height, int64_t width,
                     int64_t scale, float *out) {
  // Each input row is widened once and its copies are memcpy'd: no division
  // per element (it took 4 ns an element).
  const int64_t oh = height * scale, ow = width * scale;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < height; ++i) {
      const float *row = x + (p * height + i) * width;
      float *dst = out + (p * oh + i * scale) * ow;
      if (scale == 2)
        for (int64_t j = 0; j < width; ++j)
          dst[2 * j] = dst[2 * j + 1] = row[j];
      else
        for (int64_t j = 0; j < width; ++j)
          for (int64_t k = 0; k < scale; ++k)
            dst[j * scale + k] = row[j];
      for (int64_t k = 1; k < scale; ++k)
        std::memcpy(dst + k * ow, dst, ow * sizeof(float));
    }
}

void upsampleNearestChannelsLast(const float *x, int64_t batch, int64_t height, int64_t width,
                                 int64_t channels, int64_t scale, float *out) {
  // A pixel is `channels` contiguous floats: each is copied `scale` times
  // along the widened row, and the row `scale` times.
  const int64_t oh = height * scale, ow = width * scale;
  const size_t pixel = static_cast<size_t>(channels) * sizeof(float);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < height; ++i) {
      const float *row = x + ((n * height + i) * width) * channels;
      float *dst = out + ((n * oh + i * scale) * ow) * channels;
      for (int64_t j = 0; j < width; ++j)
        for (int64_t k = 0; k < scale; ++k)
          std::memcpy(dst + (j * scale + k) * channels, row + j * channels, pixel);
      for (int64_t k = 1; k < scale; ++k)
        std::memcpy(dst + k * ow * channels, dst, ow * pixel);
    }
}

void avgPool(const float *x, int64_t planes, int64_t height, int64_t width, int64_t kh,
             int64_t kw, int64_t sh, int64_t sw, float *out) {
  const int64_t oh = (height - kh) / sh + 1, ow = (width - kw) / sw + 1;
  const float scale = 1.0f / static_cast<float>(kh * kw);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        float sum = 0;
        for (int64_t a = 0; a < kh; ++a)
          for (int64_t b = 0; b < kw; ++b)
            sum += x[(p * height + i * sh + a) * width + j * sw + b];
        out[(p * oh + i) * ow + j] = sum * scale;
      }
}

void transpose(const float *x, const Dims &shape, const Dims &permutation, float *out) {
  const size_t rank = shape.size();
  bool identity = true;
  for (size_t d = 0; d < rank; ++d)
    identity = identity && permutation[d] == static_cast<int64_t>(d);
  if (identity) { // a layout change that moves no element (channels last)
    std::memmove(out, x, static_cast<size_t>(product(shape)) * sizeof(float));
    return;
  }
  if (rank >= 2 && permutation[rank - 1] == static_cast<int64_t>(rank) - 2 &&
      permutation[rank - 2] == static_cast<int64_t>(rank) - 1) {
    bool leading = true;
    for (size_t d = 0; d + 2 < rank; ++d)
      leading = leading && permutation[d] == static_cast<int64_t>(d);
    if (leading) { // [..., M, N] -> [..., N, M] in 16 x 16 tiles
      const int64_t m = shape[rank - 2], n = shape[rank - 1], matrices = product(shape) / (m * n);
      constexpr int64_t kTile = 16;
      for (int64_t b = 0; b < matrices; ++b) {
        const float *src = x + b * m * n;
        float *dst = out + b * m * n;
        for (int64_t i0 = 0; i0 < m; i0 += kTile)
          for (int64_t j0 = 0; j0 < n; j0 += kTile)
            for (int64_t j = j0; j < std::min(n, j0 + kTile); ++j)
              for (int64_t i = i0; i < std::min(m, i0 + kTile); ++i)
                dst[j * m + i] = src[i * n + j];
      }
      return;
    }
  }
  // Fixed-size index state: nothing to allocate per call (the verifier bounds
  // the rank), which also keeps gcc 12's -Wfree-nonheap-object quiet.
  const Dims in = stridesOf(shape);
  std::array<int64_t, kMaxTransposeRank> outShape{}, strides{}, index{};
  int64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    outShape[d] = shape[permutation[d]];
    strides[d] = in[permutation[d]];
    count *= outShape[d];
  }
  int64_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    out[i] = x[offset];
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < outShape[d])
        break;
      offset -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
}

void affineStep(const float *x, const float *y, const float *z, float *out, int64_t count,
                float a, float b, float c) {
  if (z)
    for (int64_t i = 0; i < count; ++i)
      out[i] = a * x[i] + b * y[i] + c * z[i];
  else
    for (int64_t i = 0; i < count; ++i)
      out[i] = a * x[i] + b * y[i];
}

void langevinCorrector(const float *x, const float *score, const float *z, float *out,
                       int64_t samples, int64_t width, double alpha, double snr) {
  for (int64_t r = 0; r < samples; ++r) {
    const int64_t base = r * width;
    double zz = 0, ss = 0;
    for (int64_t j = 0; j < width; ++j) {
      zz += static_cast<double>(z[base + j]) * z[base + j];
      ss += static_cast<double>(score[base + j]) * score[base + j];
    }
    const double ratio = ss > 0 ? snr * std::sqrt(zz / ss) : 0.0;
    const double eps = 2.0 * alpha * ratio * ratio;
    const float e = static_cast<float>(eps), noise = static_cast<float>(std::sqrt(2.0 * eps));
    for (int64_t j = 0; j < width; ++j)
      out[base + j] = x[base + j] + e * score[base + j] + noise * z[base + j];
  }
}

void malaStep(const float *x, const float *y, const float *energy, const float *proposalEnergy,
              const float *score, const float *proposalScore, const float *uniform, float *out,
              int64_t samples, int64_t width, double eta) {
  for (int64_t r = 0; r < samples; ++r) {
    const int64_t base = r * width;
    double forward = 0, backward = 0; // |y - x - eta s(x)|^2, |x - y - eta s(y)|^2
    for (int64_t j = 0; j < width; ++j) {
      const double step = static_cast<double>(y[base + j]) - x[base + j];
      const double f = step - eta * score[base + j], b = -step - eta * proposalScore[base + j];
      forward += f * f;
      backward += b * b;
    }
    const double logRatio = static_cast<double>(energy[r]) - proposalEnergy[r] +
                            (forward - backward) / (4.0 * eta);
    const bool accept =
        std::isfinite(logRatio) && std::log(static_cast<double>(uniform[r])) < logRatio;
    std::memmove(out + base, (accept ? y : x) + base, static_cast<size_t>(width) * sizeof(float));
  }
}

} // namespace tweedie::cpu
