//===- AttentionLayer.h - multi-head scaled dot-product attention --------===//
#ifndef TWEEDIE_RUNTIME_CPU_ATTENTIONLAYER_H
#define TWEEDIE_RUNTIME_CPU_ATTENTIONLAYER_H

#include "cpu/CpuContext.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace tweedie::cpu {

/// softmax(q k^T / sqrt(D / heads)) v per head over q [B, L, D], k [B, S, D],
/// v [B, S, E] into out [B, L, E]. Sequences here are short (49 tokens at
/// 7x7), so a direct loop nest beats the setup of library calls; each output
/// row is computed in one fixed order, independent of the batch split.
void attention(int64_t batch, int64_t length, int64_t source, int64_t features,
               int64_t valueFeatures, int64_t heads, const float *q, const float *k,
               const float *v, float *out);

/// The sampler's attention on oneDNN: per head a batched matmul q k^T (the
/// 1/sqrt(d) folded into its output scale), a softmax over the keys, and a
/// batched matmul with v; the heads are strided views of q, k, v and out
/// [B, L, D], so nothing is copied. Primitives are built per batch size;
/// the scores live in the context's Scores staging buffer.
class AttentionLayer {
public:
  AttentionLayer(int64_t length, int64_t source, int64_t features, int64_t valueFeatures,
                 int64_t heads);
  void run(CpuContext &context, int64_t batch, const float *q, const float *k, const float *v,
           float *out);

private:
  struct Plan {
    dnnl::matmul scores, mix;
    dnnl::softmax_forward softmax;
    dnnl::memory::desc q, kT, s, v, out;
  };
  Plan &plan(CpuContext &context, int64_t batch);

  int64_t length_, source_, features_, valueFeatures_, heads_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;
  std::mutex plansMutex_;
};

/// The cotangents of attention's query, key and value given its result's
/// cotangent `grad` [batch, length, valueFeatures]. Null outputs are not
/// computed (a training step asks for each one it uses).
void attentionGrad(int64_t batch, int64_t length, int64_t source, int64_t features,
                   int64_t valueFeatures, int64_t heads, const float *q, const float *k,
                   const float *v, const float *grad, float *dq, float *dk, float *dv);

} // namespace tweedie::cpu

#endif
