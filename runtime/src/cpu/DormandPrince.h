//===- DormandPrince.h - adaptive RK45 with a step size per sample --------===//
//
// Integrates dy/dt = v(y, t) for a micro-batch of rows with the Dormand-Prince
// 5(4) pair (Dormand & Prince 1980, FSAL) and the step-size control of Hairer,
// Norsett & Wanner (also scipy's RK45): error norm
// rms(err / (atol + rtol max(|y|, |y_new|))), factor 0.9 err^(-1/5) clamped to
// [0.2, 10]. Every row has its own time and step size, so a sample's path is
// the same whatever else is in its batch (scipy's solve_ivp on a flattened
// batch would couple them). Rows that are done still ride along in each
// evaluation (at their final state and time) but are never updated.
//
// The state, stages and error estimate are float64; only the velocity is
// evaluated in float32 (it is the network).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_DORMANDPRINCE_H
#define TWEEDIE_RUNTIME_CPU_DORMANDPRINCE_H

#include <cstdint>
#include <functional>
#include <vector>

namespace tweedie::cpu {

struct DormandPrinceOptions {
  double tStart = 1.0, tEnd = 0.0;
  double rtol = 1e-5, atol = 1e-5;
  /// Attempted steps (accepted or rejected) allowed per row.
  int64_t maxSteps = 1000;
};

/// What one integrate() call did, over its rows.
struct DormandPrinceStats {
  int64_t evaluations = 0;           // batched velocity evaluations
  int64_t maxAccepted = 0, maxRejected = 0; // per row, the largest
};

class DormandPrince {
public:
  /// The velocity of all `rows` rows: reads the stage state and times the
  /// integrator wrote into `stageState` / `stageTime`, returns the velocity
  /// (rows x width floats, valid until the next call).
  using Velocity = std::function<const float *()>;
  /// Progress of the slowest active row in [0, 1]; false cancels.
  using Progress = std::function<bool(double fraction)>;

  DormandPrince(int64_t rows, int64_t width, DormandPrinceOptions options);

  /// Integrates rows [from, to) of `state` (rows x width) in place from tStart
  /// to tEnd. Returns false when cancelled. Throws std::runtime_error naming
  /// the row when the velocity is not finite, the step size underflows or a
  /// row needs more than maxSteps steps. `rowName` maps a row to what the
  /// message calls it (the stream sample index).
  bool integrate(float *state, int64_t from, int64_t to, float *stageState, float *stageTime,
                 const Velocity &velocity, const Progress &progress,
                 const std::function<int64_t(int64_t)> &rowName);

  const DormandPrinceStats &stats() const { return stats_; }

private:
  void evaluate(const std::vector<double> &y, const std::vector<double> &t, float *stageState,
                float *stageTime, const Velocity &velocity, std::vector<double> &k);
  double errorNorm(int64_t row, const std::vector<double> &yNew) const;

  int64_t rows_, width_;
  DormandPrinceOptions options_;
  DormandPrinceStats stats_;
  std::vector<double> y_, stage_, yNew_, t_, h_, stageT_;
  std::vector<std::vector<double>> k_; // 7 stages
};

} // namespace tweedie::cpu

#endif
