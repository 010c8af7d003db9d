//===- RowInvariantGemm.cpp -------------------------------------------------===//
//
// Three kernels of one shape: a block of R rows times two panels of columns,
// the accumulators in registers, k outermost, one multiply-add per k per
// element. Rows beyond a multiple of R take the same kernel with a smaller R,
// which does the same arithmetic per element. Only the ISA changes the
// numbers (FMA rounds once, the baseline's multiply and add twice).
//
//===----------------------------------------------------------------------===//
#include "cpu/RowInvariantGemm.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace tweedie::cpu {

GemmIsa gemmIsa() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto has = [isa](dnnl_cpu_isa_t bits) {
    return (isa & static_cast<unsigned>(bits)) == static_cast<unsigned>(bits);
  };
  if (has(dnnl_cpu_isa_avx512_core))
    return GemmIsa::Avx512;
  if (has(dnnl_cpu_isa_avx2))
    return GemmIsa::Avx2;
  return GemmIsa::Baseline;
}

const char *gemmIsaName(GemmIsa isa) {
  switch (isa) {
  case GemmIsa::Avx512:
    return "avx512";
  case GemmIsa::Avx2:
    return "avx2";
  case GemmIsa::Baseline:
    break;
  }
  return "baseline";
}

namespace {

int64_t widthOf(GemmIsa isa) { return isa == GemmIsa::Avx512 ? 16 : 8; }

// ---- AVX-512: R <= 8 rows x 2 panels of 16 (16 accumulators; 12 rows measured slower) --
template <int R, int Panels>
__attribute__((target("avx512f,fma"))) void blockAvx512(const float *x, int64_t k,
                                                        const float *panel0, const float *panel1,
                                                        float *y, int64_t ldy,
                                                        const float *bias, int64_t columns) {
  __m512 acc[R][Panels];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < Panels; ++p)
      acc[r][p] = _mm512_setzero_ps();
  for (int64_t i = 0; i < k; ++i) {
    const __m512 w0 = _mm512_loadu_ps(panel0 + i * 16);
    const __m512 w1 = Panels > 1 ? _mm512_loadu_ps(panel1 + i * 16) : w0;
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(x[r * k + i]);
      acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
      if constexpr (Panels > 1)
        acc[r][1] = _mm512_fmadd_ps(a, w1, acc[r][1]);
    }
  }
  for (int p = 0; p < Panels; ++p) {
    const int64_t n = std::min<int64_t>(16, columns - 16 * p);
    const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + 16 * p) : _mm512_setzero_ps();
    for (int r = 0; r < R; ++r)
      _mm512_mask_storeu_ps(y + r * ldy + 16 * p, mask, _mm512_add_ps(acc[r][p], b));
  }
}

// ---- AVX2: R <= 6 rows x 2 panels of 8 ---------------------------------------
// Named accumulators: with an array of them gcc stored every one to the stack
// inside the k loop (16 ymm registers leave it no room to be sure), 30% slower
// than oneDNN. A single panel's call gets the zero panel as its second.
template <int R>
__attribute__((target("avx2,fma"))) void blockAvx2(const float *x, int64_t k,
                                                  const float *panel0, const float *panel1,
                                                  float *y, int64_t ldy, const float *bias,
                                                  int64_t columns) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
  for (int64_t i = 0; i < k; ++i) {
    const __m256 w0 = _mm256_loadu_ps(panel0 + i * 8);
    const __m256 w1 = _mm256_loadu_ps(panel1 + i * 8);
#define TWEEDIE_AVX2_ROW(j)                                                                   \
  if constexpr (R > j) {                                                                      \
    const __m256 v = _mm256_broadcast_ss(x + j * k + i);                                      \
    a##j = _mm256_fmadd_ps(v, w0, a##j);                                                      \
    b##j = _mm256_fmadd_ps(v, w1, b##j);                                                      \
  }
    TWEEDIE_AVX2_ROW(0)
    TWEEDIE_AVX2_ROW(1)
    TWEEDIE_AVX2_ROW(2)
    TWEEDIE_AVX2_ROW(3)
    TWEEDIE_AVX2_ROW(4)
    TWEEDIE_AVX2_ROW(5)
#undef TWEEDIE_AVX2_ROW
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int n0 = static_cast<int>(std::min<int64_t>(8, columns));
  const int n1 = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(8, columns - 8)));
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n0), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n1), lane);
  const __m256 c0 = bias ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
  const __m256 c1 = bias && n1 ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
  const __m256 as[6] = {a0, a1, a2, a3, a4, a5}, bs[6] = {b0, b1, b2, b3, b4, b5};
  for (int r = 0; r < R; ++r) {
    _mm256_maskstore_ps(y + r * ldy, m0, _mm256_add_ps(as[r], c0));
    if (n1)
      _mm256_maskstore_ps(y + r * ldy + 8, m1, _mm256_add_ps(bs[r], c1));
  }
}

// ---- baseline x86-64: one row x one panel of 8, plain C++ ------------------
void blockBaseline(const float *x, int64_t k, const float *panel, float *y, const float *bias,
                   int64_t columns) {
  float acc[8] = {};
  for (int64_t i = 0; i < k; ++i)
    for (int j = 0; j < 8; ++j)
      acc[j] += x[i] * panel[i * 8 + j];
  for (int64_t j = 0; j < columns; ++j)
    y[j] = acc[j] + (bias ? bias[j] : 0.0f);
}

/// One block: R rows of x times one or two panels (the second may be the zero
/// panel), `columns` of them stored into y at row stride ldy.
using BlockFn = void (*)(const float *x, int64_t k, const float *panel0, const float *panel1,
                         float *y, int64_t ldy, const float *bias, int64_t columns);

/// The kernels for 1 .. sizeof(I) rows.
template <int Panels, size_t... I>
constexpr std::array<BlockFn, sizeof...(I)> avx512Kernels(std::index_sequence<I...>) {
  return {&blockAvx512<static_cast<int>(I) + 1, Panels>...};
}
template <size_t... I>
constexpr std::array<BlockFn, sizeof...(I)> avx2Kernels(std::index_sequence<I...>) {
  return {&blockAvx2<static_cast<int>(I) + 1>...};
}
constexpr auto kAvx512OnePanel = avx512Kernels<1>(std::make_index_sequence<8>{});
constexpr auto kAvx512TwoPanels = avx512Kernels<2>(std::make_index_sequence<8>{});
constexpr auto kAvx2 = avx2Kernels(std::make_index_sequence<6>{});

/// Rows [0, rows) of panels [first, last), two panels at a time, in blocks of
/// up to kernels.size() rows; `twoPanels` when a block has two.
template <size_t MaxRows>
void sweep(const PackedGemmWeights &w, int64_t rows, const float *x, float *y,
           const float *bias, int64_t first, int64_t last,
           const std::array<BlockFn, MaxRows> &onePanel,
           const std::array<BlockFn, MaxRows> &twoPanels) {
  const int64_t k = w.k(), n = w.n(), width = w.width();
  const auto maxRows = static_cast<int64_t>(MaxRows);
  for (int64_t p = first; p < last; p += 2) {
    const bool two = p + 1 < last;
    const int64_t columns = std::min<int64_t>(n - p * width, (two ? 2 : 1) * width);
    const float *b = bias ? bias + p * width : nullptr;
    for (int64_t m = 0; m < rows; m += maxRows) {
      const int64_t r = std::min(maxRows, rows - m);
      (two ? twoPanels : onePanel)[r - 1](x + m * k, k, w.panel(p),
                                          w.panel(two ? p + 1 : w.panels()),
                                          y + m * n + p * width, n, b, columns);
    }
  }
}

} // namespace

PackedGemmWeights::PackedGemmWeights(std::span<const float> weights, int64_t k, int64_t n,
                                     GemmIsa isa)
    : k_(k), n_(n), width_(widthOf(isa)), isa_(isa), data_(nullptr, std::free) {
  if (k < 1 || n < 1 || static_cast<int64_t>(weights.size()) != k * n)
    throw std::invalid_argument("row-invariant gemm: " + std::to_string(weights.size()) +
                                " weights do not fit [" + std::to_string(k) + ", " +
                                std::to_string(n) + "]");
  // One more panel of zeros: the second panel of a kernel given only one.
  const size_t bytes = static_cast<size_t>((panels() + 1) * k * width_) * sizeof(float);
  data_.reset(static_cast<float *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
  if (!data_)
    throw std::bad_alloc();
  float *out = data_.get();
  std::memset(out, 0, bytes);
  for (int64_t p = 0; p < panels(); ++p)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < width_ && p * width_ + j < n; ++j)
        out[(p * k + i) * width_ + j] = weights[i * n + p * width_ + j];
}

void rowInvariantGemm(const PackedGemmWeights &w, int64_t rows, const float *x, float *y,
                      const float *bias, int64_t firstPanel, int64_t lastPanel) {
  if (lastPanel < 0)
    lastPanel = w.panels();
  switch (w.isa()) {
  case GemmIsa::Avx512:
    sweep(w, rows, x, y, bias, firstPanel, lastPanel, kAvx512OnePanel, kAvx512TwoPanels);
    return;
  case GemmIsa::Avx2:
    sweep(w, rows, x, y, bias, firstPanel, lastPanel, kAvx2, kAvx2); // the zero panel pads
    return;
  case GemmIsa::Baseline:
    break;
  }
  const int64_t k = w.k(), n = w.n(), width = w.width();
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t p = firstPanel; p < lastPanel; ++p)
      blockBaseline(x + m * k, k, w.panel(p), y + m * n + p * width,
                    bias ? bias + p * width : nullptr, std::min<int64_t>(width, n - p * width));
}

} // namespace tweedie::cpu
