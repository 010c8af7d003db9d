//===- ElementwiseKernels.cpp - pointwise, broadcasting and layout ops ----===//
//
// The same code under both drivers: these read their operands where they
// are at every call and keep nothing between calls.
//
//===----------------------------------------------------------------------===//
#include "cpu/Elementwise.h"
#include "cpu/GradientKernels.h"
#include "cpu/OpKernel.h"

#include <cstring>
#include <utility>

namespace tweedie::cpu {

using module::AvgPoolAttrs;
using module::AxisRangeAttrs;
using module::IntAttr;
using module::IntListAttr;
using module::physicalAxis;
using module::physicalOrder;
using module::physicalShape;

namespace {
Dims listOf(const module::OpDesc &op) {
  const auto values = IntListAttr::read(op).values;
  return Dims(values.begin(), values.end());
}
} // namespace

namespace {
/// grad f'(x) over a value as one oneDNN eltwise backward (the scalar loop
/// took 5% of a unet28 training step). Primitives are kept per element count.
class LibraryActivationGrad final : public OpKernel {
public:
  void run(const OpArgs &a) override {
    using dnnl::memory;
    CpuContext &context = a.frame.context;
    const int64_t count = a.outCount();
    const memory::desc desc({count}, memory::data_type::f32, memory::format_tag::a);
    const EltwiseOp op = eltwiseOf(a.op.act);
    auto bound = [&](const float *data) {
      return memory(desc, context.engine, const_cast<float *>(data));
    };
    auto &backward = backward_.get(count, [&] {
      auto hint = dnnl::eltwise_forward::primitive_desc(
          dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, op.algorithm, desc,
                                      op.alpha, op.beta),
          context.engine);
      return dnnl::eltwise_backward::primitive_desc(
          dnnl::eltwise_backward::desc(op.algorithm, desc, desc, op.alpha, op.beta),
          withUserScratchpad(), context.engine, hint);
    });
    context.execute(backward, {{DNNL_ARG_SRC, bound(a.in(0))},
                               {DNNL_ARG_DIFF_DST, bound(a.in(1))},
                               {DNNL_ARG_DIFF_SRC, bound(a.out())}});
  }

private:
  PrimitiveCache<dnnl::eltwise_backward> backward_;
};

/// f(x) over a value as one oneDNN eltwise.
class LibraryActivation final : public OpKernel {
public:
  explicit LibraryActivation(Activation activation) : activation_(activation) {}
  void run(const OpArgs &a) override {
    activation_.run(a.frame.context, a.in(0), a.out(), a.outCount());
  }

private:
  EltwiseActivation activation_;
};
} // namespace

std::unique_ptr<OpKernel> prepareActKernel(const KernelSetup &setup) {
  if (setup.op.act != Activation::None)
    return std::make_unique<LibraryActivation>(setup.op.act);
  return kernelOf([](const OpArgs &a) { activateAll(a.op.act, a.in(0), a.out(), a.outCount()); });
}

std::unique_ptr<OpKernel> prepareScaleKernel(const KernelSetup &setup) {
  const auto s = module::ScaleAttrs::read(setup.op);
  return kernelOf([a = static_cast<float>(s.factor), b = static_cast<float>(s.shift)](
                      const OpArgs &args) {
    const float *x = args.in(0);
    float *y = args.out();
    const int64_t count = args.outCount();
#pragma omp simd
    for (int64_t i = 0; i < count; ++i)
      y[i] = a * x[i] + b;
  });
}

std::unique_ptr<OpKernel> prepareActGradKernel(const KernelSetup &setup) {
  const int order = static_cast<int>(IntAttr::read(setup.op).value);
  if (order == 1 && setup.op.act != Activation::None) // grad f'(x): oneDNN's backward
    return std::make_unique<LibraryActivationGrad>();
  // f'' (a second-order rule) has no library form.
  return kernelOf([order](const OpArgs &a) {
    activationGrad(a.op.act, order, a.in(0), a.in(1), a.out(), a.outCount());
  });
}

namespace {
std::unique_ptr<OpKernel> binary(BinaryOp op) {
  return kernelOf([op](const OpArgs &a) {
    broadcastBinary(op, a.in(0), a.physicalShapeLikeOut(0), a.in(1), a.physicalShapeLikeOut(1),
                    a.out(), a.physicalOutShape());
  });
}
} // namespace

std::unique_ptr<OpKernel> prepareAddKernel(const KernelSetup &) { return binary(BinaryOp::Add); }
std::unique_ptr<OpKernel> prepareMulKernel(const KernelSetup &) { return binary(BinaryOp::Mul); }

std::unique_ptr<OpKernel> prepareBroadcastKernel(const KernelSetup &) {
  return kernelOf(
      [](const OpArgs &a) {
        broadcastTo(a.in(0), a.physicalShapeLikeOut(0), a.out(), a.physicalOutShape());
      });
}

std::unique_ptr<OpKernel> prepareCopyKernel(const KernelSetup &) {
  return kernelOf([](const OpArgs &a) {
    std::memmove(a.out(), a.in(0), static_cast<size_t>(a.outCount()) * sizeof(float));
  });
}

std::unique_ptr<OpKernel> prepareConcatKernel(const KernelSetup &setup) {
  return kernelOf([axis = IntAttr::read(setup.op).value](const OpArgs &a) {
    std::vector<const float *> inputs;
    std::vector<Dims> shapes;
    for (size_t i = 0; i < a.op.operands.size(); ++i) {
      inputs.push_back(a.in(i));
      shapes.push_back(a.physicalShapeLikeOut(i)); // one layout for all (the compiler's)
    }
    concat(inputs, shapes, physicalAxis(axis, shapes[0].size(), a.outChannelsLast()), a.out());
  });
}

std::unique_ptr<OpKernel> prepareUpsampleKernel(const KernelSetup &setup) {
  return kernelOf([scale = IntAttr::read(setup.op).value](const OpArgs &a) {
    const Dims x = a.shape(0);
    if (a.outChannelsLast())
      upsampleNearestChannelsLast(a.in(0), x[0], x[2], x[3], x[1], scale, a.out());
    else
      upsampleNearest(a.in(0), x[0] * x[1], x[2], x[3], scale, a.out());
  });
}

std::unique_ptr<OpKernel> prepareAvgPoolKernel(const KernelSetup &setup) {
  return kernelOf([p = AvgPoolAttrs::read(setup.op)](const OpArgs &a) {
    const Dims x = a.shape(0);
    avgPool(a.in(0), x[0] * x[1], x[2], x[3], p.kernel[0], p.kernel[1], p.stride[0],
            p.stride[1], a.out());
  });
}

std::unique_ptr<OpKernel> prepareTransposeKernel(const KernelSetup &setup) {
  return kernelOf([permutation = listOf(setup.op)](const OpArgs &a) {
    // The permutation of the bytes: output position k holds logical output
    // axis order[k], which is input axis permutation[order[k]], which lies
    // at the input's physical position inverse[...].
    const Dims x = a.shape(0);
    const Dims in = physicalOrder(x.size(), a.channelsLast(0)),
               out = physicalOrder(x.size(), a.outChannelsLast());
    Dims inverse(x.size()), bytes(x.size());
    for (size_t k = 0; k < x.size(); ++k)
      inverse[static_cast<size_t>(in[k])] = static_cast<int64_t>(k);
    for (size_t k = 0; k < x.size(); ++k)
      bytes[k] = inverse[static_cast<size_t>(permutation[static_cast<size_t>(out[k])])];
    transpose(a.in(0), physicalShape(x, a.channelsLast(0)), bytes, a.out());
  });
}

std::unique_ptr<OpKernel> prepareReduceSumKernel(const KernelSetup &setup) {
  return kernelOf([axes = listOf(setup.op)](const OpArgs &a) {
    // In the input's layout, which the result shares (the compiler's).
    Dims physical;
    for (int64_t axis : axes)
      physical.push_back(physicalAxis(axis, a.shape(0).size(), a.channelsLast(0)));
    reduceSumKeepDims(a.in(0), physicalShape(a.shape(0), a.channelsLast(0)), physical, a.out());
  });
}

namespace {
/// Operand 0's shape as it lies in memory and where logical `axis` lies in
/// it (slice and pad work along one axis).
std::pair<Dims, int64_t> physicalAlong(const OpArgs &a, int64_t axis) {
  const Dims x = a.shape(0);
  const bool last = a.channelsLast(0);
  return {physicalShape(x, last), physicalAxis(axis, x.size(), last)};
}
} // namespace

std::unique_ptr<OpKernel> prepareSliceKernel(const KernelSetup &setup) {
  return kernelOf([s = AxisRangeAttrs::read(setup.op)](const OpArgs &a) {
    const auto [shape, axis] = physicalAlong(a, s.axis);
    sliceAxis(a.in(0), shape, axis, s.first, s.second, a.out());
  });
}

std::unique_ptr<OpKernel> preparePadKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return kernelOf([p = AxisRangeAttrs::read(setup.op)](const OpArgs &a) {
    const auto [shape, axis] = physicalAlong(a, p.axis);
    padAxis(a.in(0), shape, axis, p.first, p.second, a.out());
  });
}

std::unique_ptr<OpKernel> prepareTimeEmbeddingKernel(const KernelSetup &setup) {
  return kernelOf([e = module::TimeEmbeddingAttrs::read(setup.op)](const OpArgs &a) {
    // One time per sample (a [B] or [B, 1] value): one row each.
    const int64_t rows = product(a.shape(0));
    if (const float *frequencies = a.in(1))
      fourierEmbedding(a.in(0), rows, frequencies, e.dim, a.out());
    else
      sinusoidalEmbedding(a.in(0), rows, e.dim, e.maxPeriod, a.out());
  });
}

} // namespace tweedie::cpu
