//===- NoiseConditioning.h - a network trained on one process, sampled by another -===//
//
// A sampler runs in its own process's coordinates (x_s, t_s); a network knows
// only the process it was trained on (x_n, t_n). Both describe the same
// marginal once they agree on the noise-to-signal ratio s = sigma / alpha
// (the sigma of k-diffusion's variance-exploding view): with the network time
// t_n of equal s, x_n = (alpha_n / alpha_s) x_s, eps and x0 mean the same in
// both, and score_s = (alpha_n / alpha_s) score_n. This header computes that
// match in float64, as tables over the sampler's conditioning input, which
// the compiler reads at run time (sampler.interpolate).
//
// A DDPM network's fractional step at s follows k-diffusion's discrete
// denoiser (and diffusers' _sigma_to_t): linear in log s between the two
// training steps around it. The continuous processes invert their own
// log-SNR.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NUMERICS_NOISECONDITIONING_H
#define TWEEDIE_NUMERICS_NOISECONDITIONING_H

#include "tweedie/Numerics/Processes.h"

#include <cstdint>
#include <vector>

namespace tweedie::numerics {

/// Equal processes condition alike (the time span and levels of a schedule
/// do not change what its network was fed).
bool sameConditioning(const Process &a, const Process &b);

/// s = sigma / alpha at the process time t.
double noiseToSignal(const Process &process, double t);

/// The process time of a conditioning input: c itself, or (c + 1) / N for a
/// DDPM step index.
double timeOfConditioning(const Process &process, double c);

/// The noise-to-signal span a network trained on `process` saw: a DDPM
/// schedule's [s_0, s_{N-1}]; (0, s(1)] for vp and subvp; [sigma_min,
/// sigma_max] for ve; everything for the sigma schedules.
struct NoiseSpan {
  double lo = 0, hi = 0;
};
NoiseSpan trainedNoiseSpan(const Process &process);

/// The network's side at noise-to-signal s: its conditioning input and its
/// alpha_n, sigma_n there.
struct NetworkPoint {
  double conditioning = 0, alpha = 1, sigma = 0;
};
NetworkPoint networkPointAt(const Process &network, double s);

/// Tables over K points of the sampler's conditioning c in [lo, hi], uniform
/// in log c (`logarithmic`, the sigma schedules) or in c, so entry k sits at
/// u = k / (K - 1).
struct ConditioningMap {
  bool logarithmic = false;
  double lo = 0, hi = 1;
  std::vector<double> conditioning; ///< the network's conditioning input
  std::vector<double> inputScale;   ///< alpha_n / alpha_s: x_n = scale x_s
  std::vector<double> alpha, sigma; ///< the network's alpha_n and sigma_n
  /// The table position u of a sampler conditioning c (unclamped).
  double positionOf(double c) const;
  /// Every entry of `inputScale` is 1 (vp samplers on vp-family networks).
  bool unitScale() const;
};
ConditioningMap conditioningMap(const Process &sampler, const Process &network, double lo,
                                double hi, int64_t entries);

} // namespace tweedie::numerics

#endif
