//===- RowInvariantGemm.h - x W whose rows do not depend on the row count --===//
//
// oneDNN's matmul picks its kernel and blocking per problem: a row's result
// changes with the number of rows computed beside it (on AVX2 it does, see
// the test). Here every y[m, n] is one chain of fused multiply-adds over
// k = 0 .. K-1 in order, vectorized across n, whatever the row count and
// wherever the row sits. A sampler may then size its micro-batches to the
// request (a batch-1 request computes one row) and every sample stays
// bit-identical. The weights are packed once into panels of the vector width
// of the ISA oneDNN runs at (so ONEDNN_MAX_CPU_ISA caps both alike).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_ROWINVARIANTGEMM_H
#define TWEEDIE_RUNTIME_CPU_ROWINVARIANTGEMM_H

#include <cstdint>
#include <memory>
#include <span>

namespace tweedie::cpu {

enum class GemmIsa { Baseline, Avx2, Avx512 };

/// The widest kernel oneDNN's effective ISA allows.
GemmIsa gemmIsa();
const char *gemmIsaName(GemmIsa isa);

/// [K, N] weights in panels of `width` columns: panel p holds columns
/// [p width, (p + 1) width) as K rows of `width` floats (zero beyond N).
class PackedGemmWeights {
public:
  PackedGemmWeights(std::span<const float> weights, int64_t k, int64_t n,
                    GemmIsa isa = gemmIsa());

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t width() const { return width_; }
  int64_t panels() const { return (n_ + width_ - 1) / width_; }
  GemmIsa isa() const { return isa_; }
  /// Panel p; panel(panels()) is all zeros.
  const float *panel(int64_t p) const { return data_.get() + p * k_ * width_; }

private:
  int64_t k_, n_, width_;
  GemmIsa isa_;
  std::unique_ptr<float, void (*)(void *)> data_;
};

/// y[m, :] = x[m, :] W (+ bias) for m < rows; x is [rows, K], y [rows, N],
/// both row-major. Columns [firstPanel, lastPanel) of panels only (a thread's
/// share of the output channels; the default is all of them).
void rowInvariantGemm(const PackedGemmWeights &w, int64_t rows, const float *x, float *y,
                      const float *bias, int64_t firstPanel = 0, int64_t lastPanel = -1);

} // namespace tweedie::cpu

#endif
