//===- SamplerStepKernels.cpp - noise and the fused sampler steps ---------===//
//
// Noise is keyed by (seed, stream sample, step, draw): row r of a frame is
// stream sample firstRow + r, so a sample's noise does not depend on the
// batch it is drawn in. The step ops read per-step coefficient tables at the
// frame's step: they run under the sampler loop only.
//
//===----------------------------------------------------------------------===//
#include "cpu/Elementwise.h"
#include "cpu/KernelLibrary.h"
#include "cpu/OpKernel.h"
#include "tweedie/Noise.h"

namespace tweedie::cpu {

std::unique_ptr<OpKernel> prepareRandnKernel(const KernelSetup &setup) {
  return kernelOf([r = module::RandnAttrs::read(setup.op)](const OpArgs &a) {
    const Frame &f = a.frame;
    float *out = a.out();
    const int64_t width = a.outCount() / f.batch;
    auto fill = r.rademacher ? fillSampleSigns : fillSampleNoise;
    for (int64_t row = 0; row < f.batch; ++row)
      fill(out + row * width, width, f.seed, static_cast<uint32_t>(f.firstRow + row),
           static_cast<uint32_t>(f.step), static_cast<uint32_t>(r.draw));
  });
}

std::unique_ptr<OpKernel> prepareRandUniformKernel(const KernelSetup &setup) {
  return kernelOf([draw = module::IntAttr::read(setup.op).value](const OpArgs &a) {
    const Frame &f = a.frame;
    float *out = a.out();
    for (int64_t row = 0; row < f.batch; ++row)
      out[row] = static_cast<float>(uniformAt(f.seed, static_cast<uint32_t>(f.firstRow + row),
                                              static_cast<uint32_t>(f.step),
                                              static_cast<uint32_t>(draw)));
  });
}

namespace {

/// a x + b y + c z with the step's coefficients, by the module's generated
/// kernel when it has one.
class AffineStepKernel final : public OpKernel {
public:
  explicit AffineStepKernel(const KernelSetup &s)
      : coefficients_(module::AffineStepAttrs::read(s.op)),
        generated_(s.library && !s.op.kernel.empty() ? s.library->function(s.op.kernel)
                                                     : nullptr) {}
  void run(const OpArgs &args) override {
    const int64_t step = args.frame.step, count = args.outCount();
    const auto a = static_cast<float>(coefficients_.a[step]);
    const auto b = static_cast<float>(coefficients_.b[step]);
    const auto c = static_cast<float>(coefficients_.c[step]);
    float *x = args.in(0), *y = args.in(1), *z = args.in(2), *out = args.out();
    if (!generated_) {
      affineStep(x, y, z, out, count, a, b, c);
      return;
    }
    MemRef1D mx = memref1D(x, count), my = memref1D(y, count), mz = memref1D(z, count),
             mo = memref1D(out, count);
    if (z)
      reinterpret_cast<AffineKernelXYZ>(generated_)(&mx, &my, &mz, &mo, a, b, c);
    else
      reinterpret_cast<AffineKernelXY>(generated_)(&mx, &my, &mo, a, b);
  }

private:
  module::AffineStepAttrs coefficients_;
  void *generated_;
};

} // namespace

std::unique_ptr<OpKernel> prepareAffineStepKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::Sampler)
    return nullptr;
  return std::make_unique<AffineStepKernel>(setup);
}

std::unique_ptr<OpKernel> prepareLangevinCorrectorKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::Sampler)
    return nullptr;
  return kernelOf([l = module::LangevinCorrectorAttrs::read(setup.op)](const OpArgs &a) {
    const int64_t n = a.frame.batch;
    langevinCorrector(a.in(0), a.in(1), a.in(2), a.out(), n, a.outCount() / n,
                      l.alpha[a.frame.step], l.snr);
  });
}

std::unique_ptr<OpKernel> prepareMALAStepKernel(const KernelSetup &setup) {
  if (setup.driver != Driver::Sampler)
    return nullptr;
  return kernelOf([m = module::MALAStepAttrs::read(setup.op)](const OpArgs &a) {
    const int64_t n = a.frame.batch;
    malaStep(a.in(0), a.in(1), a.in(2), a.in(3), a.in(4), a.in(5), a.in(6), a.out(), n,
             a.outCount() / n, m.stepSize[a.frame.step]);
  });
}

/// A table read at u in [0, 1]: a training step's continuous noise levels, a
/// network's conditioning on a schedule it was not trained on.
std::unique_ptr<OpKernel> prepareInterpolateKernel(const KernelSetup &setup) {
  return kernelOf([t = module::InterpolateAttrs::read(setup.op)](const OpArgs &a) {
    const float *u = a.in(0);
    float *out = a.out();
    const int64_t count = a.outCount();
    for (int64_t r = 0; r < count; ++r)
      out[r] = static_cast<float>(tableAt(t.table.data(), t.table.size(), u[r], t.discrete));
  });
}

} // namespace tweedie::cpu
