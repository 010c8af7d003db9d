//===- NormalizationKernels.cpp - group norm and attention gradients, CUDA ===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <cmath>
#include <stdexcept>

namespace tweedie::cuda {

using module::LayerKernel;

namespace {

/// [x [C, ...], gamma, beta]: the statistics kernel (mean and rstd per (row,
/// group), in the request's scratch), then the apply kernel with the act.
/// Layer norm is the same over the last axis: rows of D features, one group,
/// gamma and beta per feature.
class GroupNormKernel final : public DeviceOpKernel {
public:
  explicit GroupNormKernel(const DeviceKernelSetup &s) {
    if (s.op.kind == module::OpKind::LayerNorm) {
      layer_ = true;
      groups_ = 1;
      epsilon_ = module::LayerNormAttrs::read(s.op).epsilon;
      features_ = s.desc.values[s.op.operands[0]].shape.back();
    } else {
      const auto g = module::GroupNormAttrs::read(s.op);
      groups_ = g.groups;
      epsilon_ = g.epsilon;
    }
    perSample_ = s.desc.values[s.op.operands[0]].numel();
  }

  size_t prepare(int64_t rows, Launcher &) override {
    return static_cast<size_t>(2 * normRows(rows) * groups_) * sizeof(float);
  }

  void run(const DeviceOpArgs &args) override {
    const int64_t rows = normRows(args.frame.rows);
    int64_t n = args.outCount();
    int64_t channels = layer_ ? features_ : args.storedShape(0)[0];
    int64_t inner = n / (rows * channels), groups = groups_, plain = 0;
    int64_t stats = rows * groups;
    float epsilon = static_cast<float>(epsilon_);
    CUdeviceptr out = args.out(), in = args.in(0), gamma = args.in(1), beta = args.in(2);
    CUdeviceptr mean = args.frame.scratch;
    CUdeviceptr rstd = mean + static_cast<CUdeviceptr>(stats * sizeof(float));
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupStats}.name(), stats,
                         {&mean, &rstd, &in, &stats, &channels, &inner, &groups, &plain,
                          &epsilon});
    const module::Activation act = layer_ ? module::Activation::None : args.op.act;
    args.launcher.launch(LayerKernel{LayerKernel::Kind::GroupNorm, act}.name(), n,
                         {&out, &in, &mean, &rstd, &gamma, &beta, &n, &channels, &inner,
                          &groups, &plain});
  }

private:
  /// The rows the statistics run over: samples, or for layer norm every
  /// position of every sample.
  int64_t normRows(int64_t samples) const {
    return layer_ ? samples * (perSample_ / features_) : samples;
  }

  bool layer_ = false;
  int64_t groups_ = 1, features_ = 1, perSample_ = 1;
  double epsilon_ = 1e-5;
};

/// Where a gradient op writes the cotangent its attributes name as `value`;
/// 0 for -1 (not wanted).
CUdeviceptr cotangentOf(const DeviceOpArgs &args, int64_t value) {
  return args.frame.pointer(static_cast<int32_t>(value));
}

/// Carves a request's scratch into consecutive arrays.
struct ScratchCursor {
  CUdeviceptr next;
  template <typename T> CUdeviceptr take(int64_t count) {
    const CUdeviceptr at = next;
    next += static_cast<CUdeviceptr>(count) * sizeof(T);
    return at;
  }
};

/// [x [C, ...], gamma, dz] -> dx, dgamma, dbeta (those its attributes name):
/// per-(row, channel) sums, per-(row, group) statistics and dx's affine map,
/// then dx elementwise and the weights' cotangents per channel, in float64
/// scratch between them (DeviceKernels.h's GroupNormGrad* kernels).
class GroupNormGradKernel final : public DeviceOpKernel {
public:
  explicit GroupNormGradKernel(const DeviceKernelSetup &s)
      : attrs_(module::GroupNormGradAttrs::read(s.op)),
        channels_(s.desc.values[s.op.operands[0]].shape[0]),
        inner_(s.desc.values[s.op.operands[0]].numel() / channels_) {}

  size_t prepare(int64_t rows, Launcher &) override {
    return static_cast<size_t>(2 * rows * channels_ + 4 * rows * attrs_.groups) *
               sizeof(double) +
           static_cast<size_t>(2 * channels_) * sizeof(float);
  }

  void run(const DeviceOpArgs &args) override {
    using K = LayerKernel::Kind;
    int64_t rows = args.frame.rows, channels = channels_, inner = inner_, groups = attrs_.groups;
    double epsilon = attrs_.epsilon;
    ScratchCursor scratch{args.frame.scratch};
    CUdeviceptr sum = scratch.take<double>(rows * channels);
    CUdeviceptr product = scratch.take<double>(rows * channels);
    CUdeviceptr mean = scratch.take<double>(rows * groups);
    CUdeviceptr rstd = scratch.take<double>(rows * groups);
    CUdeviceptr onX = scratch.take<double>(rows * groups);
    CUdeviceptr shift = scratch.take<double>(rows * groups);
    CUdeviceptr x = args.in(0), gamma = args.in(1), dz = args.in(2);
    Launcher &l = args.launcher;
    int64_t n = rows * channels;
    l.launch(LayerKernel{K::GroupNormGradSums}.name(), n, {&sum, &product, &dz, &x, &n, &inner});
    n = rows * groups;
    l.launch(LayerKernel{K::GroupNormGradMap}.name(), n,
             {&mean, &rstd, &onX, &shift, &x, &sum, &product, &gamma, &n, &channels, &inner,
              &groups, &epsilon});
    auto cotangent = [&](size_t k) { return cotangentOf(args, attrs_.cotangents[k]); };
    if (CUdeviceptr dx = cotangent(0)) {
      n = rows * channels * inner;
      l.launch(LayerKernel{K::GroupNormGradInput}.name(), n,
               {&dx, &dz, &x, &gamma, &rstd, &onX, &shift, &n, &channels, &inner, &groups});
    }
    CUdeviceptr dgamma = cotangent(1), dbeta = cotangent(2);
    if (!dgamma && !dbeta)
      return;
    // One not wanted goes to the scratch's tail.
    if (!dgamma)
      dgamma = scratch.take<float>(channels);
    if (!dbeta)
      dbeta = scratch.take<float>(channels);
    n = channels;
    l.launch(LayerKernel{K::GroupNormGradParams}.name(), n,
             {&dgamma, &dbeta, &sum, &product, &mean, &rstd, &n, &rows, &channels, &groups});
  }

private:
  module::GroupNormGradAttrs attrs_;
  int64_t channels_, inner_;
};

/// [q [L, F], k [S, F], v [S, E], g [L, E]] -> dq, dk, dv (those its
/// attributes name): the softmax's row statistics and probabilities again,
/// dp = g v^T, the rows' sums of p dp, the scores' cotangent, then one
/// contraction per cotangent (DeviceKernels.h's Attention* kernels), every
/// element O(features) or O(sources). The scratch holds p and ds (float32)
/// and dp (float64) as [B, heads, L, S] planes, and the rows' statistics.
class AttentionGradKernel final : public DeviceOpKernel {
public:
  explicit AttentionGradKernel(const DeviceKernelSetup &s)
      : attrs_(module::AttentionGradAttrs::read(s.op)),
        len_(s.desc.values[s.op.operands[0]].shape[0]),
        features_(s.desc.values[s.op.operands[0]].shape[1]),
        sources_(s.desc.values[s.op.operands[1]].shape[0]),
        valueFeatures_(s.desc.values[s.op.operands[2]].shape[1]) {}

  size_t prepare(int64_t rows, Launcher &) override {
    const int64_t planes = planeElements(rows), stats = planes / sources_;
    return static_cast<size_t>(planes) * (2 * sizeof(float) + sizeof(double)) +
           static_cast<size_t>(stats) * (2 * sizeof(float) + sizeof(double));
  }

  void run(const DeviceOpArgs &args) override {
    using K = LayerKernel::Kind;
    int64_t len = len_, sources = sources_, qWidth = features_, vWidth = valueFeatures_;
    int64_t heads = attrs_.heads;
    float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(qWidth / heads)));
    ScratchCursor scratch{args.frame.scratch};
    int64_t planes = planeElements(args.frame.rows), rows = planes / sources;
    CUdeviceptr dp = scratch.take<double>(planes), weighted = scratch.take<double>(rows);
    CUdeviceptr p = scratch.take<float>(planes), ds = scratch.take<float>(planes);
    CUdeviceptr peak = scratch.take<float>(rows), denominator = scratch.take<float>(rows);
    CUdeviceptr q = args.in(0), k = args.in(1), v = args.in(2), g = args.in(3);
    Launcher &l = args.launcher;
    l.launch(LayerKernel{K::AttentionRowStats}.name(), rows,
             {&peak, &denominator, &q, &k, &rows, &len, &sources, &qWidth, &heads, &scale});
    l.launch(LayerKernel{K::AttentionProbs}.name(), planes,
             {&p, &q, &k, &peak, &denominator, &planes, &len, &sources, &qWidth, &heads,
              &scale});
    auto cotangent = [&](size_t c) { return cotangentOf(args, attrs_.cotangents[c]); };
    CUdeviceptr dq = cotangent(0), dk = cotangent(1), dv = cotangent(2);
    if (dq || dk) {
      l.launch(LayerKernel{K::AttentionProbGrad}.name(), planes,
               {&dp, &g, &v, &planes, &len, &sources, &vWidth, &heads});
      l.launch(LayerKernel{K::AttentionRowWeighted}.name(), rows,
               {&weighted, &p, &dp, &rows, &sources});
      l.launch(LayerKernel{K::AttentionScoreGrad}.name(), planes,
               {&ds, &p, &dp, &weighted, &planes, &sources, &scale});
    }
    // out [B, rows, width] = m (or m^T) x, m one [L, S] plane per (b, head)
    auto contract = [&](CUdeviceptr out, CUdeviceptr m, CUdeviceptr x, int64_t outRows,
                        int64_t terms, int64_t width, int64_t transposed) {
      int64_t count = args.frame.rows * outRows * width;
      l.launch(LayerKernel{K::AttentionContract}.name(), count,
               {&out, &m, &x, &count, &outRows, &terms, &width, &heads, &transposed});
    };
    if (dq)
      contract(dq, ds, k, len, sources, qWidth, 0);
    if (dk)
      contract(dk, ds, q, sources, len, qWidth, 1);
    if (dv)
      contract(dv, p, g, sources, len, vWidth, 1);
  }

private:
  int64_t planeElements(int64_t rows) const { return rows * attrs_.heads * len_ * sources_; }

  module::AttentionGradAttrs attrs_;
  int64_t len_, features_, sources_, valueFeatures_;
};

} // namespace

std::unique_ptr<DeviceOpKernel> prepareNormalizationDeviceKernel(const DeviceKernelSetup &s) {
  const auto arena = [&](int32_t v) { return s.desc.values[v].kind == module::ValueKind::Arena; };
  switch (s.op.kind) {
  case module::OpKind::GroupNorm:
  case module::OpKind::LayerNorm:
    return std::make_unique<GroupNormKernel>(s);
  case module::OpKind::GroupNormGrad:
    return std::make_unique<GroupNormGradKernel>(s);
  case module::OpKind::AttentionGrad:
    for (int32_t v : s.op.operands)
      if (!arena(v) || s.desc.values[v].shape.size() != 2)
        throw std::invalid_argument("attention_grad of other than [len, width] samples");
    return std::make_unique<AttentionGradKernel>(s);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
