//===- DiscreteSchedules.h - DDPM schedules and step tables in float64 ---===//
//
// Everything here is float64 and MLIR-free: the expansion pass folds these
// numbers into the IR as constants, and the tests check them against closed
// forms. Timestep t is 0-based: t = 0 is the least noisy of T training steps.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NUMERICS_DISCRETESCHEDULES_H
#define TWEEDIE_NUMERICS_DISCRETESCHEDULES_H

#include <cstdint>
#include <vector>

namespace tweedie::numerics {

/// beta_t linear from betaStart (t = 0) to betaEnd (t = T-1) (Ho et al. 2020).
std::vector<double> linearBetas(int64_t T, double betaStart, double betaEnd);

/// sqrt(beta_t) linear from sqrt(betaStart) to sqrt(betaEnd) (diffusers'
/// "scaled_linear", Stable Diffusion's schedule).
std::vector<double> scaledLinearBetas(int64_t T, double betaStart, double betaEnd);

/// beta_t = min(1 - f(t+1)/f(t), maxBeta), f(t) = cos^2((t/T + s)/(1 + s) pi/2)
/// (Nichol & Dhariwal 2021, eq. 17).
std::vector<double> cosineBetas(int64_t T, double s, double maxBeta);

/// abar_t = prod_{i <= t} (1 - beta_i), relative error below 1e-13 at T = 1000.
std::vector<double> alphaBars(const std::vector<double> &betas);

/// How `steps` sampling steps pick training timesteps, noisiest first (the
/// conventions of diffusers' schedulers, Lin et al. 2024, Table 2):
///   linspace: round(linspace(0, T-1, steps)), reversed;
///   leading:  k * (T / steps) for k = steps-1 .. 0;
///   trailing: round(T - k T / steps) - 1 for k = 0 .. steps-1.
/// `offset` is added to every timestep (diffusers' steps_offset, which shifts
/// leading's steps off t = 0; the caller keeps the last below T).
enum class Spacing { Linspace, Leading, Trailing };
std::vector<int64_t> samplingTimesteps(int64_t T, int64_t steps, Spacing spacing,
                                       int64_t offset = 0);

/// Per sampling step i: the timestep, abar at it, and abar at the next (less
/// noisy) timestep; after the last step `finalAlphaBar`: 1 (the clean data,
/// diffusers' set_alpha_to_one) or abar_0 (training step 0's noise).
struct StepTables {
  std::vector<double> timestep;
  std::vector<double> alphaBar;
  std::vector<double> alphaBarPrev;
};
StepTables stepTables(const std::vector<double> &alphaBars,
                      const std::vector<int64_t> &timesteps, double finalAlphaBar = 1.0);

} // namespace tweedie::numerics

#endif
