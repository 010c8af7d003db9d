//===- Kernels.h - float64 reference semantics of the score ops ----------===//
//
// One function per `score` op, with the layouts the dialect documents: NCHW
// images, [in, out] dense weights, [out, in/groups, kh, kw] conv weights,
// [batch, length, features] token sequences.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_REFERENCE_KERNELS_H
#define TWEEDIE_REFERENCE_KERNELS_H

#include "tweedie/Activation.h"
#include "tweedie/Reference/Tensor.h"

#include <array>

namespace tweedie::reference {

// The activations and their derivatives are the runtime's (tweedie/Activation.h),
// instantiated in float64.
using tweedie::Activation;
using tweedie::activate;
using tweedie::activationDerivative;

// Elementwise.cpp
Tensor activate(const Tensor &x, Activation kind);
/// NumPy-broadcasting lhs + rhs / lhs * rhs.
Result add(const Tensor &lhs, const Tensor &rhs);
Result mul(const Tensor &lhs, const Tensor &rhs);

// Linear.cpp
/// y[..., n] = sum_k x[..., k] w[k, n] + b[n]
Result dense(const Tensor &x, const Tensor &w, const Tensor *bias);
/// Cross-correlation with zero padding, NCHW.
Result conv2d(const Tensor &x, const Tensor &w, const Tensor *bias,
              std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
              int64_t groups);
/// Multi-head softmax(q k^T / sqrt(d_head)) v over [B, L, D] sequences.
Result attention(const Tensor &q, const Tensor &k, const Tensor &v, int64_t heads);
/// Row l of head h of sample b: p[s] = exp(q.k_s scale - max), unnormalised;
/// returns their sum (attention and its gradient share it).
double attentionRow(const Tensor &q, const Tensor &k, int64_t b, int64_t h, int64_t l,
                    int64_t heads, std::vector<double> &p);

// Normalization.cpp
Result groupNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 int64_t groups, double epsilon);
Result layerNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 double epsilon);

// Layout.cpp
Result concat(const std::vector<const Tensor *> &inputs, int64_t axis);
Result reshape(const Tensor &x, const Shape &shape);
Result transpose(const Tensor &x, const Shape &permutation);
Result upsampleNearest(const Tensor &x, int64_t scale);
Result avgPool2d(const Tensor &x, std::array<int64_t, 2> kernel,
                 std::array<int64_t, 2> stride);

// TimeEmbedding.cpp
/// [B] -> [B, dim]: [sin(t f_k) | cos(t f_k)], f_k = maxPeriod^(-k / (dim/2)).
Result sinusoidalEmbedding(const Tensor &t, int64_t dim, double maxPeriod);
/// [B] -> [B, 2 F]: [sin(2 pi t w_k) | cos(2 pi t w_k)] for w [F].
Result fourierEmbedding(const Tensor &t, const Tensor &frequencies);

// Gradients.cpp: the ops reverse-mode rules emit
/// grad * f^(order)(x), elementwise.
Result activationGrad(const Tensor &x, const Tensor &grad, Activation kind, int order);
/// Sums over `axes`, keeping them as size 1.
Result reduceSum(const Tensor &x, const Shape &axes);
/// x broadcast (NumPy rules) to `shape`.
Result broadcastTo(const Tensor &x, const Shape &shape);
/// [M, N] = sum over the leading index r of a[r]^T b[r].
Result outerSum(const Tensor &a, const Tensor &b);
/// `size` entries from `offset` along `axis`, and its adjoint (zeros around).
Result slice(const Tensor &x, int64_t axis, int64_t offset, int64_t size);
Result pad(const Tensor &x, int64_t axis, int64_t before, int64_t after);
/// The input and weight cotangents of conv2d (same conventions as conv2d).
Result conv2dBackwardData(const Tensor &grad, const Tensor &w, const Shape &inputShape,
                          std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
                          int64_t groups);
Result conv2dBackwardWeight(const Tensor &x, const Tensor &grad, std::array<int64_t, 2> kernel,
                            std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
                            int64_t groups);
/// (d query, d key, d value) of attention for its result's cotangent.
std::array<Tensor, 3> attentionGrad(const Tensor &q, const Tensor &k, const Tensor &v,
                                    const Tensor &grad, int64_t heads);
/// (d input, d gamma, d beta) of group_norm (no activation) for its result's
/// cotangent, the statistics recomputed from x.
std::array<Tensor, 3> groupNormGrad(const Tensor &x, const Tensor &gamma, const Tensor &grad,
                                    int64_t groups, double epsilon);

} // namespace tweedie::reference

#endif
