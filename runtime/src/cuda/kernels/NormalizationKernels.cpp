//===- NormalizationKernels.cpp - group norm and attention on CUDA --------===//
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

/// An attention op's sizes: q [len, features], k [sources, features],
/// v [sources, valueFeatures] per sample, and what its kernels share: the
/// softmax's row statistics and probabilities p [B, heads, len, sources]
/// written into the scratch, and contractions with p-shaped planes.
struct AttentionShape {
  int64_t len, features, sources, valueFeatures, heads;

  AttentionShape(const DeviceKernelSetup &s, int64_t heads)
      : len(s.desc.values[s.op.operands[0]].shape[0]),
        features(s.desc.values[s.op.operands[0]].shape[1]),
        sources(s.desc.values[s.op.operands[1]].shape[0]),
        valueFeatures(s.desc.values[s.op.operands[2]].shape[1]), heads(heads) {}

  int64_t planeElements(int64_t rows) const { return rows * heads * len * sources; }
  /// The scratch the probabilities need: p, then the rows' peaks and
  /// denominators.
  size_t probabilityBytes(int64_t rows) const {
    return static_cast<size_t>(planeElements(rows) + 2 * planeElements(rows) / sources) *
           sizeof(float);
  }
  float scale() const {
    return static_cast<float>(1.0 / std::sqrt(static_cast<double>(features / heads)));
  }

  /// Queues p = softmax(q k^T scale) per head into the scratch at `scratch`;
  /// returns p's address.
  CUdeviceptr queueProbabilities(Launcher &l, int64_t rows, CUdeviceptr q, CUdeviceptr k,
                                 ScratchCursor &scratch) const {
    using K = LayerKernel::Kind;
    int64_t planes = planeElements(rows), stats = planes / sources;
    int64_t length = len, keys = sources, width = features, h = heads;
    float s = scale();
    CUdeviceptr p = scratch.take<float>(planes);
    CUdeviceptr peak = scratch.take<float>(stats), denominator = scratch.take<float>(stats);
    l.launch(LayerKernel{K::AttentionRowStats}.name(), stats,
             {&peak, &denominator, &q, &k, &stats, &length, &keys, &width, &h, &s});
    l.launch(LayerKernel{K::AttentionProbs}.name(), planes,
             {&p, &q, &k, &peak, &denominator, &planes, &length, &keys, &width, &h, &s});
    return p;
  }

  /// out [B, outRows, width] = m x (or m^T x), m one [len, sources] plane per
  /// (b, head), x [B, terms, width].
  void queueContraction(Launcher &l, int64_t batch, CUdeviceptr out, CUdeviceptr m,
                        CUdeviceptr x, int64_t outRows, int64_t terms, int64_t width,
                        int64_t transposed) const {
    int64_t count = batch * outRows * width, h = heads;
    l.launch(LayerKernel{LayerKernel::Kind::AttentionContract}.name(), count,
             {&out, &m, &x, &count, &outRows, &terms, &width, &h, &transposed});
  }
};

/// [q [L, F], k [S, F], v [S, E]]: p = softmax(q k^T scale) per head, then
/// out = p v, each element O(features) or O(sources).
class AttentionKernel final : public DeviceOpKernel {
public:
  explicit AttentionKernel(const DeviceKernelSetup &s)
      : shape_(s, module::IntAttr::read(s.op).value) {}

  size_t prepare(int64_t rows, Launcher &) override { return shape_.probabilityBytes(rows); }

  void run(const DeviceOpArgs &args) override {
    ScratchCursor scratch{args.frame.scratch};
    const CUdeviceptr p =
        shape_.queueProbabilities(args.launcher, args.frame.rows, args.in(0), args.in(1), scratch);
    shape_.queueContraction(args.launcher, args.frame.rows, args.out(), p, args.in(2),
                            shape_.len, shape_.sources, shape_.valueFeatures, 0);
  }

private:
  AttentionShape shape_;
};

/// [q, k, v, g [L, E]] -> dq, dk, dv (those its attributes name): the
/// probabilities again, dp = g v^T (float64), the rows' sums of p dp, the
/// scores' cotangent ds, then one contraction per cotangent: dq = ds k,
/// dk = ds^T q, dv = p^T g.
class AttentionGradKernel final : public DeviceOpKernel {
public:
  explicit AttentionGradKernel(const DeviceKernelSetup &s)
      : attrs_(module::AttentionGradAttrs::read(s.op)), shape_(s, attrs_.heads) {}

  size_t prepare(int64_t rows, Launcher &) override {
    const int64_t planes = shape_.planeElements(rows), stats = planes / shape_.sources;
    return shape_.probabilityBytes(rows) + static_cast<size_t>(planes) * sizeof(float) +
           static_cast<size_t>(planes + stats) * sizeof(double);
  }

  void run(const DeviceOpArgs &args) override {
    using K = LayerKernel::Kind;
    const int64_t batch = args.frame.rows;
    int64_t len = shape_.len, sources = shape_.sources, vWidth = shape_.valueFeatures;
    int64_t heads = shape_.heads;
    float scale = shape_.scale();
    ScratchCursor scratch{args.frame.scratch};
    int64_t planes = shape_.planeElements(batch), rows = planes / sources;
    // The float64 arrays first: every one stays 8-byte aligned.
    CUdeviceptr dp = scratch.take<double>(planes), weighted = scratch.take<double>(rows);
    CUdeviceptr ds = scratch.take<float>(planes);
    CUdeviceptr q = args.in(0), k = args.in(1), v = args.in(2), g = args.in(3);
    Launcher &l = args.launcher;
    const CUdeviceptr p = shape_.queueProbabilities(l, batch, q, k, scratch);
    CUdeviceptr pv = p;
    auto cotangent = [&](size_t c) { return cotangentOf(args, attrs_.cotangents[c]); };
    CUdeviceptr dq = cotangent(0), dk = cotangent(1), dv = cotangent(2);
    if (dq || dk) {
      l.launch(LayerKernel{K::AttentionProbGrad}.name(), planes,
               {&dp, &g, &v, &planes, &len, &sources, &vWidth, &heads});
      l.launch(LayerKernel{K::AttentionRowWeighted}.name(), rows,
               {&weighted, &pv, &dp, &rows, &sources});
      l.launch(LayerKernel{K::AttentionScoreGrad}.name(), planes,
               {&ds, &pv, &dp, &weighted, &planes, &sources, &scale});
    }
    if (dq)
      shape_.queueContraction(l, batch, dq, ds, k, len, sources, shape_.features, 0);
    if (dk)
      shape_.queueContraction(l, batch, dk, ds, q, sources, len, shape_.features, 1);
    if (dv)
      shape_.queueContraction(l, batch, dv, p, g, sources, len, vWidth, 1);
  }

private:
  module::AttentionGradAttrs attrs_;
  AttentionShape shape_;
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
  case module::OpKind::Attention:
  case module::OpKind::AttentionGrad:
    for (int32_t v : s.op.operands)
      if (!arena(v) || s.desc.values[v].shape.size() != 2)
        throw std::invalid_argument(std::string(module::opKindName(s.op.kind)) +
                                    " of other than [len, width] samples");
    if (s.op.kind == module::OpKind::Attention)
      return std::make_unique<AttentionKernel>(s);
    return std::make_unique<AttentionGradKernel>(s);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
