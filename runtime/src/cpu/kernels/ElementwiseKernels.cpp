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

namespace tweedie::cpu {

using module::AvgPoolAttrs;
using module::AxisRangeAttrs;
using module::IntAttr;
using module::IntListAttr;

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
    broadcastBinary(op, a.in(0), a.shape(0), a.in(1), a.shape(1), a.out(), a.outShape());
  });
}
} // namespace

std::unique_ptr<OpKernel> prepareAddKernel(const KernelSetup &) { return binary(BinaryOp::Add); }
std::unique_ptr<OpKernel> prepareMulKernel(const KernelSetup &) { return binary(BinaryOp::Mul); }

std::unique_ptr<OpKernel> prepareBroadcastKernel(const KernelSetup &) {
  return kernelOf(
      [](const OpArgs &a) { broadcastTo(a.in(0), a.shape(0), a.out(), a.outShape()); });
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
      shapes.push_back(a.shape(i));
    }
    concat(inputs, shapes, axis, a.out());
  });
}

std::unique_ptr<OpKernel> prepareUpsampleKernel(const KernelSetup &setup) {
  return kernelOf([scale = IntAttr::read(setup.op).value](const OpArgs &a) {
    const Dims x = a.shape(0);
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
    transpose(a.in(0), a.shape(0), permutation, a.out());
  });
}

std::unique_ptr<OpKernel> prepareReduceSumKernel(const KernelSetup &setup) {
  return kernelOf([axes = listOf(setup.op)](const OpArgs &a) {
    reduceSumKeepDims(a.in(0), a.shape(0), axes, a.out());
  });
}

std::unique_ptr<OpKernel> prepareSliceKernel(const KernelSetup &setup) {
  return kernelOf([s = AxisRangeAttrs::read(setup.op)](const OpArgs &a) {
    sliceAxis(a.in(0), a.shape(0), s.axis, s.first, s.second, a.out());
  });
}

std::unique_ptr<OpKernel> preparePadKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::WholeBatch)
    return nullptr;
  return kernelOf([p = AxisRangeAttrs::read(setup.op)](const OpArgs &a) {
    padAxis(a.in(0), a.shape(0), p.axis, p.first, p.second, a.out());
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
