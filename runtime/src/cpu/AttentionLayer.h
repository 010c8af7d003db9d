//===- AttentionLayer.h - multi-head scaled dot-product attention --------===//
#ifndef TWEEDIE_RUNTIME_CPU_ATTENTIONLAYER_H
#define TWEEDIE_RUNTIME_CPU_ATTENTIONLAYER_H

#include <cstdint>

namespace tweedie::cpu {

/// softmax(q k^T / sqrt(D / heads)) v per head over q [B, L, D], k [B, S, D],
/// v [B, S, E] into out [B, L, E]. Sequences here are short (49 tokens at
/// 7x7), so a direct loop nest beats the setup of library calls; each output
/// row is computed in one fixed order, independent of the batch split.
void attention(int64_t batch, int64_t length, int64_t source, int64_t features,
               int64_t valueFeatures, int64_t heads, const float *q, const float *k,
               const float *v, float *out);

/// The cotangents of attention's query, key and value given its result's
/// cotangent `grad` [batch, length, valueFeatures]. Null outputs are not
/// computed (a training step asks for each one it uses).
void attentionGrad(int64_t batch, int64_t length, int64_t source, int64_t features,
                   int64_t valueFeatures, int64_t heads, const float *q, const float *k,
                   const float *v, const float *grad, float *dq, float *dk, float *dv);

} // namespace tweedie::cpu

#endif
