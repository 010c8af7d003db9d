//===- GradientKernels.h - the ops a training step adds to a network -----===//
//
// What reverse-mode rules emit besides dense and the elementwise ops: sums
// over axes, broadcasts, activation derivatives, outer-product sums (a dense
// weight's gradient), slices and pads, and the per-example draws of an
// objective. Shapes are full (batch included for per-example values).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_GRADIENTKERNELS_H
#define TWEEDIE_RUNTIME_CPU_GRADIENTKERNELS_H

#include "cpu/CpuContext.h"
#include "cpu/Elementwise.h"

#include <cstdint>

namespace tweedie::cpu {

/// out (shape with `axes` set to 1) = the sum of x over `axes`, accumulated
/// in double in index order.
void reduceSumKeepDims(const float *x, const Dims &shape, const Dims &axes, float *out);

/// out[outShape] = x[shape] broadcast (NumPy rules).
void broadcastTo(const float *x, const Dims &shape, float *out, const Dims &outShape);

/// out = grad * f'(x) (order 1) or grad * f''(x) (order 2).
void activationGrad(Activation activation, int order, const float *x, const float *grad,
                    float *out, int64_t count);

/// out [m, n] = x [m, k] w [k, n] (+ bias [n]), weights read as they are now
/// (no prepacking: a training step changes them). `transposeX` reads x
/// stored as [k, m]: a dense weight's gradient, the sum over k rows of outer
/// products.
void matmul(const float *x, const float *w, const float *bias, float *out, int64_t m,
            int64_t k, int64_t n, bool transposeX = false);

/// `size` entries from `offset` along `axis` of x[shape].
void sliceAxis(const float *x, const Dims &shape, int64_t axis, int64_t offset, int64_t size,
               float *out);

/// x[shape] with `before` and `after` zeros along `axis`.
void padAxis(const float *x, const Dims &shape, int64_t axis, int64_t before, int64_t after,
             float *out);

/// [rows] times -> [rows, dim]: [sin(t f_k) | cos(t f_k)], f_k = maxPeriod^(-k / (dim/2)).
void sinusoidalEmbedding(const float *t, int64_t rows, int64_t dim, double maxPeriod,
                         float *out);

/// [rows] times, [dim/2] frequencies w -> [sin(2 pi t w_k) | cos(2 pi t w_k)].
void fourierEmbedding(const float *t, int64_t rows, const float *frequencies, int64_t dim,
                      float *out);

} // namespace tweedie::cpu

#endif
