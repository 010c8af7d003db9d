//===- AttentionLayer.cpp ---------------------------------------------------===//
#include "cpu/AttentionLayer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tweedie::cpu {

namespace {

/// a . b over n floats in kLanes interleaved partial sums added in a fixed
/// order: vectorizable, and the same whatever the batch.
constexpr int64_t kLanes = 8;
float dot(const float *a, const float *b, int64_t n) {
  float lanes[kLanes] = {};
  const int64_t whole = n / kLanes * kLanes;
  for (int64_t i = 0; i < whole; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      lanes[l] += a[i + l] * b[i + l];
  float sum = 0;
  for (int64_t i = whole; i < n; ++i)
    sum += a[i] * b[i];
  for (float lane : lanes)
    sum += lane;
  return sum;
}

/// p = softmax(q_row k^T scale) over the `source` keys of head h in batch b.
void softmaxRow(const float *qr, const float *k, int64_t b, int64_t h, int64_t source,
                int64_t features, int64_t dh, float scale, float *p) {
  float peak = -INFINITY;
  for (int64_t s = 0; s < source; ++s) {
    p[s] = dot(qr, k + (b * source + s) * features + h * dh, dh) * scale;
    peak = std::max(peak, p[s]);
  }
  float total = 0;
  for (int64_t s = 0; s < source; ++s)
    total += (p[s] = std::exp(p[s] - peak));
  const float inv = 1.0f / total;
  for (int64_t s = 0; s < source; ++s)
    p[s] *= inv;
}

} // namespace

void attention(int64_t batch, int64_t length, int64_t source, int64_t features,
               int64_t valueFeatures, int64_t heads, const float *q, const float *k,
               const float *v, float *out) {
  const int64_t dh = features / heads, eh = valueFeatures / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      std::vector<float> p(source);
      for (int64_t l = 0; l < length; ++l) {
        softmaxRow(q + (b * length + l) * features + h * dh, k, b, h, source, features, dh,
                   scale, p.data());
        float *o = out + (b * length + l) * valueFeatures + h * eh;
        std::fill(o, o + eh, 0.0f);
        for (int64_t s = 0; s < source; ++s) {
          const float *vr = v + (b * source + s) * valueFeatures + h * eh;
          const float w = p[s];
          for (int64_t j = 0; j < eh; ++j)
            o[j] += w * vr[j];
        }
      }
    }
}

void attentionGrad(int64_t batch, int64_t length, int64_t source, int64_t features,
                   int64_t valueFeatures, int64_t heads, const float *q, const float *k,
                   const float *v, const float *grad, float *dq, float *dk, float *dv) {
  const int64_t dh = features / heads, eh = valueFeatures / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  if (dq)
    std::fill(dq, dq + batch * length * features, 0.0f);
  if (dk)
    std::fill(dk, dk + batch * source * features, 0.0f);
  if (dv)
    std::fill(dv, dv + batch * source * valueFeatures, 0.0f);
  // Heads own disjoint columns of every cotangent: (b, h) pairs run apart.
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      std::vector<float> p(source), dp(source);
      for (int64_t l = 0; l < length; ++l) {
        // The forward row again: p = softmax(q k^T scale).
        const float *qr = q + (b * length + l) * features + h * dh;
        softmaxRow(qr, k, b, h, source, features, dh, scale, p.data());
        // dv += p^T g; dp = g v^T; ds = p (dp - sum p dp) scale.
        const float *g = grad + (b * length + l) * valueFeatures + h * eh;
        float weighted = 0;
        for (int64_t s = 0; s < source; ++s) {
          const float *vr = v + (b * source + s) * valueFeatures + h * eh;
          float dot = 0;
          for (int64_t j = 0; j < eh; ++j)
            dot += g[j] * vr[j];
          dp[s] = dot;
          weighted += p[s] * dot;
          if (dv) {
            float *dvr = dv + (b * source + s) * valueFeatures + h * eh;
            for (int64_t j = 0; j < eh; ++j)
              dvr[j] += p[s] * g[j];
          }
        }
        for (int64_t s = 0; s < source; ++s) {
          const float ds = p[s] * (dp[s] - weighted) * scale;
          if (dq) {
            const float *kr = k + (b * source + s) * features + h * dh;
            float *dqr = dq + (b * length + l) * features + h * dh;
            for (int64_t j = 0; j < dh; ++j)
              dqr[j] += ds * kr[j];
          }
          if (dk) {
            float *dkr = dk + (b * source + s) * features + h * dh;
            for (int64_t j = 0; j < dh; ++j)
              dkr[j] += ds * qr[j];
          }
        }
      }
    }
}

} // namespace tweedie::cpu
