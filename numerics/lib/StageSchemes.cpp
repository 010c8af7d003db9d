//===- StageSchemes.cpp - per-step coefficients of linear stage samplers --===//
#include "tweedie/Numerics/StageSchemes.h"

#include <algorithm>
#include <cmath>

namespace tweedie::numerics {
namespace {

/// Coefficients over the basis [x, h_0 .. h_{c-1}, z, p_0 .. p_{m-1}].
using Form = std::vector<double>;

Form operator+(Form a, const Form &b) {
  for (size_t k = 0; k < a.size(); ++k)
    a[k] += b[k];
  return a;
}
Form operator*(double s, Form a) {
  for (double &v : a)
    v *= s;
  return a;
}
Form operator-(const Form &a, const Form &b) { return a + (-1.0) * b; }

/// One step under construction: stages are added in order.
class Step {
public:
  Step(const SchemeRequest &request, int stages, int carried)
      : r(request), carried(carried), size(static_cast<size_t>(2 + carried + stages)) {}

  Form x() const { return unit(0); }
  Form history(int k) const { return unit(1 + k); }
  Form z() const { return unit(1 + carried); }

  /// Evaluates the network at time t on `input`; returns the stage index.
  int evaluate(double t, const Form &input) {
    times.push_back(t);
    inputs.push_back(input);
    return static_cast<int>(times.size()) - 1;
  }

  /// The score of stage j as a form: u X_j + w p_j.
  Form score(int j) const {
    auto [u, w] = scoreConversion(r.process, r.prediction, times[j]);
    return u * inputs[j] + w * unit(2 + carried + j);
  }
  /// eps = -sigma score.
  Form eps(int j) const { return -r.process.sigma(times[j]) * score(j); }
  /// Tweedie's formula: E[x_0 | X_j] = (X_j + sigma^2 score) / alpha.
  Form x0(int j) const {
    const double s = r.process.sigma(times[j]);
    return (1.0 / r.process.alpha(times[j])) * (inputs[j] + (s * s) * score(j));
  }
  /// The probability-flow velocity dx/dt = f x - g^2/2 score.
  Form velocity(int j) const {
    double t = times[j];
    return r.process.drift(t) * inputs[j] - 0.5 * r.process.diffusionSq(t) * score(j);
  }

  /// A stage whose output the update ignores (e.g. Heun's second stage on a
  /// last step that ends at sigma = 0): it is still evaluated, at a time
  /// where the network is finite, so that every step runs the same ops.
  void pad(int stages, double safeTime) {
    while (static_cast<int>(times.size()) < stages)
      evaluate(safeTime, x());
  }

  /// `results`: the new state, then the new carried states.
  void store(StageScheme &s, int64_t i, const std::vector<Form> &results) const {
    for (size_t j = 0; j < times.size(); ++j) {
      s.stageTime[j][i] = times[j];
      for (size_t k = 0; k < s.stageInput[j].size(); ++k)
        s.stageInput[j][k][i] = inputs[j][k];
    }
    for (size_t q = 0; q < results.size(); ++q)
      for (size_t k = 0; k < size; ++k)
        s.next[q][k][i] = results[q][k];
  }

  /// The state's result plus unchanged carried states.
  std::vector<Form> keepingHistory(const Form &result) const {
    std::vector<Form> results{result};
    for (int k = 0; k < carried; ++k)
      results.push_back(history(k));
    return results;
  }

private:
  Form unit(size_t k) const {
    Form f(size, 0.0);
    f[k] = 1.0;
    return f;
  }

  const SchemeRequest &r;
  int carried;
  size_t size;
  std::vector<double> times;
  std::vector<Form> inputs;
};

int stagesOf(SchemeMethod method) {
  switch (method) {
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  case SchemeMethod::Enum:                                                                   \
    return stages;
#include "tweedie/Numerics/OdeSolvers.def"
  default:
    return 1;
  }
}

int carriedOf(SchemeMethod method) {
  switch (method) {
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  case SchemeMethod::Enum:                                                                   \
    return carried;
#include "tweedie/Numerics/OdeSolvers.def"
  default:
    return 0;
  }
}

bool stochastic(const SchemeRequest &r) {
  switch (r.method) {
  case SchemeMethod::EulerMaruyama:
  case SchemeMethod::ReverseDiffusion:
  case SchemeMethod::Ancestral:
  case SchemeMethod::Langevin:
  case SchemeMethod::AnnealedLangevin:
    return true;
  default:
    return r.churn > 0;
  }
}

/// DPM-Solver's first-order step (= DDIM) from t to next, written so that it
/// stays finite when sigma(next) = 0: sigma_next (e^h - 1) = alpha_next
/// sigma_t / alpha_t - sigma_next.
Form dpmFirstOrder(const Process &p, double t, double next, const Form &x, const Form &eps) {
  const double ratio = p.alpha(next) / p.alpha(t);
  return ratio * x - (ratio * p.sigma(t) - p.sigma(next)) * eps;
}

/// DPM-Solver++'s first-order step on a data prediction d, from t to next:
/// sigma_n/sigma_t x - alpha_n (e^-h - 1) d with e^-h = sigma_n alpha_t /
/// (sigma_t alpha_n), finite (= alpha_n d) when sigma(next) = 0.
Form dataFirstOrder(const Process &p, double t, double next, const Form &x, const Form &d) {
  const double ratio = p.sigma(next) / p.sigma(t);
  return ratio * x + (p.alpha(next) - ratio * p.alpha(t)) * d;
}

std::string validate(const SchemeRequest &r) {
  const bool langevin =
      r.method == SchemeMethod::Langevin || r.method == SchemeMethod::AnnealedLangevin;
  if (langevin && (r.grid.empty() || r.iterations < 1))
    return "Langevin sampling needs at least one level and one iteration";
  if (!langevin && r.grid.size() < 2)
    return "a solver needs at least two times on its grid";
  if (r.churn < 0 || !std::isfinite(r.churn))
    return "churn must be a non-negative number";
  if (r.churn > 0 && (r.process.kind != Process::Kind::SigmaTime ||
                      (r.method != SchemeMethod::Euler && r.method != SchemeMethod::Heun)))
    return "churn applies to the euler and heun solvers on sigma schedules (karras, "
           "sigmas, ncsn)";
  if (r.denoiseFinal && r.process.sigma(r.grid.back()) == 0.0)
    return "denoise_final: the grid already ends at sigma = 0";
  return "";
}

} // namespace

std::pair<double, double> scoreConversion(const Process &process, Prediction prediction,
                                          double t) {
  const double a = process.alpha(t), s = process.sigma(t);
  switch (prediction) {
  case Prediction::Score:
    return {0.0, 1.0};
  case Prediction::Eps: // score = -eps / sigma
    return {0.0, -1.0 / s};
  case Prediction::X0: // score = -(x - alpha x0) / sigma^2
    return {-1.0 / (s * s), a / (s * s)};
  case Prediction::V: // eps = (alpha v + sigma x) / (alpha^2 + sigma^2)
    return {-1.0 / (a * a + s * s), -a / (s * (a * a + s * s))};
  }
  return {0.0, 1.0};
}

StageScheme buildScheme(const SchemeRequest &r, std::string &error) {
  StageScheme s;
  error = validate(r);
  if (!error.empty())
    return s;
  const int m = stagesOf(r.method);
  const bool langevin =
      r.method == SchemeMethod::Langevin || r.method == SchemeMethod::AnnealedLangevin;
  const int64_t regular = langevin ? static_cast<int64_t>(r.grid.size()) * r.iterations
                                   : static_cast<int64_t>(r.grid.size()) - 1;
  s.steps = regular + (r.denoiseFinal ? 1 : 0);
  s.carried = carriedOf(r.method);
  s.noisy = stochastic(r);
  s.stageTime.assign(m, std::vector<double>(s.steps));
  s.stageInput.resize(m);
  for (int j = 0; j < m; ++j)
    s.stageInput[j].assign(s.firstOutput() + j, std::vector<double>(s.steps, 0.0));
  s.next.assign(1 + s.carried,
                std::vector<std::vector<double>>(s.firstOutput() + m,
                                                 std::vector<double>(s.steps, 0.0)));

  const Process &p = r.process;
  const double smallestSigma = p.sigma(r.grid.back());
  const double gamma =
      r.churn > 0 ? std::min(r.churn / static_cast<double>(regular), std::sqrt(2.0) - 1) : 0;
  for (int64_t i = 0; i < s.steps; ++i) {
    Step step(r, m, s.carried);
    const Form x = step.x();
    if (i == regular) { // denoise_final: Tweedie's formula at the last time
      const double t = r.grid.back();
      int j = step.evaluate(t, x);
      step.pad(m, t);
      step.store(s, i, step.keepingHistory(step.x0(j)));
      continue;
    }
    if (langevin) {
      // x' = x + eta score + sqrt(2 eta) z at the level's time.
      const double t = r.grid[i / r.iterations];
      double eta = r.stepSize;
      if (r.method == SchemeMethod::AnnealedLangevin) {
        const double sigma = p.sigma(t);
        eta = r.stepSize * sigma * sigma / (smallestSigma * smallestSigma);
      }
      int j = step.evaluate(t, x);
      step.store(s, i, {x + eta * step.score(j) + std::sqrt(2.0 * eta) * step.z()});
      continue;
    }

    const double t = r.grid[i], next = r.grid[i + 1];
    // EDM churn: first raise the noise level to t (1 + gamma) with fresh noise.
    double from = t;
    Form start = x;
    if (gamma > 0) {
      from = t * (1 + gamma);
      start = x + std::sqrt(from * from - t * t) * step.z();
    }
    const double h = next - from;
    // A step that ends at sigma = 0 (EDM's last step) cannot evaluate there:
    // it falls back to a first-order step, as Karras et al. (2022) do.
    const bool endsAtZero = p.sigma(next) == 0.0;
    int j0 = step.evaluate(from, start);
    std::vector<Form> results;
    switch (r.method) {
    case SchemeMethod::Euler:
      results = {start + h * step.velocity(j0)};
      break;
    case SchemeMethod::Heun: {
      Form v0 = step.velocity(j0), euler = start + h * v0;
      if (endsAtZero) {
        results = {euler};
        break;
      }
      int j1 = step.evaluate(next, euler);
      results = {start + (0.5 * h) * (v0 + step.velocity(j1))};
      break;
    }
    case SchemeMethod::RK4: {
      Form k1 = step.velocity(j0);
      if (endsAtZero) {
        results = {x + h * k1};
        break;
      }
      int j1 = step.evaluate(t + 0.5 * h, x + (0.5 * h) * k1);
      Form k2 = step.velocity(j1);
      int j2 = step.evaluate(t + 0.5 * h, x + (0.5 * h) * k2);
      Form k3 = step.velocity(j2);
      int j3 = step.evaluate(next, x + h * k3);
      Form k4 = step.velocity(j3);
      results = {x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)};
      break;
    }
    case SchemeMethod::DPMSolver2:
    case SchemeMethod::DPMSolver3: {
      Form e0 = step.eps(j0);
      if (endsAtZero) {
        results = {dpmFirstOrder(p, t, next, x, e0)};
        break;
      }
      const double lt = p.logSNR(t), ln = p.logSNR(next), hl = ln - lt;
      const double lo = std::min(t, next), hi = std::max(t, next);
      auto timeAt = [&](double fraction) {
        return p.timeOfLogSNR(lt + fraction * hl, lo, hi);
      };
      const double at = p.alpha(t), an = p.alpha(next), sn = p.sigma(next);
      if (r.method == SchemeMethod::DPMSolver2) {
        const double sm = timeAt(0.5);
        Form u = (p.alpha(sm) / at) * x - p.sigma(sm) * std::expm1(0.5 * hl) * e0;
        int j1 = step.evaluate(sm, u);
        results = {(an / at) * x - sn * std::expm1(hl) * step.eps(j1)};
        break;
      }
      const double r1 = 1.0 / 3.0, r2 = 2.0 / 3.0;
      const double s1 = timeAt(r1), s2 = timeAt(r2);
      Form u1 = (p.alpha(s1) / at) * x - p.sigma(s1) * std::expm1(r1 * hl) * e0;
      int j1 = step.evaluate(s1, u1);
      Form d1 = step.eps(j1) - e0;
      Form u2 = (p.alpha(s2) / at) * x - p.sigma(s2) * std::expm1(r2 * hl) * e0 -
                (p.sigma(s2) * r2 / r1) * (std::expm1(r2 * hl) / (r2 * hl) - 1.0) * d1;
      int j2 = step.evaluate(s2, u2);
      Form d2 = step.eps(j2) - e0;
      results = {(an / at) * x - sn * std::expm1(hl) * e0 -
                 (sn / r2) * (std::expm1(hl) / hl - 1.0) * d2};
      break;
    }
    case SchemeMethod::DPMSolverPP2M: {
      // h_0 carries the previous step's data prediction.
      Form d = step.x0(j0);
      const bool firstOrder = i == 0 || endsAtZero || (r.lowerOrderFinal && i == regular - 1);
      if (!firstOrder) {
        const double hPrev = p.logSNR(t) - p.logSNR(r.grid[i - 1]);
        const double hNow = p.logSNR(next) - p.logSNR(t);
        const double ratio = hPrev / hNow;
        d = (1.0 + 0.5 / ratio) * d - (0.5 / ratio) * step.history(0);
      }
      results = {dataFirstOrder(p, t, next, x, d), step.x0(j0)};
      break;
    }
    case SchemeMethod::DPMSolverPP2S: {
      // Singlestep DPM-Solver++(2S) with r = 1/2 (Lu et al. 2022b, alg. 1): a
      // first-order data-prediction step to the logSNR midpoint s, then the
      // whole step with the data prediction at s (D = x0(u, s) when r = 1/2).
      Form d0 = step.x0(j0);
      if (endsAtZero) {
        results = {dataFirstOrder(p, t, next, x, d0)};
        break;
      }
      const double mid = 0.5 * (p.logSNR(t) + p.logSNR(next));
      const double s = p.timeOfLogSNR(mid, std::min(t, next), std::max(t, next));
      int j1 = step.evaluate(s, dataFirstOrder(p, t, s, x, d0));
      results = {dataFirstOrder(p, t, next, x, step.x0(j1))};
      break;
    }
    case SchemeMethod::EulerMaruyama: {
      // Backwards over dt = t - next > 0: x' = x - (f x - g^2 s) dt + sqrt(g^2 dt) z.
      const double dt = t - next, g2 = p.diffusionSq(t);
      results = {x - dt * (p.drift(t) * x - g2 * step.score(j0)) + std::sqrt(g2 * dt) * step.z()};
      break;
    }
    case SchemeMethod::ReverseDiffusion: {
      // The forward step from next to t is x_t = a x_next + G z with a =
      // alpha_t / alpha_next, G^2 = sigma_t^2 - a^2 sigma_next^2; reversed:
      // x_next = x - (a - 1) x + G^2 s + G z (Song et al. 2021, eq. 46).
      const double a = p.alpha(t) / p.alpha(next);
      const double g2 = p.sigma(t) * p.sigma(t) - a * a * p.sigma(next) * p.sigma(next);
      results = {(2.0 - a) * x + g2 * step.score(j0) + std::sqrt(std::max(g2, 0.0)) * step.z()};
      break;
    }
    case SchemeMethod::Ancestral: {
      // The posterior q(x_next | x_t, x_0 = x0-hat): DDIM with eta = 1.
      const double a = p.alpha(t) / p.alpha(next), st = p.sigma(t), sn = p.sigma(next);
      const double variance = std::max(sn * sn * (st * st - a * a * sn * sn) / (st * st), 0.0);
      results = {p.alpha(next) * step.x0(j0) +
                 std::sqrt(std::max(sn * sn - variance, 0.0)) * step.eps(j0) +
                 std::sqrt(variance) * step.z()};
      break;
    }
    default:
      break;
    }
    if (results.size() == 1)
      results = step.keepingHistory(results[0]);
    step.pad(m, t);
    step.store(s, i, results);
  }
  return s;
}

} // namespace tweedie::numerics
