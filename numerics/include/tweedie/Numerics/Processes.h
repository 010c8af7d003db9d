//===- Processes.h - continuous diffusion processes in float64 -----------===//
//
// x_t = alpha(t) x_0 + sigma(t) eps, forward SDE dx = f(t) x dt + g(t) dw
// (Song et al. 2021). "t" is the schedule's own coordinate, the value the
// network is conditioned on: time in [0, 1] for VP, sub-VP and VE, the noise
// level sigma itself for sigma schedules (NCSN, Karras/EDM, explicit sigmas).
// The marginal's variance obeys d(sigma^2)/dt = 2 f sigma^2 + g^2 (for
// sub-VP the marginal variance is (1 - alpha^2)^2, which its g^2 is built for).
//
// A discrete DDPM schedule becomes a continuous VP process as in DPM-Solver
// (Lu et al. 2022, app. D): training step n sits at t_n = (n + 1) / N, and
// log alpha is piecewise linear in t between the steps (extended linearly
// below t_0 = 1/N); its network is conditioned on the continuous step index
// t N - 1.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NUMERICS_PROCESSES_H
#define TWEEDIE_NUMERICS_PROCESSES_H

#include <cstdint>
#include <vector>

namespace tweedie::numerics {

struct Process {
  enum class Kind { VP, SubVP, VE, SigmaTime, DiscreteVP };
  Kind kind = Kind::SigmaTime;
  double betaMin = 0.1, betaMax = 20.0;  // VP, sub-VP
  double sigmaMin = 0.01, sigmaMax = 50; // VE
  std::vector<double> logAlphas;         // DiscreteVP: log alpha at t_n = (n+1)/N

  static Process vp(double betaMin, double betaMax);
  static Process subVP(double betaMin, double betaMax);
  static Process ve(double sigmaMin, double sigmaMax);
  static Process sigmaTime();
  /// A DDPM schedule's abar_n, n = 0 .. N-1 (see the file comment).
  static Process discreteVP(const std::vector<double> &alphaBars);

  double logAlpha(double t) const;
  double alpha(double t) const;
  double sigma(double t) const;
  /// f(t): the drift coefficient of the forward SDE.
  double drift(double t) const;
  /// g(t)^2: the forward SDE's squared diffusion.
  double diffusionSq(double t) const;
  /// The network's conditioning input at time t: t itself, or for a
  /// discrete schedule the continuous training-step index t N - 1.
  double conditioning(double t) const;
  /// lambda(t) = log(alpha / sigma), decreasing in t (DPM-Solver's time).
  double logSNR(double t) const;
  /// The t in [lo, hi] with logSNR(t) = lambda (bisection to float64 precision).
  double timeOfLogSNR(double lambda, double lo, double hi) const;
};

/// The span a sampler covers in a schedule's own coordinate, from the prior's
/// end tStart to the last time sampled tEnd (tStart > tEnd), and the prior's
/// standard deviation.
struct TimeInterval {
  double tStart = 1.0, tEnd = 0.0, priorStd = 1.0;
};

/// Karras et al. (2022) eq. 5: n levels from sigmaMax down to sigmaMin,
/// (sigmaMax^(1/rho) + i/(n-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho.
std::vector<double> karrasSigmas(int64_t n, double sigmaMin, double sigmaMax, double rho);

/// n geometric levels from sigmaMax down to sigmaMin (NCSN).
std::vector<double> geometricSigmas(int64_t n, double sigmaMin, double sigmaMax);

/// n points from `from` to `to`, both included.
std::vector<double> linspace(double from, double to, int64_t n);

} // namespace tweedie::numerics

#endif
