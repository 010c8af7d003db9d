//===- StageSchemes.cpp - per-step coefficients of linear stage samplers --===//
#include "tweedie/Numerics/StageSchemes.h"

#include <cmath>

namespace tweedie::numerics {
namespace {

/// Coefficients over [x, p_0, ..., p_{m-1}].
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
  Step(const SchemeRequest &request, int stages)
      : r(request), size(static_cast<size_t>(stages) + 1) {}

  Form x() const { return unit(0); }

  /// Evaluates the network at time t on `input`; returns the stage index.
  int evaluate(double t, const Form &input) {
    times.push_back(t);
    inputs.push_back(input);
    return static_cast<int>(times.size()) - 1;
  }

  /// The score of stage j as a form: u X_j + w p_j.
  Form score(int j) const {
    auto [u, w] = conversion(times[j]);
    return u * inputs[j] + w * unit(j + 1);
  }
  /// eps = -sigma score.
  Form eps(int j) const { return -r.process.sigma(times[j]) * score(j); }
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

  void store(StageScheme &s, int64_t i, const Form &result, double noise) const {
    for (size_t j = 0; j < times.size(); ++j) {
      s.stageTime[j][i] = times[j];
      for (size_t k = 0; k <= j; ++k)
        s.stageInput[j][k][i] = inputs[j][k];
    }
    for (size_t k = 0; k < size; ++k)
      s.update[k][i] = result[k];
    if (!s.noise.empty())
      s.noise[i] = noise;
  }

private:
  Form unit(size_t k) const {
    Form f(size, 0.0);
    f[k] = 1.0;
    return f;
  }

  /// score = u x + w p for the network's parameterisation at time t.
  std::pair<double, double> conversion(double t) const {
    const double a = r.process.alpha(t), s = r.process.sigma(t);
    switch (r.prediction) {
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

  const SchemeRequest &r;
  size_t size;
  std::vector<double> times;
  std::vector<Form> inputs;
};

int stagesOf(SchemeMethod method) {
  switch (method) {
  case SchemeMethod::Heun:
  case SchemeMethod::DPMSolver2:
    return 2;
  case SchemeMethod::DPMSolver3:
    return 3;
  case SchemeMethod::RK4:
    return 4;
  default:
    return 1;
  }
}

bool stochastic(SchemeMethod method) {
  return method == SchemeMethod::EulerMaruyama || method == SchemeMethod::Langevin ||
         method == SchemeMethod::AnnealedLangevin;
}

/// DPM-Solver's first-order step (= DDIM) from t to next, written so that it
/// stays finite when sigma(next) = 0: sigma_next (e^h - 1) = alpha_next
/// sigma_t / alpha_t - sigma_next.
Form dpmFirstOrder(const Process &p, double t, double next, const Form &x, const Form &eps) {
  const double ratio = p.alpha(next) / p.alpha(t);
  return ratio * x - (ratio * p.sigma(t) - p.sigma(next)) * eps;
}

} // namespace

StageScheme buildScheme(const SchemeRequest &r, std::string &error) {
  StageScheme s;
  const int m = stagesOf(r.method);
  const bool langevin =
      r.method == SchemeMethod::Langevin || r.method == SchemeMethod::AnnealedLangevin;
  if (langevin) {
    if (r.grid.empty() || r.iterations < 1) {
      error = "Langevin sampling needs at least one level and one iteration";
      return s;
    }
    s.steps = static_cast<int64_t>(r.grid.size()) * r.iterations;
  } else {
    if (r.grid.size() < 2) {
      error = "a solver needs at least two times on its grid";
      return s;
    }
    s.steps = static_cast<int64_t>(r.grid.size()) - 1;
  }
  s.stageTime.assign(m, std::vector<double>(s.steps));
  s.stageInput.resize(m);
  for (int j = 0; j < m; ++j)
    s.stageInput[j].assign(j + 1, std::vector<double>(s.steps, 0.0));
  s.update.assign(m + 1, std::vector<double>(s.steps, 0.0));
  if (stochastic(r.method))
    s.noise.assign(s.steps, 0.0);

  const Process &p = r.process;
  const double smallestSigma = p.sigma(r.grid.back());
  for (int64_t i = 0; i < s.steps; ++i) {
    Step step(r, m);
    const Form x = step.x();
    if (langevin) {
      // x' = x + eta score + sqrt(2 eta) z at the level's time.
      const double t = r.grid[i / r.iterations];
      double eta = r.stepSize;
      if (r.method == SchemeMethod::AnnealedLangevin) {
        const double sigma = p.sigma(t);
        eta = r.stepSize * sigma * sigma / (smallestSigma * smallestSigma);
      }
      int j = step.evaluate(t, x);
      step.store(s, i, x + eta * step.score(j), std::sqrt(2.0 * eta));
      continue;
    }

    const double t = r.grid[i], next = r.grid[i + 1], h = next - t;
    // A step that ends at sigma = 0 (EDM's last step) cannot evaluate there:
    // it falls back to a first-order step, as Karras et al. (2022) do.
    const bool endsAtZero = p.sigma(next) == 0.0;
    int j0 = step.evaluate(t, x);
    Form result;
    double noise = 0;
    switch (r.method) {
    case SchemeMethod::Euler:
      result = x + h * step.velocity(j0);
      break;
    case SchemeMethod::Heun: {
      Form v0 = step.velocity(j0), euler = x + h * v0;
      if (endsAtZero) {
        result = euler;
        break;
      }
      int j1 = step.evaluate(next, euler);
      result = x + (0.5 * h) * (v0 + step.velocity(j1));
      break;
    }
    case SchemeMethod::RK4: {
      Form k1 = step.velocity(j0);
      if (endsAtZero) {
        result = x + h * k1;
        break;
      }
      int j1 = step.evaluate(t + 0.5 * h, x + (0.5 * h) * k1);
      Form k2 = step.velocity(j1);
      int j2 = step.evaluate(t + 0.5 * h, x + (0.5 * h) * k2);
      Form k3 = step.velocity(j2);
      int j3 = step.evaluate(next, x + h * k3);
      Form k4 = step.velocity(j3);
      result = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
      break;
    }
    case SchemeMethod::DPMSolver2:
    case SchemeMethod::DPMSolver3: {
      Form e0 = step.eps(j0);
      if (endsAtZero) {
        result = dpmFirstOrder(p, t, next, x, e0);
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
        result = (an / at) * x - sn * std::expm1(hl) * step.eps(j1);
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
      result = (an / at) * x - sn * std::expm1(hl) * e0 -
               (sn / r2) * (std::expm1(hl) / hl - 1.0) * d2;
      break;
    }
    case SchemeMethod::EulerMaruyama: {
      // Backwards over dt = t - next > 0: x' = x - (f x - g^2 s) dt + sqrt(g^2 dt) z.
      const double dt = t - next, g2 = p.diffusionSq(t);
      result = x - dt * (p.drift(t) * x - g2 * step.score(j0));
      noise = std::sqrt(g2 * dt);
      break;
    }
    default:
      break;
    }
    step.pad(m, t);
    step.store(s, i, result, noise);
  }
  return s;
}

} // namespace tweedie::numerics
