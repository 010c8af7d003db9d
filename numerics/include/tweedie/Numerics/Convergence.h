//===- Convergence.h - measured orders of the ODE solvers ----------------===//
//
// One-dimensional Gaussian data N(mu, s^2) has a closed-form noised score and
// a closed-form probability-flow map under every process, so a solver's
// end-point error can be measured exactly; its log-log slope against the
// step count is the solver's order. Used by the samplers tests and by
// `tweedie-bench orders`.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NUMERICS_CONVERGENCE_H
#define TWEEDIE_NUMERICS_CONVERGENCE_H

#include "tweedie/Numerics/StageSchemes.h"

#include <functional>
#include <vector>

namespace tweedie::numerics {

/// N(mu, s^2) data noised by a process: x_t = alpha x_0 + sigma eps.
struct GaussianData {
  double mu = 0.7, s = 0.5;
  double variance(const Process &p, double t) const;
  double score(const Process &p, double t, double x) const;
  /// The network's output for a parameterisation.
  double output(const Process &p, Prediction prediction, double t, double x) const;
  /// The probability-flow ODE's exact map from (x, from) to time `to`.
  double flow(const Process &p, double from, double to, double x) const;
};

/// Runs a scheme on one float64 state; `noise` supplies z for noisy schemes.
double runScheme(const StageScheme &scheme, const SchemeRequest &request,
                 const GaussianData &data, double x,
                 const std::function<double()> &noise = {});

struct OrderMeasurement {
  std::vector<int64_t> steps;
  std::vector<double> errors;
  /// The slope between the two finest grids (the asymptotic regime).
  double slope = 0;
};

/// End-point errors of `method` from the process's noisiest time (t = 1, or
/// sigma = 80) to t = 1e-3 (sigma = 0.002) for coarse, 2, 4 and 8 x coarse
/// steps, on grids uniform in logSNR: a grid uniform in t puts one step of
/// non-vanishing logSNR length next to t_min that hides every order.
OrderMeasurement measureOrder(SchemeMethod method, const Process &process,
                              Prediction prediction, int64_t coarse);

} // namespace tweedie::numerics

#endif
