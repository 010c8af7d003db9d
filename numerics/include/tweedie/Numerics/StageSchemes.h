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
#include <utility>
#include <vector>

namespace tweedie::numerics {

enum class Prediction { Eps, X0, V, Score };

enum class SchemeMethod {
  // The probability-flow ODE solvers of OdeSolvers.def, in its order.
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  Enum,
#include "tweedie/Numerics/OdeSolvers.def"
  EulerMaruyama,    // reverse-time SDE
  ReverseDiffusion, // Song et al. (2021)'s reverse-diffusion predictor
  Ancestral,        // ancestral sampling: the posterior q(x_next | x, x0-hat)
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
  /// EDM's S_churn (Euler and Heun on sigma processes): each step first
  /// raises the noise from sigma to sigma (1 + gamma), gamma =
  /// min(S_churn / steps, sqrt(2) - 1), with fresh noise.
  double churn = 0;
  /// DPM-Solver++(2M): the last step is first order.
  bool lowerOrderFinal = true;
  /// One more step at the last time: Tweedie's x0 = (x + sigma^2 s) / alpha.
  bool denoiseFinal = false;
};

/// The probability-flow ODE solvers (OdeSolvers.def): their number, and
/// whether `method` is one.
inline constexpr int kNumOdeSolvers = 0
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) +1
#include "tweedie/Numerics/OdeSolvers.def"
    ;
inline bool isOdeSolver(SchemeMethod method) {
  return static_cast<int>(method) < kNumOdeSolvers;
}

/// score = u x + w p for a network output p at time t.
std::pair<double, double> scoreConversion(const Process &process, Prediction prediction,
                                          double t);

/// Per step i, over the basis b = [x, h_0 .. h_{c-1}, z, p_0 .. p_{m-1}]
/// (the state, c extra loop-carried states, the step's noise, the raw network
/// outputs of the m stages): stage j evaluates the network at stageTime[j][i]
/// on sum_k stageInput[j][k][i] b_k (k < firstOutput() + j), and the step
/// yields next[q][i] . b for the state (q = 0) and each h_{q-1}. The extra
/// states start as copies of the prior. Without `noisy` the z column is zero.
struct StageScheme {
  int64_t steps = 0;
  int carried = 0;
  bool noisy = false;
  std::vector<std::vector<double>> stageTime;
  std::vector<std::vector<std::vector<double>>> stageInput;
  std::vector<std::vector<std::vector<double>>> next;

  int noiseIndex() const { return 1 + carried; }
  int firstOutput() const { return 2 + carried; }
};

/// The scheme's tables; an empty `error` on success.
StageScheme buildScheme(const SchemeRequest &request, std::string &error);

} // namespace tweedie::numerics

#endif
