//===- NormalizationKernels.cpp - group/layer norm and attention ----------===//
#include "cpu/AttentionLayer.h"
#include "cpu/Normalization.h"
#include "cpu/OpKernel.h"

namespace tweedie::cpu {

namespace {

/// The sampler's group norm: gamma and beta copied once.
class FixedGroupNorm final : public OpKernel {
public:
  explicit FixedGroupNorm(const KernelSetup &s)
      : FixedGroupNorm(s, module::GroupNormAttrs::read(s.op)) {}
  FixedGroupNorm(const KernelSetup &s, const module::GroupNormAttrs &attrs)
      : layer_(s.storedShape(0)[0], attrs.groups, attrs.epsilon, s.constantData(s.operand(1)),
               s.constantData(s.operand(2)), s.op.act) {}
  void run(const OpArgs &a) override {
    layer_.run(a.frame.context, a.frame.batch, product(a.storedShape(0), 1), a.in(0), a.out(),
               a.outChannelsLast());
  }

private:
  GroupNormLayer layer_;
};

class FixedLayerNorm final : public OpKernel {
public:
  explicit FixedLayerNorm(const KernelSetup &s)
      : layer_(s.context, s.storedShape(0).back(), module::LayerNormAttrs::read(s.op).epsilon,
               s.constantData(s.operand(1)), s.constantData(s.operand(2))) {}
  void run(const OpArgs &a) override {
    const Dims &x = a.storedShape(0);
    layer_.run(a.frame.context, a.frame.batch * (product(x) / x.back()), a.in(0), a.out());
  }

private:
  LayerNormLayer layer_;
};

} // namespace

namespace {
/// Where a gradient op writes one of its further cotangents (null: unread).
float *furtherResult(const OpArgs &a, int64_t value) {
  return value >= 0 ? a.frame.pointer(static_cast<int32_t>(value)) : nullptr;
}
} // namespace

std::unique_ptr<OpKernel> prepareGroupNormKernel(const KernelSetup &setup) {
  if (setup.driver == Driver::Sampler)
    return std::make_unique<FixedGroupNorm>(setup);
  // Trainable gamma and beta, read at every call.
  return kernelOf([attrs = module::GroupNormAttrs::read(setup.op)](const OpArgs &a) {
    const Dims x = a.shape(0);
    (a.outChannelsLast() ? groupNormChannelsLast : groupNorm)(
        x[0], x[1], product(x) / (x[0] * x[1]), attrs.groups, attrs.epsilon, a.in(1), a.in(2),
        a.op.act, a.in(0), a.out());
  });
}

std::unique_ptr<OpKernel> prepareGroupNormGradKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return kernelOf([attrs = module::GroupNormGradAttrs::read(setup.op)](const OpArgs &a) {
    const Dims x = a.shape(0);
    auto cotangent = [&](size_t i) { return furtherResult(a, attrs.cotangents[i]); };
    (a.channelsLast(0) ? groupNormGradChannelsLast : groupNormGrad)(
        x[0], x[1], product(x) / (x[0] * x[1]), attrs.groups, attrs.epsilon, a.in(1), a.in(0),
        a.in(2), cotangent(0), cotangent(1), cotangent(2));
  });
}

std::unique_ptr<OpKernel> prepareLayerNormKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::Sampler)
    return nullptr; // no whole-batch layer norm yet (its weights would be prepacked)
  return std::make_unique<FixedLayerNorm>(setup);
}

namespace {
class SamplerAttention final : public OpKernel {
public:
  explicit SamplerAttention(const KernelSetup &s)
      : layer_(s.storedShape(0)[0], s.storedShape(1)[0], s.storedShape(0)[1],
               s.storedShape(2)[1], module::AttentionAttrs::read(s.op).heads) {}
  void run(const OpArgs &a) override {
    layer_.run(a.frame.context, a.frame.batch, a.in(0), a.in(1), a.in(2), a.out());
  }

private:
  AttentionLayer layer_;
};
} // namespace

std::unique_ptr<OpKernel> prepareAttentionKernel(const KernelSetup &setup) {
  if (setup.driver == Driver::Sampler)
    return std::make_unique<SamplerAttention>(setup);
  return kernelOf([heads = module::AttentionAttrs::read(setup.op).heads](const OpArgs &a) {
    const Dims q = a.shape(0), k = a.shape(1), v = a.shape(2);
    attention(q[0], q[1], k[1], q[2], v[2], heads, a.in(0), a.in(1), a.in(2), a.out());
  });
}

std::unique_ptr<OpKernel> prepareAttentionGradKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return kernelOf([attrs = module::AttentionGradAttrs::read(setup.op)](const OpArgs &a) {
    const Dims q = a.shape(0), k = a.shape(1), v = a.shape(2);
    auto cotangent = [&](size_t i) { return furtherResult(a, attrs.cotangents[i]); };
    attentionGrad(q[0], q[1], k[1], q[2], v[2], attrs.heads, a.in(0), a.in(1), a.in(2),
                  a.in(3), cotangent(0), cotangent(1), cotangent(2));
  });
}

} // namespace tweedie::cpu
