//===- Convergence.cpp ----------------------------------------------------===//
#include "tweedie/Numerics/Convergence.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tweedie::numerics {

double GaussianData::variance(const Process &p, double t) const {
  const double a = p.alpha(t), sg = p.sigma(t);
  return a * a * s * s + sg * sg;
}

double GaussianData::score(const Process &p, double t, double x) const {
  return -(x - p.alpha(t) * mu) / variance(p, t);
}

double GaussianData::output(const Process &p, Prediction prediction, double t,
                            double x) const {
  const double a = p.alpha(t), sg = p.sigma(t), sc = score(p, t, x);
  const double eps = -sg * sc, x0 = (x - sg * eps) / a;
  switch (prediction) {
  case Prediction::Score:
    return sc;
  case Prediction::Eps:
    return eps;
  case Prediction::X0:
    return x0;
  case Prediction::V:
    return a * eps - sg * x0;
  }
  return sc;
}

double GaussianData::flow(const Process &p, double from, double to, double x) const {
  return p.alpha(to) * mu +
         std::sqrt(variance(p, to) / variance(p, from)) * (x - p.alpha(from) * mu);
}

double runScheme(const StageScheme &s, const SchemeRequest &r, const GaussianData &g,
                 double x, const std::function<double()> &noise) {
  std::vector<double> carried(s.carried, x); // extra states start as the prior
  for (int64_t i = 0; i < s.steps; ++i) {
    std::vector<double> basis{x};
    basis.insert(basis.end(), carried.begin(), carried.end());
    basis.push_back(s.noisy && noise ? noise() : 0.0);
    for (size_t j = 0; j < s.stageTime.size(); ++j) {
      double input = 0;
      for (size_t k = 0; k < s.stageInput[j].size(); ++k)
        input += s.stageInput[j][k][i] * basis[k];
      basis.push_back(g.output(r.process, r.prediction, s.stageTime[j][i], input));
    }
    std::vector<double> results;
    for (const auto &form : s.next) {
      double value = 0;
      for (size_t k = 0; k < basis.size(); ++k)
        value += form[k][i] * basis[k];
      results.push_back(value);
    }
    x = results[0];
    carried.assign(results.begin() + 1, results.end());
  }
  return x;
}

OrderMeasurement measureOrder(SchemeMethod method, const Process &p, Prediction prediction,
                              int64_t coarse) {
  const bool sigma = p.kind == Process::Kind::SigmaTime;
  const double from = sigma ? 80.0 : 1.0, to = sigma ? 0.002 : 1e-3;
  GaussianData g;
  // The largest error over several starting points: at one point the error's
  // leading terms can cancel at some step count and bend the slope.
  const double spread = std::sqrt(g.variance(p, from));
  OrderMeasurement m;
  for (int64_t n = coarse; n <= 8 * coarse; n *= 2) {
    SchemeRequest r;
    r.method = method;
    r.process = p;
    r.prediction = prediction;
    for (double lambda : linspace(p.logSNR(from), p.logSNR(to), n + 1))
      r.grid.push_back(p.timeOfLogSNR(lambda, to, from));
    std::string error;
    StageScheme s = buildScheme(r, error);
    double worst = error.empty() ? 0.0 : NAN;
    for (double start : {-2.1, -0.9, 0.4, 1.3, 2.4}) {
      const double xT = g.mu * p.alpha(from) + start * spread;
      if (error.empty())
        worst = std::max(worst, std::abs(runScheme(s, r, g, xT) - g.flow(p, from, to, xT)));
    }
    m.steps.push_back(n);
    m.errors.push_back(worst);
  }
  const size_t last = m.errors.size() - 1;
  m.slope = -std::log(m.errors[last] / m.errors[last - 1]) /
            std::log(static_cast<double>(m.steps[last]) / m.steps[last - 1]);
  return m;
}

} // namespace tweedie::numerics
