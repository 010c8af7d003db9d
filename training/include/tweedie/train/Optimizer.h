//===- Optimizer.h - Adam/AdamW with clipping, warm-up and EMA -----------===//
//
// The update a training step's gradients feed. The moments are float32 (as
// stored in a checkpoint); each element's update is computed in float64
// from them, so the same state and gradients always give the same weights.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_OPTIMIZER_H
#define TWEEDIE_TRAIN_OPTIMIZER_H

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tweedie::train {

struct AdamOptions {
  double learningRate = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  /// Decoupled weight decay (AdamW); 0: plain Adam.
  double weightDecay = 0.0;
  /// The learning rate ramps linearly from 0 over this many steps.
  int64_t warmupSteps = 0;
  /// Gradients are scaled down to this global L2 norm; 0: no clipping.
  double clipNorm = 0.0;
  /// Decay of the exponential moving average of the weights; 0: none.
  double emaDecay = 0.0;
};

/// One trained tensor's optimiser state.
struct ParameterState {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> m, v, ema;
};

class Adam {
public:
  Adam(AdamOptions options, std::vector<ParameterState> state, int64_t step = 0);

  /// Starts every moment at 0 and the EMA at the current weights.
  static std::vector<ParameterState> initialState(const std::vector<std::string> &names,
                                                  const std::vector<std::vector<int64_t>> &shapes,
                                                  const std::vector<std::span<const float>> &weights);

  /// Applies one update to `weights` (parallel to the state) from `grads`;
  /// returns the gradients' global norm before clipping.
  double update(const std::vector<std::span<float>> &weights,
                const std::vector<std::span<const float>> &grads);

  /// The learning rate of the next update (warm-up applied).
  double currentLearningRate() const;
  int64_t step() const { return step_; }
  const std::vector<ParameterState> &state() const { return state_; }
  const AdamOptions &options() const { return options_; }

private:
  AdamOptions options_;
  std::vector<ParameterState> state_;
  int64_t step_;
};

} // namespace tweedie::train

#endif
