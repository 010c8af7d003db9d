//===- SamplerStepKernels.cpp - noise and sampler steps on CUDA -----------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/OpAttrs.h"

#include <stdexcept>

namespace tweedie::cuda {

using module::LayerKernel;
using module::OpKind;

namespace {

/// []: the (seed, sample, step, draw) stream's normals or their signs.
void randn(const DeviceOpArgs &args) {
  const auto r = module::RandnAttrs::read(args.op);
  const DeviceFrame &f = args.frame;
  CUdeviceptr out = args.out();
  int64_t n = args.outCount(), width = n / f.rows, first = f.firstSample;
  uint64_t seed = f.seed;
  auto step = static_cast<uint32_t>(f.step), draw = static_cast<uint32_t>(r.draw);
  args.launcher.launch(r.rademacher ? module::kSignsKernel : module::kNoiseKernel, n,
                       {&out, &n, &seed, &first, &step, &draw, &width});
}

/// []: one uniform per sample.
void randUniform(const DeviceOpArgs &args) {
  const DeviceFrame &f = args.frame;
  CUdeviceptr out = args.out();
  int64_t n = args.outCount(), first = f.firstSample;
  uint64_t seed = f.seed;
  auto step = static_cast<uint32_t>(f.step);
  auto draw = static_cast<uint32_t>(module::IntAttr::read(args.op).value);
  args.launcher.launch(module::kUniformKernel, n, {&out, &n, &seed, &first, &step, &draw});
}

/// [x, y, z?]: a x + b y + c z with the step's coefficients, by the module's
/// generated kernel.
void affineStep(const DeviceOpArgs &args) {
  const auto c = module::AffineStepAttrs::read(args.op);
  const auto step = static_cast<size_t>(args.frame.step);
  float a = static_cast<float>(c.a[step]), b = static_cast<float>(c.b[step]);
  float cz = static_cast<float>(c.c[step]);
  CUdeviceptr x = args.in(0), y = args.in(1), z = args.in(2), out = args.out();
  int64_t n = args.outCount();
  std::vector<void *> params = {&x, &y};
  if (z)
    params.push_back(&z);
  params.insert(params.end(), {&out, &n, &a, &b});
  if (z)
    params.push_back(&cz);
  args.launcher.launch(args.op.kernel, n, params);
}

/// [x, s, z]: the Langevin corrector with the SNR rule, per sample.
void langevinCorrector(const DeviceOpArgs &args) {
  const auto l = module::LangevinCorrectorAttrs::read(args.op);
  CUdeviceptr out = args.out(), x = args.in(0), score = args.in(1), z = args.in(2);
  int64_t n = args.outCount(), width = n / args.frame.rows;
  double alpha = l.alpha[static_cast<size_t>(args.frame.step)], snr = l.snr;
  args.launcher.launch(LayerKernel{LayerKernel::Kind::LangevinCorrector}.name(), n,
                       {&out, &x, &score, &z, &n, &width, &alpha, &snr});
}

/// [x, y, E(x), E(y), s(x), s(y), u]: the Metropolis-Hastings test per sample.
void malaStep(const DeviceOpArgs &args) {
  std::vector<CUdeviceptr> in;
  for (size_t i = 0; i < args.op.operands.size(); ++i)
    in.push_back(args.in(i));
  CUdeviceptr out = args.out();
  int64_t n = args.outCount(), width = n / args.frame.rows;
  double eta = module::MALAStepAttrs::read(args.op).stepSize[static_cast<size_t>(args.frame.step)];
  std::vector<void *> params = {&out};
  for (CUdeviceptr &p : in)
    params.push_back(&p);
  params.insert(params.end(), {&n, &width, &eta});
  args.launcher.launch(LayerKernel{LayerKernel::Kind::MALAStep}.name(), n, params);
}

/// [u]: the op's table read at each u (a training step's noise levels, an
/// adapted network's conditioning).
std::unique_ptr<DeviceOpKernel> interpolate(const module::OpDesc &op) {
  const auto attrs = module::InterpolateAttrs::read(op);
  const auto count = static_cast<int64_t>(attrs.table.size());
  const int64_t discrete = attrs.discrete ? 1 : 0;
  return tableKernelOf({attrs.table.begin(), attrs.table.end()},
                       [count, discrete](const DeviceOpArgs &args, CUdeviceptr table) {
                         CUdeviceptr out = args.out(), u = args.in(0);
                         int64_t n = args.outCount(), k = count, d = discrete;
                         args.launcher.launch(LayerKernel{LayerKernel::Kind::Interpolate}.name(),
                                              n, {&out, &u, &table, &n, &k, &d});
                       });
}

} // namespace

std::unique_ptr<DeviceOpKernel> prepareSamplerStepDeviceKernel(const DeviceKernelSetup &s) {
  auto arena = [&](size_t i) {
    return s.desc.values[s.op.operands[i]].kind == module::ValueKind::Arena;
  };
  switch (s.op.kind) {
  case OpKind::Randn:
    return deviceKernelOf(randn);
  case OpKind::RandUniform:
    return deviceKernelOf(randUniform);
  case OpKind::AffineStep:
    if (s.op.kernel.empty())
      throw std::invalid_argument(
          "affine_step without its generated kernel (compiled with --kernels builtin)");
    return deviceKernelOf(affineStep);
  case OpKind::LangevinCorrector:
    if (!arena(0) || !arena(1) || !arena(2))
      throw std::invalid_argument("langevin_corrector on constants");
    return deviceKernelOf(langevinCorrector);
  case OpKind::MALAStep:
    if (s.desc.values[s.op.operands[2]].numel() != 1 ||
        s.desc.values[s.op.operands[6]].numel() != 1)
      throw std::invalid_argument(
          "mala_step with other than one energy and one uniform per sample");
    return deviceKernelOf(malaStep);
  case OpKind::Interpolate:
    return interpolate(s.op);
  default:
    return nullptr;
  }
}

} // namespace tweedie::cuda
