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

AttentionLayer::AttentionLayer(int64_t length, int64_t source, int64_t features,
                               int64_t valueFeatures, int64_t heads)
    : length_(length), source_(source), features_(features), valueFeatures_(valueFeatures),
      heads_(heads) {}

AttentionLayer::Plan &AttentionLayer::plan(CpuContext &context, int64_t batch) {
  using dnnl::memory;
  std::lock_guard lock(plansMutex_);
  std::unique_ptr<Plan> &slot = plans_[batch];
  if (slot)
    return *slot;
  constexpr auto f32 = memory::data_type::f32;
  const int64_t b = batch, h = heads_, l = length_, s = source_, d = features_ / heads_,
                e = valueFeatures_ / heads_, dAll = features_, eAll = valueFeatures_;
  auto plan = std::make_unique<Plan>();
  // Head hd of sample n is the column block [hd d, (hd + 1) d) of its rows.
  plan->q = memory::desc({b, h, l, d}, f32, {l * dAll, d, dAll, 1});
  plan->kT = memory::desc({b, h, d, s}, f32, {s * dAll, d, 1, dAll});
  plan->s = memory::desc({b, h, l, s}, f32, memory::format_tag::abcd);
  plan->v = memory::desc({b, h, s, e}, f32, {s * eAll, e, eAll, 1});
  plan->out = memory::desc({b, h, l, e}, f32, {l * eAll, e, eAll, 1});
  dnnl::primitive_attr scaled = withUserScratchpad();
  scaled.set_output_scales(0, {static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)))});
  plan->scores = dnnl::matmul(dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(plan->q, plan->kT, plan->s), scaled, context.engine));
  plan->softmax = dnnl::softmax_forward(dnnl::softmax_forward::primitive_desc(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, plan->s, 3),
      withUserScratchpad(), context.engine));
  plan->mix = dnnl::matmul(dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(plan->s, plan->v, plan->out), withUserScratchpad(), context.engine));
  slot = std::move(plan);
  return *slot;
}

void AttentionLayer::run(CpuContext &context, int64_t batch, const float *q, const float *k,
                         const float *v, float *out) {
  using dnnl::memory;
  Plan &p = plan(context, batch);
  auto bound = [&](const memory::desc &desc, const float *data) {
    return memory(desc, context.engine, const_cast<float *>(data));
  };
  memory scores = bound(p.s, context.staging(CpuContext::Staging::Scores, p.s.get_size()));
  context.execute(p.scores, {{DNNL_ARG_SRC, bound(p.q, q)},
                             {DNNL_ARG_WEIGHTS, bound(p.kT, k)},
                             {DNNL_ARG_DST, scores}});
  context.execute(p.softmax, {{DNNL_ARG_SRC, scores}, {DNNL_ARG_DST, scores}});
  context.execute(p.mix, {{DNNL_ARG_SRC, scores},
                          {DNNL_ARG_WEIGHTS, bound(p.v, v)},
                          {DNNL_ARG_DST, bound(p.out, out)}});
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
