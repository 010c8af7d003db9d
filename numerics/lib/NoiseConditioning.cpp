//===- NoiseConditioning.cpp ----------------------------------------------===//
#include "tweedie/Numerics/NoiseConditioning.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tweedie::numerics {

bool sameConditioning(const Process &a, const Process &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Process::Kind::VP:
  case Process::Kind::SubVP:
    return a.betaMin == b.betaMin && a.betaMax == b.betaMax;
  case Process::Kind::VE:
    return a.sigmaMin == b.sigmaMin && a.sigmaMax == b.sigmaMax;
  case Process::Kind::SigmaTime:
    return true;
  case Process::Kind::DiscreteVP:
    return a.logAlphas == b.logAlphas;
  }
  return false;
}

double noiseToSignal(const Process &process, double t) {
  return process.sigma(t) / process.alpha(t);
}

double timeOfConditioning(const Process &process, double c) {
  if (process.kind == Process::Kind::DiscreteVP)
    return (c + 1.0) / static_cast<double>(process.logAlphas.size());
  return c;
}

namespace {
/// s_n = sqrt(1 / abar_n - 1) of a DDPM table's step n, from log alpha_n.
double discreteNoiseToSignal(const Process &process, size_t n) {
  return std::sqrt(std::expm1(-2.0 * process.logAlphas[n]));
}
} // namespace

NoiseSpan trainedNoiseSpan(const Process &process) {
  switch (process.kind) {
  case Process::Kind::DiscreteVP:
    return {discreteNoiseToSignal(process, 0),
            discreteNoiseToSignal(process, process.logAlphas.size() - 1)};
  case Process::Kind::VP:
  case Process::Kind::SubVP:
    return {0.0, noiseToSignal(process, 1.0)};
  case Process::Kind::VE:
    return {process.sigmaMin, process.sigmaMax};
  case Process::Kind::SigmaTime:
    break;
  }
  return {0.0, std::numeric_limits<double>::infinity()};
}

NetworkPoint networkPointAt(const Process &network, double s) {
  NetworkPoint point;
  switch (network.kind) {
  case Process::Kind::SigmaTime:
    return {s, 1.0, s};
  case Process::Kind::DiscreteVP: {
    // k-diffusion's sigma_to_t: linear in log s between neighbouring steps,
    // clamped to the table's ends.
    const size_t n = network.logAlphas.size();
    const double logS = std::log(s);
    auto logSAt = [&](size_t i) { return std::log(discreteNoiseToSignal(network, i)); };
    if (n == 1 || logS <= logSAt(0)) {
      point.conditioning = 0.0;
    } else if (logS >= logSAt(n - 1)) {
      point.conditioning = static_cast<double>(n - 1);
    } else {
      size_t lo = 0, hi = n - 1; // logSAt(lo) < logS < logSAt(hi); s_n increases in n
      while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        (logSAt(mid) <= logS ? lo : hi) = mid;
      }
      const double w = (logS - logSAt(lo)) / (logSAt(hi) - logSAt(lo));
      point.conditioning = static_cast<double>(lo) + w;
    }
    // Variance preserving: alpha^2 + sigma^2 = 1 at s = sigma / alpha.
    point.alpha = 1.0 / std::sqrt(1.0 + s * s);
    point.sigma = s * point.alpha;
    return point;
  }
  case Process::Kind::VP:
  case Process::Kind::SubVP:
  case Process::Kind::VE: {
    const double t = network.timeOfLogSNR(-std::log(s), 0.0, 1.0);
    return {network.conditioning(t), network.alpha(t), network.sigma(t)};
  }
  }
  return point;
}

double ConditioningMap::positionOf(double c) const {
  if (hi == lo)
    return 0.0;
  return logarithmic ? (std::log(c) - std::log(lo)) / (std::log(hi) - std::log(lo))
                     : (c - lo) / (hi - lo);
}

bool ConditioningMap::unitScale() const {
  return std::all_of(inputScale.begin(), inputScale.end(),
                     [](double scale) { return std::abs(scale - 1.0) <= 1e-12; });
}

ConditioningMap conditioningMap(const Process &sampler, const Process &network, double lo,
                                double hi, int64_t entries) {
  ConditioningMap map;
  map.logarithmic = sampler.kind == Process::Kind::SigmaTime;
  map.lo = lo;
  map.hi = hi;
  for (int64_t k = 0; k < entries; ++k) {
    const double u = entries == 1 ? 0.0 : static_cast<double>(k) / (entries - 1);
    const double c = map.logarithmic ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)))
                                     : lo + u * (hi - lo);
    const double t = timeOfConditioning(sampler, c);
    const NetworkPoint point = networkPointAt(network, noiseToSignal(sampler, t));
    map.conditioning.push_back(point.conditioning);
    map.inputScale.push_back(point.alpha / sampler.alpha(t));
    map.alpha.push_back(point.alpha);
    map.sigma.push_back(point.sigma);
  }
  return map;
}

} // namespace tweedie::numerics
