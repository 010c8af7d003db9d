//===- SamplerSteps.h - float64 semantics of the sampler step ops --------===//
//
// One function per `sampler` step op, on one step's coefficients (the
// interpreter picks entry i of each table). x_t = alpha x_0 + sigma eps
// throughout; all operands of a step have the state's shape.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_REFERENCE_SAMPLERSTEPS_H
#define TWEEDIE_REFERENCE_SAMPLERSTEPS_H

#include "tweedie/Reference/Tensor.h"

namespace tweedie::reference {

/// DDPM ancestral step (Ho et al. 2020, alg. 2) between abar and abarPrev:
/// a = abar / abarPrev, x' = (x - (1 - a) / sqrt(1 - abar) eps) / sqrt(a) + s z,
/// s^2 = (1 - abarPrev) / (1 - abar) (1 - a) (posterior) or 1 - a (beta);
/// the last step (abarPrev = 1) adds no noise.
Result ancestralStep(const Tensor &x, const Tensor &eps, const Tensor &z,
                     double alphaBar, double alphaBarPrev, bool posteriorVariance);

/// DDIM (Song et al. 2021, eq. 12): x0 = (x - sqrt(1 - abar) eps) / sqrt(abar),
/// x' = sqrt(abarPrev) x0 + sqrt(1 - abarPrev - s^2) eps + s z with
/// s = eta sqrt((1 - abarPrev) / (1 - abar)) sqrt(1 - abar / abarPrev).
Result ddimStep(const Tensor &x, const Tensor &eps, const Tensor *z, double alphaBar,
                double alphaBarPrev, double eta);

/// x' = a x + b y + c z (z optional)
Result affineStep(const Tensor &x, const Tensor &y, const Tensor *z, double a, double b,
                  double c);

/// x' = x + eta s + sqrt(2 eta) z
Result langevinStep(const Tensor &x, const Tensor &score, const Tensor &z, double eta);

/// Reverse-time Euler-Maruyama over dt > 0 for dx = [f x - g^2 s] dt + g dw:
/// x' = x - (f x - g2 s) dt + sqrt(g2 dt) z
Result eulerMaruyamaStep(const Tensor &x, const Tensor &score, const Tensor &z,
                         double drift, double diffusionSq, double dt);

/// Langevin corrector with the SNR rule (Song et al. 2021, alg. 5), per sample
/// (dim 0): eps = 2 alpha (snr ||z|| / ||s||)^2, x' = x + eps s + sqrt(2 eps) z.
Result langevinCorrector(const Tensor &x, const Tensor &score, const Tensor &z,
                         double alpha, double snr);

/// Metropolis-adjusted Langevin's accept/reject, per sample (dim 0): the
/// proposal y = x + eta s(x) + sqrt(2 eta) z is kept where
/// log u < E(x) - E(y) + log q(x | y) - log q(y | x),
/// log q(a | b) = -|a - b - eta s(b)|^2 / (4 eta); x stays otherwise.
/// Energies and u are [B].
Result malaStep(const Tensor &x, const Tensor &y, const Tensor &energy,
                const Tensor &proposalEnergy, const Tensor &score, const Tensor &proposalScore,
                const Tensor &uniform, double eta);

enum class Prediction { Eps, X0, V, Score };

/// Converts a network output between parameterisations at (alpha, sigma):
/// eps = (x - alpha x0) / sigma = (alpha v + sigma x) / (alpha^2 + sigma^2)
///     = -sigma score; and back from eps.
Result reparameterize(const Tensor &output, const Tensor &x, Prediction from,
                      Prediction to, double alpha, double sigma);

/// The runtime's noise (tweedie/Noise.h), rounded to float as a float32
/// sampler sees it: row r of `shape` is sample firstSample + r. With
/// `rademacher`, the signs of those normals (+-1).
Tensor standardNormal(const Shape &shape, uint64_t seed, int64_t firstSample,
                      int64_t step, int64_t draw, bool rademacher = false);

} // namespace tweedie::reference

#endif
