//===- StageSchemes.h - samplers as per-step linear stage tables ---------===//
//
// Every sampler of the continuous processes here is, per step, a fixed number
// of network evaluations whose inputs and whose result are linear
// combinations of the state x, the raw network outputs p_k of the earlier
// stages, and (stochastic steps) fresh noise z. That holds because each
// parameterisation is linear in (x, p) at a given time (score = u x + w p)
// and so is the probability-flow velocity f x - g^2/2 score. This header
// computes those coefficients in float64, per step; the expansion pass folds
// them into `sampler.affine_step` tables, so every solver — Euler, Heun, RK4,
// DPM-Solver-2/3, Euler-Maruyama, (annealed) Langevin — becomes the same
// few ops the backends already run.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NUMERICS_STAGESCHEMES_H
#define TWEEDIE_NUMERICS_STAGESCHEMES_H

#include "tweedie/Numerics/Processes.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tweedie::numerics {

enum class Prediction { Eps, X0, V, Score };

enum class SchemeMethod {
  Euler,            // probability-flow ODE, first order
  Heun,             // second order (Karras et al. 2022, alg. 1 without churn)
  RK4,              // classic fourth-order Runge-Kutta
  DPMSolver2,       // singlestep DPM-Solver-2 (Lu et al. 2022, alg. 1, r1 = 1/2)
  DPMSolver3,       // singlestep DPM-Solver-3 (Lu et al. 2022, alg. 2)
  EulerMaruyama,    // reverse-time SDE
  Langevin,         // unadjusted Langevin at one noise level
  AnnealedLangevin, // NCSN: K Langevin steps per level, eta = delta sigma^2 / sigma_min^2
};

struct SchemeRequest {
  SchemeMethod method = SchemeMethod::Euler;
  Process process;
  Prediction prediction = Prediction::Eps;
  /// ODE / SDE methods: steps + 1 times, noisiest first. Langevin: one time.
  /// Annealed Langevin: the levels' times, noisiest first.
  std::vector<double> grid;
  /// Langevin: iterations. Annealed Langevin: iterations per level.
  int64_t iterations = 1;
  /// Langevin: eta. Annealed Langevin: delta.
  double stepSize = 0;
};

/// Stage j (of m) evaluates the network at stageTime[j][i] on the input
/// sum_k stageInput[j][k][i] b_k over b = [x, p_0, ..., p_{j-1}]; the step's
/// result is sum_k update[k][i] b_k over [x, p_0, ..., p_{m-1}] plus
/// noise[i] z (no noise term when `noise` is empty). i is the step.
struct StageScheme {
  int64_t steps = 0;
  std::vector<std::vector<double>> stageTime;
  std::vector<std::vector<std::vector<double>>> stageInput;
  std::vector<std::vector<double>> update;
  std::vector<double> noise;
};

/// The scheme's tables; an empty `error` on success.
StageScheme buildScheme(const SchemeRequest &request, std::string &error);

} // namespace tweedie::numerics

#endif
