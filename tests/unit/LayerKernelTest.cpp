//===- LayerKernelTest.cpp - the generated layer kernels vs the reference -===//
//
// The CUDA backend computes what follows a library matmul or convolution
// (bias, activation, residual) and group normalisation with kernels the
// compiler generates (LayerKernels.cpp). Without a GPU the same functions are
// compiled here for this CPU at x86-64-v3, whose fused multiply-add is the
// GPU's fma.rn, and compared with the float64 reference: Activation.h's
// formulas and reference::groupNorm.
//
//===----------------------------------------------------------------------===//
#include "EmulatedCudaDriver.h"
#include "CompiledModuleSupport.h"
#include "HostKernels.h"
#include "cuda/CudaDriver.h"
#include "cuda/SamplerProgram.h"
#include "tweedie/Activation.h"
#include "tweedie/Noise.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CUDA/HostEmulation.h"
#include "tweedie/Target/CUDA/LayerKernels.h"
#include "tweedie/Target/CUDA/Ptx.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/ModuleDesc.h"

#include <gtest/gtest.h>

#include "mlir/IR/MLIRContext.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace tweedie;

namespace {

using tweedie::testing::expectSameBits;
using tweedie::testing::HostKernels;
using tweedie::testing::MemRef1D;
using module::LayerKernel;
using Kind = LayerKernel::Kind;
using Buffer = MemRef1D<float>;

/// How far a float32 kernel may be from the float64 formula: a few float
/// roundings of the result (the polynomial approximations of exp, tanh, log
/// and log1p are good to about 2 ulp), plus an absolute term proportional to
/// the input for results that cancel: 1 + erf(x / sqrt 2) in GELU at negative
/// x, where the approximation of erf is good to 1e-7 absolute, not relative.
constexpr double kRelativeTolerance = 4.8e-7; // 4 ulp
constexpr double kAbsoluteTolerance = 1e-7;   // times max(1, |x|)

/// Every activation with every epilogue form, compiled once per process.
std::vector<LayerKernel> allKernels() {
  std::vector<LayerKernel> kernels = {{Kind::GroupStats}, {Kind::Gather},
                                      {Kind::LangevinCorrector}, {Kind::MALAStep},
                                      {Kind::Scale}, {Kind::AvgPool}, {Kind::Interpolate},
                                      {Kind::TimeEmbedding}, {Kind::ReduceSum},
                                      // the training step's gradients
                                      {Kind::GroupNormGradSums}, {Kind::GroupNormGradMap},
                                      {Kind::GroupNormGradInput}, {Kind::GroupNormGradParams},
                                      {Kind::AttentionRowStats}, {Kind::AttentionProbs},
                                      {Kind::AttentionProbGrad}, {Kind::AttentionRowWeighted},
                                      {Kind::AttentionScoreGrad},
                                      {Kind::AttentionContract},
                                      // the adaptive integrator's
                                      {Kind::RK45Widen}, {Kind::RK45Stage}, {Kind::RK45Time},
                                      {Kind::RK45Begin}, {Kind::RK45Control},
                                      {Kind::RK45Accept}, {Kind::RK45Initial},
                                      {Kind::RK45InitialStep}, {Kind::RK45Finish}};
  LayerKernel fourier{Kind::TimeEmbedding};
  fourier.fourier = true;
  kernels.push_back(fourier);
  for (auto binary : {LayerKernel::Binary::Add, LayerKernel::Binary::Mul}) {
    LayerKernel k{Kind::Broadcast};
    k.binary = binary;
    kernels.push_back(k);
  }
  for (uint8_t a = 0; a < kNumActivations; ++a) {
    auto act = static_cast<Activation>(a);
    for (bool bias : {false, true})
      for (bool residual : {false, true})
        kernels.push_back({Kind::Epilogue, act, bias, residual});
    kernels.push_back({Kind::GroupNorm, act});
    for (int order : {1, 2}) {
      LayerKernel grad{Kind::ActGrad, act};
      grad.order = order;
      kernels.push_back(grad);
    }
  }
  return kernels;
}

/// Whether this CPU runs x86-64-v3 code (AVX2 and FMA): the level whose
/// rounding is the GPU's.
bool hostRunsV3() {
  const std::string level = resolveTargetCpu("native");
  return level == "x86-64-v3" || level == "x86-64-v4";
}

const HostKernels &hostKernels() {
  static const HostKernels kernels([](mlir::ModuleOp m) { addLayerKernels(m, allKernels()); },
                                   "layer", "x86-64-v3");
  return kernels;
}

template <typename Fn> Fn kernel(const LayerKernel &k) {
  Fn f = hostKernels().function<Fn>(k.name());
  EXPECT_NE(f, nullptr) << k.name() << ": " << hostKernels().error();
  return f;
}

#define SKIP_WITHOUT_V3()                                                                     \
  if (!hostRunsV3())                                                                          \
  GTEST_SKIP() << "this CPU lacks AVX2 and FMA (x86-64-v3), the level the layer kernels are " \
                  "checked at"

/// Inputs an activation is defined on: a grid over [-12, 12] and its tails
/// for most, positive values for log, sqrt and reciprocal.
std::vector<float> inputsFor(Activation act) {
  std::vector<float> x;
  const bool positive =
      act == Activation::Log || act == Activation::Sqrt || act == Activation::Reciprocal;
  for (int i = -1200; i <= 1200; ++i)
    x.push_back(positive ? std::ldexp(1.0f + (i + 1200) / 2401.0f, i / 100) : i / 100.0f);
  if (!positive)
    for (float tail : {-87.0f, -40.0f, -20.0f, 20.0f, 40.0f, 80.0f})
      x.push_back(tail);
  return x;
}

void expectClose(double got, double want, const std::string &what, double x = 1.0) {
  if (std::isinf(want)) {
    EXPECT_EQ(got, want) << what;
    return;
  }
  EXPECT_NEAR(got, want,
              kRelativeTolerance * std::abs(want) + kAbsoluteTolerance * std::max(1.0, std::abs(x)))
      << what;
}

using EpilogueFn = void (*)(Buffer *, Buffer *, int64_t, int64_t);
using BiasEpilogueFn = void (*)(Buffer *, Buffer *, Buffer *, int64_t, int64_t);
using BiasResidualEpilogueFn = void (*)(Buffer *, Buffer *, Buffer *, Buffer *, int64_t,
                                        int64_t);

TEST(LayerKernels, EveryActivationMatchesItsFloat64Formula) {
  SKIP_WITHOUT_V3();
  for (uint8_t a = 1; a < kNumActivations; ++a) {
    auto act = static_cast<Activation>(a);
    auto f = kernel<EpilogueFn>({Kind::Epilogue, act});
    ASSERT_NE(f, nullptr);
    std::vector<float> x = inputsFor(act), y(x.size(), -1.0f);
    Buffer out(y), in(x);
    f(&out, &in, 1, 1);
    for (size_t i = 0; i < x.size(); ++i)
      expectClose(y[i], activate<double>(x[i], act),
                  std::string(activationName(act)) + "(" + std::to_string(x[i]) + ")", x[i]);
  }
}

using ActGradFn = void (*)(Buffer *, Buffer *, Buffer *);

/// The derivatives' formulas cancel in float32 (1 - tanh^2 and s (1 - s)
/// where the sigmoid nears 1), as the CPU's float evaluation of the same
/// formulas does: their absolute term is this many times the activations'.
constexpr double kDerivativeCancellation = 4.0;

// grad f'(x) and grad f''(x) for every activation against Activation.h's
// float64 derivatives.
TEST(LayerKernels, EveryDerivativeMatchesItsFloat64Formula) {
  SKIP_WITHOUT_V3();
  for (uint8_t a = 0; a < kNumActivations; ++a)
    for (int order : {1, 2}) {
      auto act = static_cast<Activation>(a);
      LayerKernel k{Kind::ActGrad, act};
      k.order = order;
      auto f = kernel<ActGradFn>(k);
      ASSERT_NE(f, nullptr);
      std::vector<float> x = inputsFor(act), grad(x.size()), y(x.size());
      for (size_t i = 0; i < x.size(); ++i)
        grad[i] = 0.5f + static_cast<float>(i % 7) * 0.25f;
      Buffer out(y), in(x), g(grad);
      f(&out, &in, &g);
      for (size_t i = 0; i < x.size(); ++i) {
        const double want = grad[i] * activationDerivative<double>(x[i], act, order);
        if (!std::isfinite(want) || std::abs(x[i]) > 12.0f) // the tails overflow in float
          continue;
        const double tolerance = kRelativeTolerance * std::abs(want) +
                                 kDerivativeCancellation * kAbsoluteTolerance * grad[i] *
                                     std::max(1.0, double(std::abs(x[i])));
        EXPECT_NEAR(y[i], want, tolerance) << k.name() << "(" << x[i] << ")";
      }
    }
}

// [rows, channels, inner]: the bias of element i is that of channel
// (i / inner) % channels, which is a dense layer's feature (inner = 1) or a
// convolution's output channel (inner = H W), and the residual adds after
// the activation.
TEST(LayerKernels, TheEpilogueAddsTheChannelsBiasBeforeAndTheResidualAfter) {
  SKIP_WITHOUT_V3();
  const int64_t rows = 3, channels = 5, inner = 7, n = rows * channels * inner;
  std::mt19937 rng(17);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> x(n), bias(channels), residual(n);
  for (float *v : {x.data(), residual.data()})
    for (int64_t i = 0; i < n; ++i)
      v[i] = normal(rng);
  for (float &b : bias)
    b = normal(rng);
  for (Activation act : {Activation::None, Activation::SiLU, Activation::GELU}) {
    std::vector<float> both(n), biasOnly(n);
    Buffer outBoth(both), outBias(biasOnly), in(x), b(bias), r(residual);
    auto withBoth = kernel<BiasResidualEpilogueFn>({Kind::Epilogue, act, true, true});
    auto withBias = kernel<BiasEpilogueFn>({Kind::Epilogue, act, true, false});
    auto withResidual = kernel<BiasEpilogueFn>({Kind::Epilogue, act, false, true});
    ASSERT_TRUE(withBoth && withBias && withResidual);
    withBoth(&outBoth, &in, &b, &r, channels, inner);
    withBias(&outBias, &in, &b, channels, inner);
    std::vector<float> residualOnly(n);
    Buffer outResidual(residualOnly);
    withResidual(&outResidual, &in, &r, channels, inner);
    for (int64_t i = 0; i < n; ++i) {
      const double pre = double(x[i]) + bias[(i / inner) % channels];
      const std::string what = std::string(activationName(act)) + " element " + std::to_string(i);
      expectClose(both[i], activate<double>(pre, act) + residual[i], what, pre);
      expectClose(biasOnly[i], activate<double>(pre, act), what, pre);
      expectClose(residualOnly[i], activate<double>(x[i], act) + residual[i], what, x[i]);
    }
  }
}

using GroupStatsFn = void (*)(Buffer *, Buffer *, Buffer *, int64_t, int64_t, int64_t, int64_t,
                              float);
using GroupNormFn = void (*)(Buffer *, Buffer *, Buffer *, Buffer *, Buffer *, Buffer *,
                             int64_t, int64_t, int64_t, int64_t);

/// [rows, channels, inner] <-> [rows, inner, channels].
std::vector<float> toChannelsLast(const std::vector<float> &x, int64_t rows, int64_t channels,
                                  int64_t inner, bool back = false) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < inner; ++p) {
        const int64_t plain = (r * channels + c) * inner + p;
        const int64_t last = (r * inner + p) * channels + c;
        (back ? y[plain] : y[last]) = back ? x[last] : x[plain];
      }
  return y;
}

// Statistics in float64 over each (row, group), the affine per channel and
// the activation, in both layouts, against reference::groupNorm. The input
// has a large mean, which a one-pass variance in float32 would lose.
TEST(LayerKernels, GroupNormMatchesTheReferenceInBothLayouts) {
  SKIP_WITHOUT_V3();
  const int64_t rows = 3, channels = 8, groups = 4, h = 5, w = 6, inner = h * w;
  const int64_t n = rows * channels * inner;
  const double epsilon = 1e-5;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n), gamma(channels), beta(channels);
  for (float &v : x)
    v = 100.0f + 3.0f * normal(rng);
  for (int64_t c = 0; c < channels; ++c) {
    gamma[c] = 1.0f + 0.5f * normal(rng);
    beta[c] = normal(rng);
  }
  reference::Tensor rx({rows, channels, h, w}), rg({channels}), rb({channels});
  for (int64_t i = 0; i < n; ++i)
    rx[i] = x[i];
  for (int64_t c = 0; c < channels; ++c) {
    rg[c] = gamma[c];
    rb[c] = beta[c];
  }
  reference::Tensor want = reference::groupNorm(rx, rg, rb, groups, epsilon).value();

  auto stats = kernel<GroupStatsFn>({Kind::GroupStats});
  for (Activation act : {Activation::None, Activation::SiLU}) {
    auto norm = kernel<GroupNormFn>({Kind::GroupNorm, act});
    ASSERT_TRUE(stats && norm);
    for (bool channelsLast : {false, true}) {
      std::vector<float> input = channelsLast ? toChannelsLast(x, rows, channels, inner) : x;
      std::vector<float> mean(rows * groups), rstd(rows * groups), y(n);
      Buffer m(mean), s(rstd), in(input), out(y), g(gamma), b(beta);
      stats(&m, &s, &in, channels, inner, groups, channelsLast, static_cast<float>(epsilon));
      norm(&out, &in, &m, &s, &g, &b, channels, inner, groups, channelsLast);
      if (channelsLast)
        y = toChannelsLast(y, rows, channels, inner, /*back=*/true);
      for (int64_t i = 0; i < n; ++i)
        // The affine amplifies the rounding of x - mean (x ~ 100, |x - mean| ~ 3).
        EXPECT_NEAR(y[i], activate<double>(want[i], act), 2e-5)
            << activationName(act) << (channelsLast ? " channels last" : "") << " element "
            << i;
    }
  }
}

using GatherFn = void (*)(Buffer *, Buffer *, int64_t, int64_t, int64_t, int64_t, int64_t,
                         int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);

// Gather reads x at the digits of i times the strides: with permuted strides
// a transpose, with zero strides a nearest upsampling.
TEST(LayerKernels, GatherTransposesAndUpsamples) {
  SKIP_WITHOUT_V3();
  auto gather = kernel<GatherFn>({Kind::Gather});
  ASSERT_NE(gather, nullptr);
  std::vector<float> x(2 * 3 * 4);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i);
  Buffer in(x);
  // [2, 3, 4] -> [4, 2, 3]: out[a][b][c] = x[b][c][a].
  std::vector<float> t(x.size());
  Buffer tb(t);
  gather(&tb, &in, 1, 1, 1, 4, 2, 3, 0, 0, 0, 1, 12, 4);
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(t[(a * 2 + b) * 3 + c], x[(b * 3 + c) * 4 + a]) << a << b << c;
  // x as a [1, 1, 6, 4] image upsampled by 2 reads
  // [1, 1, 6, 2, 4, 2] with strides [0, 0, 4, 0, 1, 0].
  std::vector<float> u(x.size() * 4);
  Buffer ub(u);
  gather(&ub, &in, 1, 1, 6, 2, 4, 2, 0, 0, 4, 0, 1, 0);
  for (int h = 0; h < 12; ++h)
    for (int w = 0; w < 8; ++w)
      EXPECT_EQ(u[h * 8 + w], x[(h / 2) * 4 + w / 2]) << h << " " << w;
}

// The host form's parameters: the buffers, then sizes, a's strides, b's
// strides (6 each); n is the output buffer's length.
using BroadcastFn = void (*)(Buffer *, Buffer *, Buffer *, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);

// NumPy broadcasting by strides: [2, 3] (x) [3] and [2, 1] (+) [2, 3].
TEST(LayerKernels, BroadcastRepeatsWhereAStrideIsZero) {
  SKIP_WITHOUT_V3();
  LayerKernel add{Kind::Broadcast}, mul{Kind::Broadcast};
  mul.binary = LayerKernel::Binary::Mul;
  auto addFn = kernel<BroadcastFn>(add), mulFn = kernel<BroadcastFn>(mul);
  ASSERT_TRUE(addFn && mulFn);
  std::vector<float> m = {1, 2, 3, 4, 5, 6}, row = {10, 20, 30}, column = {100, 200};
  std::vector<float> product(6), sum(6);
  Buffer bm(m), br(row), bc(column), bp(product), bs(sum);
  mulFn(&bp, &bm, &br, 1, 1, 1, 1, 2, 3, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 1);
  addFn(&bs, &bc, &bm, 1, 1, 1, 1, 2, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3, 1);
  EXPECT_EQ(product, (std::vector<float>{10, 40, 90, 40, 100, 180}));
  EXPECT_EQ(sum, (std::vector<float>{101, 102, 103, 204, 205, 206}));
}

using RowStatsFn = void (*)(Buffer *, Buffer *, Buffer *, Buffer *, int64_t, int64_t, int64_t,
                           int64_t, float);
using ProbsFn = void (*)(Buffer *, Buffer *, Buffer *, Buffer *, Buffer *, int64_t, int64_t,
                         int64_t, int64_t, float);
using ContractFn = void (*)(Buffer *, Buffer *, Buffer *, int64_t, int64_t, int64_t, int64_t,
                            int64_t);

// Multi-head attention with more keys than queries and values wider than
// the queries, against reference::attention: the softmax's row statistics,
// the probabilities, then out = p v (the three kernels an attention op
// launches).
TEST(LayerKernels, AttentionMatchesTheReference) {
  SKIP_WITHOUT_V3();
  auto stats = kernel<RowStatsFn>({Kind::AttentionRowStats});
  auto probabilities = kernel<ProbsFn>({Kind::AttentionProbs});
  auto contract = kernel<ContractFn>({Kind::AttentionContract});
  ASSERT_TRUE(stats && probabilities && contract);
  const int64_t batch = 2, len = 5, sources = 7, d = 6, e = 9, heads = 3;
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(batch * len * d), k(batch * sources * d), v(batch * sources * e);
  reference::Tensor rq({batch, len, d}), rk({batch, sources, d}), rv({batch, sources, e});
  for (auto [host, ref] : {std::pair{&q, &rq}, std::pair{&k, &rk}, std::pair{&v, &rv}})
    for (size_t i = 0; i < host->size(); ++i)
      (*ref)[static_cast<int64_t>(i)] = (*host)[i] = 2.0f * normal(rng);
  reference::Tensor want = reference::attention(rq, rk, rv, heads).value();
  const float scale = static_cast<float>(1.0 / std::sqrt(double(d / heads)));
  std::vector<float> peak(batch * heads * len), denominator(peak.size());
  std::vector<float> p(peak.size() * sources), out(batch * len * e);
  Buffer bp(p), bpeak(peak), bden(denominator), o(out), bq(q), bk(k), bv(v);
  stats(&bpeak, &bden, &bq, &bk, len, sources, d, heads, scale);
  probabilities(&bp, &bq, &bk, &bpeak, &bden, len, sources, d, heads, scale);
  contract(&o, &bp, &bv, len, sources, e, heads, 0);
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_NEAR(out[i], want[static_cast<int64_t>(i)], 2e-6 * (1 + std::abs(want[i])))
        << "element " << i;
}

// The kernels a module's ops launch: each distinct one once, in order.
TEST(LayerKernels, AModuleNeedsTheKernelsOfItsOps) {
  module::ModuleDesc desc;
  auto op = [](module::OpKind kind, std::vector<int32_t> operands, Activation act) {
    module::OpDesc d;
    d.kind = kind;
    d.operands = std::move(operands);
    d.act = act;
    return d;
  };
  using module::OpKind;
  desc.body = {op(OpKind::Dense, {0, 1}, Activation::None),      // the library's alone
               op(OpKind::Dense, {0, 1, 2}, Activation::SiLU),   // bias, silu
               op(OpKind::Conv2D, {0, 1, 2, -1}, Activation::SiLU), // the same kernel
               op(OpKind::Conv2D, {0, 1, -1, 3}, Activation::None), // residual
               op(OpKind::GroupNorm, {0, 1, 2}, Activation::SiLU),
               op(OpKind::Act, {0}, Activation::GELU)};
  std::vector<std::string> names;
  for (const LayerKernel &k : module::layerKernelsOf(desc))
    names.push_back(k.name());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "tweedie_epilogue_silu_bias", "tweedie_epilogue_none_residual",
                       "tweedie_group_stats", "tweedie_group_norm_silu",
                       "tweedie_epilogue_gelu"}));
}

/// Whether float `got` is `want` rounded to float or a neighbour of it.
void expectWithinOneUlp(float got, double want, const std::string &what) {
  const auto rounded = static_cast<float>(want);
  const float ulp = std::nextafter(std::abs(rounded), INFINITY) - std::abs(rounded);
  EXPECT_LE(std::abs(double(got) - double(rounded)), double(ulp)) << what << ": " << got
                                                                  << " vs " << want;
}

using InterpolateFn = void (*)(Buffer *, Buffer *, MemRef1D<double> *, int64_t, int64_t);

// A training step's noise level at a uniform draw is Noise.h's tableAt in
// float64 (the CPU's): both readings, the ends, draws outside [0, 1] clamped,
// and a one-entry table.
TEST(LayerKernels, InterpolateReadsTheTableAsTheCpuDoes) {
  SKIP_WITHOUT_V3();
  auto interpolate = kernel<InterpolateFn>({Kind::Interpolate});
  ASSERT_NE(interpolate, nullptr);
  std::vector<double> table;
  for (int k = 0; k < 7; ++k)
    table.push_back(0.01 * std::pow(5000.0, k / 6.0)); // geometric sigmas 0.01 .. 50
  std::vector<float> u = {-0.5f, 0.0f, 1e-7f, 0.1f, 1.0f / 6, 0.5f, 0.74f, 0.999f, 1.0f, 1.5f};
  for (int i = 0; i < 200; ++i)
    u.push_back(static_cast<float>((i + 0.5) / 200.0));
  for (const std::vector<double> &levels : {table, std::vector<double>{0.3}}) {
    std::vector<double> t = levels;
    MemRef1D<double> tb(t);
    for (int64_t discrete : {0, 1}) {
      std::vector<float> out(u.size(), -1.0f);
      Buffer ob(out), ub(u);
      interpolate(&ob, &ub, &tb, std::ssize(t), discrete);
      for (size_t i = 0; i < u.size(); ++i)
        expectWithinOneUlp(out[i], tableAt(t.data(), t.size(), u[i], discrete != 0),
                           "u = " + std::to_string(u[i]) + (discrete ? " discrete" : ""));
    }
  }
}

using TimeEmbeddingFn = void (*)(Buffer *, Buffer *, MemRef1D<double> *, int64_t);
using FourierEmbeddingFn = void (*)(Buffer *, Buffer *, Buffer *, int64_t);

// Sinusoidal and Fourier time embeddings, angles up to 1000 radians, against
// float64 std::sin and std::cos (what the CPU backend rounds): the kernel
// reduces the angle in turns in float64 and evaluates the noise's
// cosSinTurns. Within an ulp.
TEST(LayerKernels, TimeEmbeddingsMatchTheCpusSinesAndCosines) {
  SKIP_WITHOUT_V3();
  LayerKernel fourier{Kind::TimeEmbedding};
  fourier.fourier = true;
  auto sinusoidal = kernel<TimeEmbeddingFn>({Kind::TimeEmbedding});
  auto features = kernel<FourierEmbeddingFn>(fourier);
  ASSERT_TRUE(sinusoidal && features);
  const int64_t dim = 64, half = dim / 2;
  const double maxPeriod = 10000.0;
  std::vector<float> t = {0.0f, 1e-4f, 0.5f, 1.0f, 3.14159f, 17.0f, 250.5f, 999.0f, 1000.0f};
  const auto rows = static_cast<int64_t>(t.size());
  std::vector<double> turns(half);
  for (int64_t k = 0; k < half; ++k) // what the CUDA kernel uploads
    turns[k] = std::exp(-std::log(maxPeriod) * double(k) / double(half)) / (2 * M_PI);
  std::vector<float> got(rows * dim);
  Buffer gb(got), tb(t);
  MemRef1D<double> fb(turns);
  sinusoidal(&gb, &tb, &fb, dim);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < dim; ++i) {
      const double angle = t[r] * std::exp(-std::log(maxPeriod) * double(i % half) / double(half));
      expectWithinOneUlp(got[r * dim + i], i < half ? std::sin(angle) : std::cos(angle),
                         "sinusoidal t = " + std::to_string(t[r]) + " k = " + std::to_string(i));
    }
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 16.0f);
  std::vector<float> frequencies(half);
  for (float &f : frequencies)
    f = normal(rng);
  std::vector<float> u = {0.0f, 0.001f, 0.37f, 0.5f, 0.999f, 1.0f, 7.5f};
  const auto fourierRows = static_cast<int64_t>(u.size());
  std::vector<float> fgot(fourierRows * dim);
  Buffer fg(fgot), ub(u), freq(frequencies);
  features(&fg, &ub, &freq, dim);
  for (int64_t r = 0; r < fourierRows; ++r)
    for (int64_t i = 0; i < dim; ++i) {
      const double angle = 2.0 * M_PI * double(u[r]) * double(frequencies[i % half]);
      expectWithinOneUlp(fgot[r * dim + i], i < half ? std::sin(angle) : std::cos(angle),
                         "fourier t = " + std::to_string(u[r]) + " k = " + std::to_string(i));
    }
}

using ReduceSumFn = void (*)(Buffer *, Buffer *, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t);

// Sums over the batch and an inner axis of [3, 4, 5] (a bias gradient's
// shape of reduction), against float64 loops: the kernel accumulates in
// float64, so its sum is the exact one rounded (to within an ulp).
TEST(LayerKernels, ReduceSumSumsTheNamedAxesInFloat64) {
  SKIP_WITHOUT_V3();
  auto reduce = kernel<ReduceSumFn>({Kind::ReduceSum});
  ASSERT_NE(reduce, nullptr);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(3 * 4 * 5);
  for (float &v : x)
    v = normal(rng);
  std::vector<float> out(4, -1.0f);
  Buffer ob(out), xb(x);
  // kept sizes [1, 4, 1] with strides [20, 5, 1]; reduced sizes [3, 1, 5]
  reduce(&ob, &xb, 1, 1, 1, 1, 4, 1, 0, 0, 0, 20, 5, 1, 1, 1, 1, 3, 1, 5, 0, 0, 0, 20, 5, 1);
  for (int c = 0; c < 4; ++c) {
    double sum = 0;
    for (int b = 0; b < 3; ++b)
      for (int i = 0; i < 5; ++i)
        sum += x[(b * 4 + c) * 5 + i];
    expectWithinOneUlp(out[c], sum, "channel " + std::to_string(c));
  }
  // Over everything: one output.
  std::vector<float> total(1, -1.0f);
  Buffer tb(total);
  reduce(&tb, &xb, 1, 1, 1, 1, 1, 1, 0, 0, 0, 20, 5, 1, 1, 1, 1, 3, 4, 5, 0, 0, 0, 20, 5, 1);
  double all = 0;
  for (float v : x)
    all += v;
  expectWithinOneUlp(total[0], all, "the whole tensor");
}

/// Every layer kernel as PTX for each of kCudaArchitectures, and their GPU
/// form compiled for the host (the emulated driver's), once per process.
struct LayerKernelsForCuda {
  std::vector<module::CudaKernelsDesc> ptx;
  std::vector<std::byte> host;
};
const LayerKernelsForCuda &layerKernelsForCuda() {
  static const LayerKernelsForCuda compiled = [] {
    mlir::MLIRContext context;
    mlir::OwningOpRef<mlir::ModuleOp> empty =
        mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
    LayerKernelsForCuda out;
    std::string error;
    EXPECT_TRUE(emitKernelPtx(*empty, allKernels(), out.ptx, error)) << error;
    EXPECT_TRUE(emitHostEmulatedKernels(*empty, allKernels(), "x86-64-v3", out.host, error))
        << error;
    return out;
  }();
  return compiled;
}

/// The PTX a GPU of `arch` runs; empty if none.
std::string layerPtxFor(const std::string &arch) {
  const module::CudaKernelsDesc *ptx = cuda::ptxForArch(layerKernelsForCuda().ptx, arch);
  return ptx ? ptx->ptx : "";
}

/// ptxas from the CUDA toolkit, or empty (as tests/lit.cfg.py finds it).
std::string findPtxas() {
  for (const char *dir : {"/usr/local/cuda/bin", "/usr/bin"}) {
    const std::string path = std::string(dir) + "/ptxas";
    if (access(path.c_str(), X_OK) == 0)
      return path;
  }
  return "";
}

// Every layer kernel of every activation, for every architecture, is PTX
// that NVIDIA's assembler accepts (the lit tests check those of the bundled
// models only).
TEST(LayerKernels, PtxasAcceptsEveryOneForEveryArchitecture) {
  const std::string ptxas = findPtxas();
  if (ptxas.empty())
    GTEST_SKIP() << "no ptxas (the CUDA toolkit) on this machine";
  ASSERT_EQ(layerKernelsForCuda().ptx.size(), std::size(kCudaArchitectures));
  for (const module::CudaKernelsDesc &k : layerKernelsForCuda().ptx) {
    const std::string stem = "layer-kernels-" + std::to_string(getpid()) + "-" + k.arch;
    const std::string ptx = tweedie::testing::writeTemp(stem + ".ptx", k.ptx);
    const std::string command = ptxas + " -arch=" + k.arch + " " + ptx + " -o " + ptx +
                                ".cubin 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
}

// The GPU form of the kernels (--tweedie-kernels-to-gpu: parameters
// (buffers..., n, scalars...), loads through the buffers' pointers) gives
// the host form's bits: every operation is correctly rounded on both, and
// the fused multiply-adds of the approximations are fused on both. On a GPU
// where there is one, else on the emulated driver (the GPU form on the host,
// launched with the same parameter arrays).
TEST(LayerKernels, OnTheGpuTheyGiveTheHostsBits) {
  SKIP_WITHOUT_V3();
  tweedie::testing::GpuOrEmulation gpus(layerKernelsForCuda().host);
  cuda::Context gpu(gpus.availability());
  const std::string ptx = layerPtxFor(gpu.device().arch());
  ASSERT_FALSE(ptx.empty()) << "no PTX old enough for " << gpu.device().arch();
  cuda::CUmodule loaded = gpu.load(ptx);

  int64_t rows = 3, channels = 8, groups = 4, inner = 37, channelsLast = 1;
  int64_t n = rows * channels * inner, statCount = rows * groups;
  std::mt19937 rng(23);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x(n), residual(n), bias(channels), gamma(channels), beta(channels);
  for (std::vector<float> *v : {&x, &residual, &bias, &gamma, &beta})
    for (float &e : *v)
      e = normal(rng);
  auto upload = [&](const std::vector<float> &v) {
    cuda::CUdeviceptr p = gpu.allocate(v.size() * sizeof(float));
    gpu.upload(p, v.data(), v.size() * sizeof(float));
    return p;
  };
  auto download = [&](cuda::CUdeviceptr p, int64_t count) {
    std::vector<float> v(count);
    gpu.download(v.data(), p, count * sizeof(float));
    gpu.free(p);
    return v;
  };
  cuda::CUdeviceptr dx = upload(x), dr = upload(residual), db = upload(bias);
  cuda::CUdeviceptr dg = upload(gamma), dbeta = upload(beta);

  for (Activation act : {Activation::SiLU, Activation::GELU, Activation::Tanh}) {
    const LayerKernel k{Kind::Epilogue, act, true, true};
    cuda::CUdeviceptr dout = gpu.allocate(n * sizeof(float));
    gpu.launch(gpu.function(loaded, k.name()), n,
               {&dout, &dx, &db, &dr, &n, &channels, &inner});
    std::vector<float> onGpu = download(dout, n), onHost(n);
    Buffer out(onHost), in(x), b(bias), r(residual);
    auto host = kernel<BiasResidualEpilogueFn>(k);
    ASSERT_NE(host, nullptr);
    host(&out, &in, &b, &r, channels, inner);
    expectSameBits(onGpu, onHost, k.name());
  }

  float epsilon = 1e-5f;
  cuda::CUdeviceptr dmean = gpu.allocate(statCount * sizeof(float));
  cuda::CUdeviceptr drstd = gpu.allocate(statCount * sizeof(float));
  cuda::CUdeviceptr dout = gpu.allocate(n * sizeof(float));
  gpu.launch(gpu.function(loaded, LayerKernel{Kind::GroupStats}.name()), statCount,
             {&dmean, &drstd, &dx, &statCount, &channels, &inner, &groups, &channelsLast,
              &epsilon});
  const LayerKernel norm{Kind::GroupNorm, Activation::SiLU};
  gpu.launch(gpu.function(loaded, norm.name()), n,
             {&dout, &dx, &dmean, &drstd, &dg, &dbeta, &n, &channels, &inner, &groups,
              &channelsLast});
  std::vector<float> mean(statCount), rstd(statCount), y(n);
  Buffer m(mean), s(rstd), in(x), out(y), g(gamma), b(beta);
  auto stats = kernel<GroupStatsFn>({Kind::GroupStats});
  auto apply = kernel<GroupNormFn>(norm);
  ASSERT_TRUE(stats && apply);
  stats(&m, &s, &in, channels, inner, groups, channelsLast, epsilon);
  apply(&out, &in, &m, &s, &g, &b, channels, inner, groups, channelsLast);
  expectSameBits(download(dmean, statCount), mean, "group means");
  expectSameBits(download(drstd, statCount), rstd, "group rstd");
  expectSameBits(download(dout, n), y, norm.name());
  for (cuda::CUdeviceptr p : {dx, dr, db, dg, dbeta})
    gpu.free(p);
}

} // namespace
