//===- SamplerSteps.cpp - float64 sampler step formulas -------------------===//
#include "tweedie/Reference/SamplerSteps.h"
#include "tweedie/Noise.h"

#include <cmath>

namespace tweedie::reference {

namespace {

Result sameShapes(const char *op, const Tensor &x,
                  std::initializer_list<const Tensor *> others) {
  for (const Tensor *t : others)
    if (t && t->shape != x.shape)
      return Result::error(std::string(op) + ": operand shape " + formatShape(t->shape) +
                           " differs from the state's " + formatShape(x.shape));
  return Tensor();
}

/// out[i] = fn(x[i], y[i], z[i]) over equally shaped tensors (z may be absent).
template <typename Fn>
Tensor zipWith(const Tensor &x, const Tensor &y, const Tensor *z, Fn fn) {
  Tensor out(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out[i] = fn(x[i], y[i], z ? (*z)[i] : 0.0);
  return out;
}

} // namespace

Result ancestralStep(const Tensor &x, const Tensor &eps, const Tensor &z,
                     double alphaBar, double alphaBarPrev, bool posteriorVariance) {
  if (Result r = sameShapes("ancestral_step", x, {&eps, &z}); !r.ok())
    return r;
  const double a = alphaBar / alphaBarPrev;
  const double epsCoef = (1.0 - a) / std::sqrt(1.0 - alphaBar);
  double variance = posteriorVariance
                        ? (1.0 - alphaBarPrev) / (1.0 - alphaBar) * (1.0 - a)
                        : 1.0 - a;
  if (alphaBarPrev == 1.0)
    variance = 0.0; // the final step returns the mean (alg. 2: z = 0 at t = 1)
  const double s = std::sqrt(variance), scale = 1.0 / std::sqrt(a);
  return zipWith(x, eps, &z, [&](double xi, double ei, double zi) {
    return (xi - epsCoef * ei) * scale + s * zi;
  });
}

Result ddimStep(const Tensor &x, const Tensor &eps, const Tensor *z, double alphaBar,
                double alphaBarPrev, double eta) {
  if (Result r = sameShapes("ddim_step", x, {&eps, z}); !r.ok())
    return r;
  const double s = eta * std::sqrt((1.0 - alphaBarPrev) / (1.0 - alphaBar)) *
                   std::sqrt(1.0 - alphaBar / alphaBarPrev);
  const double dir = std::sqrt(std::max(0.0, 1.0 - alphaBarPrev - s * s));
  const double sqrtPrev = std::sqrt(alphaBarPrev), sqrtBar = std::sqrt(alphaBar);
  const double sigma = std::sqrt(1.0 - alphaBar);
  return zipWith(x, eps, z, [&](double xi, double ei, double zi) {
    const double x0 = (xi - sigma * ei) / sqrtBar;
    return sqrtPrev * x0 + dir * ei + s * zi;
  });
}

Result affineStep(const Tensor &x, const Tensor &y, const Tensor *z, double a, double b,
                  double c) {
  if (Result r = sameShapes("affine_step", x, {&y, z}); !r.ok())
    return r;
  return zipWith(x, y, z, [&](double xi, double yi, double zi) {
    return a * xi + b * yi + c * zi;
  });
}

Result langevinStep(const Tensor &x, const Tensor &score, const Tensor &z, double eta) {
  if (Result r = sameShapes("langevin_step", x, {&score, &z}); !r.ok())
    return r;
  const double noise = std::sqrt(2.0 * eta);
  return zipWith(x, score, &z, [&](double xi, double si, double zi) {
    return xi + eta * si + noise * zi;
  });
}

Result malaStep(const Tensor &x, const Tensor &y, const Tensor &energy,
                const Tensor &proposalEnergy, const Tensor &score, const Tensor &proposalScore,
                const Tensor &uniform, double eta) {
  if (Result r = sameShapes("mala_step", x, {&y, &score, &proposalScore}); !r.ok())
    return r;
  const int64_t rows = x.rank() ? x.shape[0] : 0;
  for (const Tensor *v : {&energy, &proposalEnergy, &uniform})
    if (v->shape != Shape{rows})
      return Result::error("mala_step: energies and the uniform must be [" +
                           std::to_string(rows) + "], got " + formatShape(v->shape));
  Tensor out(x.shape);
  const int64_t width = rows ? x.numel() / rows : 0;
  for (int64_t r = 0; r < rows; ++r) {
    double logForward = 0, logBackward = 0; // log q(y | x), log q(x | y), times -4 eta
    for (int64_t j = 0; j < width; ++j) {
      const int64_t i = r * width + j;
      const double f = y[i] - x[i] - eta * score[i];
      const double b = x[i] - y[i] - eta * proposalScore[i];
      logForward += f * f;
      logBackward += b * b;
    }
    const double logAcceptance =
        energy[r] - proposalEnergy[r] - logBackward / (4 * eta) + logForward / (4 * eta);
    const bool accept = std::isfinite(logAcceptance) && std::log(uniform[r]) < logAcceptance;
    for (int64_t j = 0; j < width; ++j)
      out[r * width + j] = accept ? y[r * width + j] : x[r * width + j];
  }
  return out;
}

Result eulerMaruyamaStep(const Tensor &x, const Tensor &score, const Tensor &z,
                         double drift, double diffusionSq, double dt) {
  if (Result r = sameShapes("euler_maruyama_step", x, {&score, &z}); !r.ok())
    return r;
  const double noise = std::sqrt(diffusionSq * dt);
  return zipWith(x, score, &z, [&](double xi, double si, double zi) {
    return xi - (drift * xi - diffusionSq * si) * dt + noise * zi;
  });
}

Result langevinCorrector(const Tensor &x, const Tensor &score, const Tensor &z,
                         double alpha, double snr) {
  if (Result r = sameShapes("langevin_corrector", x, {&score, &z}); !r.ok())
    return r;
  if (x.rank() < 1 || x.shape[0] == 0)
    return Tensor(x.shape);
  const int64_t rows = x.shape[0], width = x.numel() / rows;
  Tensor out(x.shape);
  for (int64_t r = 0; r < rows; ++r) {
    double zz = 0, ss = 0;
    for (int64_t j = 0; j < width; ++j) {
      zz += z[r * width + j] * z[r * width + j];
      ss += score[r * width + j] * score[r * width + j];
    }
    // A zero score would make the step infinite; take no step instead.
    const double ratio = ss > 0 ? snr * std::sqrt(zz) / std::sqrt(ss) : 0.0;
    const double eps = 2.0 * alpha * ratio * ratio, noise = std::sqrt(2.0 * eps);
    for (int64_t j = 0; j < width; ++j) {
      int64_t i = r * width + j;
      out[i] = x[i] + eps * score[i] + noise * z[i];
    }
  }
  return out;
}

Result reparameterize(const Tensor &output, const Tensor &x, Prediction from,
                      Prediction to, double alpha, double sigma) {
  if (Result r = sameShapes("reparameterize", x, {&output}); !r.ok())
    return r;
  auto toEps = [&](double o, double xi) {
    switch (from) {
    case Prediction::Eps:
      return o;
    case Prediction::X0:
      return (xi - alpha * o) / sigma;
    case Prediction::V:
      return (alpha * o + sigma * xi) / (alpha * alpha + sigma * sigma);
    case Prediction::Score:
      return -sigma * o;
    }
    return o;
  };
  auto fromEps = [&](double e, double xi) {
    switch (to) {
    case Prediction::Eps:
      return e;
    case Prediction::X0:
      return (xi - sigma * e) / alpha;
    case Prediction::V:
      return alpha * e - sigma * (xi - sigma * e) / alpha;
    case Prediction::Score:
      return -e / sigma;
    }
    return e;
  };
  return zipWith(output, x, nullptr, [&](double o, double xi, double) {
    return fromEps(toEps(o, xi), xi);
  });
}

Tensor standardNormal(const Shape &shape, uint64_t seed, int64_t firstSample,
                      int64_t step, int64_t draw, bool rademacher) {
  Tensor out(shape);
  if (shape.empty() || shape[0] == 0)
    return out;
  const int64_t rows = shape[0], width = out.numel() / rows;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < width; ++e) {
      const double z = noiseAt(seed, static_cast<uint32_t>(firstSample + r),
                               static_cast<uint32_t>(step), static_cast<uint32_t>(draw), e);
      out[r * width + e] = rademacher ? (z < 0 ? -1.0 : 1.0) : static_cast<float>(z);
    }
  return out;
}

} // namespace tweedie::reference
