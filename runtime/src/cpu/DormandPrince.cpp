//===- DormandPrince.cpp - adaptive RK45 with a step size per sample ------===//
#include "cpu/DormandPrince.h"
#include "tweedie/DormandPrinceTableau.h"
#include "tweedie/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tweedie::cpu {

namespace {

using namespace dormandprince;

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

} // namespace

DormandPrince::DormandPrince(int64_t rows, int64_t width, DormandPrinceOptions options)
    : rows_(rows), width_(width), options_(options) {
  const size_t n = static_cast<size_t>(rows * width);
  y_.resize(n);
  stage_.resize(n);
  yNew_.resize(n);
  t_.resize(rows);
  h_.resize(rows);
  stageT_.resize(rows);
  k_.assign(kStages, std::vector<double>(n));
}

void DormandPrince::evaluate(const std::vector<double> &y, const std::vector<double> &t,
                             float *stageState, float *stageTime, const Velocity &velocity,
                             std::vector<double> &k) {
  for (size_t e = 0; e < y.size(); ++e)
    stageState[e] = static_cast<float>(y[e]);
  for (int64_t r = 0; r < rows_; ++r)
    stageTime[r] = static_cast<float>(t[r]);
  const float *v = velocity();
  std::copy(v, v + y.size(), k.begin());
  ++stats_.evaluations;
}

double DormandPrince::errorNorm(int64_t row, const std::vector<double> &yNew) const {
  const int64_t begin = row * width_;
  const double h = h_[row];
  double sum = 0;
  for (int64_t e = begin; e < begin + width_; ++e) {
    double error = 0;
    for (int j = 0; j < kStages; ++j)
      error += kE[j] * k_[j][e];
    const double scale =
        options_.atol + options_.rtol * std::max(std::abs(y_[e]), std::abs(yNew[e]));
    const double ratio = h * error / scale;
    sum += ratio * ratio;
  }
  return std::sqrt(sum / static_cast<double>(width_));
}

bool DormandPrince::integrate(float *state, int64_t from, int64_t to, float *stageState,
                              float *stageTime, const Velocity &velocity,
                              const Progress &progress,
                              const std::function<int64_t(int64_t)> &rowName) {
  stats_ = {};
  const double tStart = options_.tStart, tEnd = options_.tEnd;
  const double span = tEnd - tStart, direction = span > 0 ? 1.0 : -1.0;
  const int64_t n = rows_ * width_;
  for (int64_t e = 0; e < n; ++e)
    y_[e] = state[e];
  std::fill(t_.begin(), t_.end(), tStart);
  std::vector<char> active(rows_, 0), rejectedLast(rows_, 0), lastStep(rows_, 0);
  std::vector<int64_t> accepted(rows_, 0), rejected(rows_, 0);
  for (int64_t r = from; r < to; ++r)
    active[r] = 1;

  auto rowBegin = [&](int64_t r) { return r * width_; };
  auto fail = [&](int64_t r, const std::string &what) {
    throw Error(ErrorKind::Numeric, "rk45: " + what + " in sample " +
                                        std::to_string(rowName(r)) + " at t = " + number(t_[r]));
  };
  auto checkFinite = [&](const std::vector<double> &k) {
    for (int64_t r = 0; r < rows_; ++r)
      if (active[r])
        for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e)
          if (!std::isfinite(k[e]))
            fail(r, "the velocity is not finite (diverging network or weights?)");
  };
  auto rms = [&](int64_t r, auto &&value) {
    double sum = 0;
    for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e) {
      const double scale = options_.atol + options_.rtol * std::abs(y_[e]);
      const double v = value(e) / scale;
      sum += v * v;
    }
    return std::sqrt(sum / static_cast<double>(width_));
  };

  // The initial step of each row (Hairer, Norsett & Wanner, II.4): from the
  // velocity at the start and one explicit Euler probe.
  evaluate(y_, t_, stageState, stageTime, velocity, k_[0]);
  checkFinite(k_[0]);
  std::vector<double> h0(rows_, 0.0), d1(rows_, 0.0);
  stage_ = y_;
  stageT_ = t_;
  for (int64_t r = 0; r < rows_; ++r) {
    if (!active[r])
      continue;
    const double d0 = rms(r, [&](int64_t e) { return y_[e]; });
    d1[r] = rms(r, [&](int64_t e) { return k_[0][e]; });
    h0[r] = std::min(d0 < 1e-5 || d1[r] < 1e-5 ? 1e-6 : 0.01 * d0 / d1[r], std::abs(span));
    for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e)
      stage_[e] = y_[e] + direction * h0[r] * k_[0][e];
    stageT_[r] = t_[r] + direction * h0[r];
  }
  evaluate(stage_, stageT_, stageState, stageTime, velocity, k_[1]);
  checkFinite(k_[1]);
  for (int64_t r = 0; r < rows_; ++r) {
    if (!active[r])
      continue;
    const double d2 = rms(r, [&](int64_t e) { return k_[1][e] - k_[0][e]; }) / h0[r];
    const double h1 = std::max(d1[r], d2) <= 1e-15
                          ? std::max(1e-6, h0[r] * 1e-3)
                          : std::pow(0.01 / std::max(d1[r], d2), 1.0 / 5);
    h_[r] = direction * std::min({100 * h0[r], h1, std::abs(span)});
  }

  auto anyActive = [&]() { return std::find(active.begin(), active.end(), 1) != active.end(); };
  while (anyActive()) {
    // Rows that are done keep h = 0: their stages are their final state.
    for (int64_t r = 0; r < rows_; ++r) {
      if (!active[r]) {
        h_[r] = 0;
        continue;
      }
      lastStep[r] = direction * (t_[r] + h_[r] - tEnd) >= 0;
      if (lastStep[r])
        h_[r] = tEnd - t_[r];
    }
    for (int s = 1; s < 6; ++s) {
      for (int64_t r = 0; r < rows_; ++r) {
        for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e) {
          double sum = 0;
          for (int j = 0; j < s; ++j)
            sum += kA[s][j] * k_[j][e];
          stage_[e] = y_[e] + h_[r] * sum;
        }
        stageT_[r] = t_[r] + kC[s] * h_[r];
      }
      evaluate(stage_, stageT_, stageState, stageTime, velocity, k_[s]);
      checkFinite(k_[s]);
    }
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e) {
        double sum = 0;
        for (int j = 0; j < 6; ++j)
          sum += kB[j] * k_[j][e];
        yNew_[e] = y_[e] + h_[r] * sum;
      }
      stageT_[r] = lastStep[r] ? tEnd : t_[r] + h_[r];
    }
    evaluate(yNew_, stageT_, stageState, stageTime, velocity, k_[6]);
    checkFinite(k_[6]);

    double slowest = 1.0;
    for (int64_t r = 0; r < rows_; ++r) {
      if (!active[r])
        continue;
      const double error = errorNorm(r, yNew_);
      const double factor = error == 0 ? kMaxFactor : kSafety * std::pow(error, kErrorExponent);
      if (error < 1) {
        ++accepted[r];
        t_[r] = stageT_[r];
        std::copy(yNew_.begin() + rowBegin(r), yNew_.begin() + rowBegin(r) + width_,
                  y_.begin() + rowBegin(r));
        std::copy(k_[6].begin() + rowBegin(r), k_[6].begin() + rowBegin(r) + width_,
                  k_[0].begin() + rowBegin(r));
        // No growth right after a rejection (the step just failed there).
        h_[r] *= std::min(rejectedLast[r] ? 1.0 : kMaxFactor, factor);
        rejectedLast[r] = 0;
        if (lastStep[r])
          active[r] = 0;
      } else {
        ++rejected[r];
        h_[r] *= std::max(kMinFactor, factor);
        rejectedLast[r] = 1;
      }
      if (!active[r])
        continue;
      if (accepted[r] + rejected[r] >= options_.maxSteps)
        fail(r, "no end after " + std::to_string(options_.maxSteps) +
                    " steps (raise steps=, or loosen rtol/atol)");
      if (std::abs(h_[r]) < 10 * std::numeric_limits<double>::epsilon() *
                                std::max(std::abs(t_[r]), std::abs(span)))
        fail(r, "the step size underflowed (the ODE is too stiff for rtol/atol)");
      slowest = std::min(slowest, (t_[r] - tStart) / span);
    }
    if (progress && !progress(slowest))
      return false;
  }

  for (int64_t r = from; r < to; ++r) {
    stats_.maxAccepted = std::max(stats_.maxAccepted, accepted[r]);
    stats_.maxRejected = std::max(stats_.maxRejected, rejected[r]);
    for (int64_t e = rowBegin(r); e < rowBegin(r) + width_; ++e)
      state[e] = static_cast<float>(y_[e]);
  }
  return true;
}

} // namespace tweedie::cpu
