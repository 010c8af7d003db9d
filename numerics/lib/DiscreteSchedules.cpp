//===- DiscreteSchedules.cpp ------------------------------------------------===//
#include "tweedie/Numerics/DiscreteSchedules.h"

#include <algorithm>
#include <cmath>

namespace tweedie::numerics {

std::vector<double> linearBetas(int64_t T, double betaStart, double betaEnd) {
  std::vector<double> betas(T);
  for (int64_t t = 0; t < T; ++t)
    betas[t] = betaStart + (betaEnd - betaStart) * static_cast<double>(t) /
                               static_cast<double>(T - 1);
  return betas;
}

std::vector<double> scaledLinearBetas(int64_t T, double betaStart, double betaEnd) {
  std::vector<double> betas = linearBetas(T, std::sqrt(betaStart), std::sqrt(betaEnd));
  for (double &b : betas)
    b *= b;
  return betas;
}

std::vector<double> cosineBetas(int64_t T, double s, double maxBeta) {
  auto f = [&](double t) {
    double c = std::cos((t / static_cast<double>(T) + s) / (1.0 + s) * M_PI / 2.0);
    return c * c;
  };
  std::vector<double> betas(T);
  for (int64_t t = 0; t < T; ++t)
    betas[t] = std::min(1.0 - f(t + 1) / f(t), maxBeta);
  return betas;
}

std::vector<double> alphaBars(const std::vector<double> &betas) {
  // A running product: each factor adds one rounding of relative size 2^-53.
  // (Summing log1p(-beta) instead rounds at the magnitude of the growing sum,
  // about 10 for DDPM, and loses two more digits over 1000 steps.)
  std::vector<double> result(betas.size());
  double product = 1.0;
  for (size_t t = 0; t < betas.size(); ++t) {
    product *= 1.0 - betas[t];
    result[t] = product;
  }
  return result;
}

std::vector<int64_t> samplingTimesteps(int64_t T, int64_t steps, Spacing spacing,
                                       int64_t offset) {
  std::vector<int64_t> timesteps(steps);
  for (int64_t k = 0; k < steps; ++k) {
    switch (spacing) {
    case Spacing::Linspace: {
      // Position k of linspace(0, T-1, steps), read from the noisy end.
      double position = steps == 1 ? 0.0
                                   : static_cast<double>(T - 1) *
                                         static_cast<double>(steps - 1 - k) /
                                         static_cast<double>(steps - 1);
      timesteps[k] = static_cast<int64_t>(std::nearbyint(position));
      break;
    }
    case Spacing::Leading:
      timesteps[k] = (steps - 1 - k) * (T / steps);
      break;
    case Spacing::Trailing:
      timesteps[k] = static_cast<int64_t>(std::nearbyint(
                         static_cast<double>(T) -
                         static_cast<double>(k) * static_cast<double>(T) /
                             static_cast<double>(steps))) -
                     1;
      break;
    }
    timesteps[k] += offset;
  }
  return timesteps;
}

StepTables stepTables(const std::vector<double> &alphaBars,
                      const std::vector<int64_t> &timesteps, double finalAlphaBar) {
  StepTables tables;
  for (size_t i = 0; i < timesteps.size(); ++i) {
    tables.timestep.push_back(static_cast<double>(timesteps[i]));
    tables.alphaBar.push_back(alphaBars[timesteps[i]]);
    tables.alphaBarPrev.push_back(i + 1 < timesteps.size() ? alphaBars[timesteps[i + 1]]
                                                           : finalAlphaBar);
  }
  return tables;
}

} // namespace tweedie::numerics
