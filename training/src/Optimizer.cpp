//===- Optimizer.cpp --------------------------------------------------------===//
#include "tweedie/train/Optimizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tweedie::train {

Adam::Adam(AdamOptions options, std::vector<ParameterState> state, int64_t step)
    : options_(options), state_(std::move(state)), step_(step) {
  if (!(options_.learningRate > 0) || !(options_.beta1 >= 0 && options_.beta1 < 1) ||
      !(options_.beta2 >= 0 && options_.beta2 < 1) || !(options_.epsilon > 0) ||
      options_.weightDecay < 0 || options_.warmupSteps < 0 || options_.clipNorm < 0 ||
      !(options_.emaDecay >= 0 && options_.emaDecay < 1))
    throw std::invalid_argument("Adam: a learning rate > 0, betas in [0, 1), epsilon > 0 and "
                                "non-negative decay, warm-up and clipping are needed");
}

std::vector<ParameterState>
Adam::initialState(const std::vector<std::string> &names,
                   const std::vector<std::vector<int64_t>> &shapes,
                   const std::vector<std::span<const float>> &weights) {
  std::vector<ParameterState> state;
  for (size_t k = 0; k < names.size(); ++k) {
    const size_t n = weights[k].size();
    state.push_back({names[k], shapes[k], std::vector<float>(n, 0.0f),
                     std::vector<float>(n, 0.0f),
                     std::vector<float>(weights[k].begin(), weights[k].end())});
  }
  return state;
}

double Adam::currentLearningRate() const {
  const double ramp = options_.warmupSteps > 0
                          ? std::min(1.0, static_cast<double>(step_ + 1) /
                                              static_cast<double>(options_.warmupSteps))
                          : 1.0;
  return options_.learningRate * ramp;
}

double Adam::update(const std::vector<std::span<float>> &weights,
                    const std::vector<std::span<const float>> &grads) {
  if (weights.size() != state_.size() || grads.size() != state_.size())
    throw std::invalid_argument("Adam: " + std::to_string(state_.size()) +
                                " parameters, but " + std::to_string(weights.size()) +
                                " weights and " + std::to_string(grads.size()) + " gradients");
  double sumSq = 0.0;
  for (const auto &g : grads)
    for (float x : g)
      sumSq += static_cast<double>(x) * x;
  const double norm = std::sqrt(sumSq);
  if (!std::isfinite(norm))
    throw std::runtime_error("a gradient is not finite at step " + std::to_string(step_) +
                             " (a diverging network: lower the learning rate or clip)");
  const double scale =
      options_.clipNorm > 0 && norm > options_.clipNorm ? options_.clipNorm / norm : 1.0;
  const double lr = currentLearningRate();
  ++step_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(step_));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  const double decay = options_.emaDecay;
  for (size_t k = 0; k < state_.size(); ++k) {
    ParameterState &s = state_[k];
    std::span<float> w = weights[k];
    std::span<const float> g = grads[k];
    if (w.size() != s.m.size() || g.size() != s.m.size())
      throw std::invalid_argument("Adam: parameter '" + s.name + "' changed size");
    for (size_t i = 0; i < w.size(); ++i) {
      const double gi = scale * g[i];
      const double m = b1 * s.m[i] + (1 - b1) * gi;
      const double v = b2 * s.v[i] + (1 - b2) * gi * gi;
      s.m[i] = static_cast<float>(m);
      s.v[i] = static_cast<float>(v);
      double p = w[i];
      p -= lr * ((m / c1) / (std::sqrt(v / c2) + options_.epsilon) +
                 options_.weightDecay * p);
      w[i] = static_cast<float>(p);
      if (decay > 0)
        s.ema[i] = static_cast<float>(decay * s.ema[i] + (1 - decay) * p);
      else
        s.ema[i] = w[i];
    }
  }
  return norm;
}

} // namespace tweedie::train
