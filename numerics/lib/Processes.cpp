//===- Processes.cpp ------------------------------------------------------===//
#include "tweedie/Numerics/Processes.h"

#include <algorithm>
#include <cmath>

namespace tweedie::numerics {

Process Process::vp(double betaMin, double betaMax) {
  return {Kind::VP, betaMin, betaMax, 0, 0};
}
Process Process::subVP(double betaMin, double betaMax) {
  return {Kind::SubVP, betaMin, betaMax, 0, 0};
}
Process Process::ve(double sigmaMin, double sigmaMax) {
  return {Kind::VE, 0, 0, sigmaMin, sigmaMax};
}
Process Process::sigmaTime() { return {Kind::SigmaTime, 0, 0, 0, 0}; }
Process Process::discreteVP(const std::vector<double> &alphaBars) {
  Process p{Kind::DiscreteVP, 0, 0, 0, 0};
  for (double abar : alphaBars)
    p.logAlphas.push_back(0.5 * std::log(abar));
  return p;
}

namespace {
/// The segment of a piecewise-linear table on the knots t_n = (n + 1) / N
/// holding t (the first or last one beyond the ends), and the slope d/dt.
struct Segment {
  double value, slope;
};
Segment interpolate(const std::vector<double> &table, double t) {
  const int64_t n = static_cast<int64_t>(table.size());
  if (n == 1)
    return {table[0], 0.0};
  const double index = t * static_cast<double>(n) - 1.0;
  const int64_t i = std::clamp<int64_t>(static_cast<int64_t>(std::floor(index)), 0, n - 2);
  const double slope = (table[i + 1] - table[i]) * static_cast<double>(n);
  return {table[i] + (index - static_cast<double>(i)) * (table[i + 1] - table[i]), slope};
}
} // namespace

double Process::logAlpha(double t) const {
  if (kind == Kind::VP || kind == Kind::SubVP) // -1/4 t^2 (b1 - b0) - 1/2 t b0
    return -0.25 * t * t * (betaMax - betaMin) - 0.5 * t * betaMin;
  if (kind == Kind::DiscreteVP)
    return interpolate(logAlphas, t).value;
  return 0.0;
}

double Process::conditioning(double t) const {
  return kind == Kind::DiscreteVP ? t * static_cast<double>(logAlphas.size()) - 1.0 : t;
}

double Process::alpha(double t) const { return std::exp(logAlpha(t)); }

double Process::sigma(double t) const {
  switch (kind) {
  case Kind::VP: // sqrt(1 - alpha^2) without cancellation near t = 0
  case Kind::DiscreteVP:
    return std::sqrt(-std::expm1(2.0 * logAlpha(t)));
  case Kind::SubVP:
    return -std::expm1(2.0 * logAlpha(t));
  case Kind::VE:
    return sigmaMin * std::pow(sigmaMax / sigmaMin, t);
  case Kind::SigmaTime:
    return t;
  }
  return t;
}

double Process::drift(double t) const {
  if (kind == Kind::VP || kind == Kind::SubVP)
    return -0.5 * (betaMin + t * (betaMax - betaMin));
  if (kind == Kind::DiscreteVP) // d log alpha / dt
    return interpolate(logAlphas, t).slope;
  return 0.0;
}

double Process::diffusionSq(double t) const {
  switch (kind) {
  case Kind::VP:
    return betaMin + t * (betaMax - betaMin);
  case Kind::SubVP: // beta(t) (1 - e^{-2 b0 t - (b1 - b0) t^2}) = beta(t) (1 - alpha^4)
    return (betaMin + t * (betaMax - betaMin)) * -std::expm1(4.0 * logAlpha(t));
  case Kind::VE: {
    double s = sigma(t);
    return 2.0 * s * s * std::log(sigmaMax / sigmaMin);
  }
  case Kind::SigmaTime: // d(sigma^2)/d sigma
    return 2.0 * t;
  case Kind::DiscreteVP: // variance preserving: g^2 = -2 f, as beta(t) for VP
    return -2.0 * drift(t);
  }
  return 0.0;
}

double Process::logSNR(double t) const { return logAlpha(t) - std::log(sigma(t)); }

double Process::timeOfLogSNR(double lambda, double lo, double hi) const {
  // logSNR decreases in t: keep logSNR(lo) >= lambda >= logSNR(hi).
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi)
      break;
    (logSNR(mid) > lambda ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<double> karrasSigmas(int64_t n, double sigmaMin, double sigmaMax, double rho) {
  std::vector<double> sigmas(n);
  const double a = std::pow(sigmaMax, 1.0 / rho), b = std::pow(sigmaMin, 1.0 / rho);
  for (int64_t i = 0; i < n; ++i)
    sigmas[i] = n == 1 ? sigmaMax
                       : std::pow(a + static_cast<double>(i) / (n - 1) * (b - a), rho);
  return sigmas;
}

std::vector<double> geometricSigmas(int64_t n, double sigmaMin, double sigmaMax) {
  std::vector<double> sigmas(n);
  for (int64_t i = 0; i < n; ++i)
    sigmas[i] = n == 1 ? sigmaMax
                       : sigmaMax * std::pow(sigmaMin / sigmaMax,
                                             static_cast<double>(i) / (n - 1));
  return sigmas;
}

std::vector<double> linspace(double from, double to, int64_t n) {
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = n == 1 ? from : from + (to - from) * static_cast<double>(i) / (n - 1);
  if (n > 1)
    out[n - 1] = to;
  return out;
}

} // namespace tweedie::numerics
