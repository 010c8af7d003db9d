//===- DormandPrinceTest.cpp - the runtime's adaptive RK45 ---------------===//
//
// Against closed forms: y' = lambda_r y (a different rate per row) and a
// rotation y' = w J y, integrated backwards in time as the samplers do.
//
//===----------------------------------------------------------------------===//
#include "cpu/DormandPrince.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

using namespace tweedie::cpu;

namespace {

/// Rows x width buffers the integrator writes its stages into, and the
/// velocity computed from them.
struct Harness {
  Harness(int64_t rows, int64_t width)
      : rows(rows), width(width), stage(rows * width), time(rows), out(rows * width) {}
  int64_t rows, width;
  std::vector<float> stage, time, out;
};

/// y' = lambda_r y per row: y(t_end) = y0 exp(lambda (t_end - t_start)).
struct Exponential : Harness {
  Exponential(std::vector<double> rates, int64_t width)
      : Harness(static_cast<int64_t>(rates.size()), width), rates(std::move(rates)) {}
  const float *operator()() {
    ++calls;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t e = 0; e < width; ++e)
        out[r * width + e] = static_cast<float>(rates[r] * stage[r * width + e]);
    return out.data();
  }
  std::vector<double> rates;
  int64_t calls = 0;
};

std::vector<float> integrate(DormandPrince &solver, Exponential &f, std::vector<float> y,
                             int64_t from = -1, int64_t to = -1) {
  if (from < 0) {
    from = 0;
    to = f.rows;
  }
  EXPECT_TRUE(solver.integrate(y.data(), from, to, f.stage.data(), f.time.data(),
                               [&] { return f(); }, nullptr, [](int64_t r) { return r; }));
  return y;
}

TEST(DormandPrinceTest, ReachesTheClosedFormWithinTheTolerance) {
  // t from 1 down to 0.001, as a VP sampler runs.
  const std::vector<double> rates = {0.5, -1.0, 2.0, 3.0};
  for (double tol : {1e-3, 1e-5}) {
    DormandPrinceOptions options{1.0, 1e-3, tol, tol, 10000};
    Exponential f(rates, 3);
    DormandPrince solver(f.rows, f.width, options);
    std::vector<float> y0 = {1, -0.5f, 0.25f, 1, 1, 1, -2, 0.1f, 0.3f, 0.7f, -0.7f, 0.2f};
    std::vector<float> y = integrate(solver, f, y0);
    for (int64_t r = 0; r < f.rows; ++r)
      for (int64_t e = 0; e < f.width; ++e) {
        const double exact = y0[r * 3 + e] * std::exp(rates[r] * (1e-3 - 1.0));
        // The local tolerance bounds the global error up to a modest factor
        // (and the float32 velocity adds ~1e-7 relative).
        EXPECT_NEAR(y[r * 3 + e], exact, 20 * tol * (1 + std::abs(exact)) + 1e-6)
            << "tol " << tol << " row " << r;
      }
    EXPECT_GT(solver.stats().maxAccepted, 1);
  }
}

TEST(DormandPrinceTest, TighterTolerancesTakeMoreStepsAndErrLess) {
  DormandPrinceOptions loose{1.0, 0.0, 1e-3, 1e-3, 10000}, tight{1.0, 0.0, 1e-7, 1e-7, 10000};
  auto run = [](DormandPrinceOptions options, double &error) {
    Exponential f({4.0}, 1);
    DormandPrince solver(1, 1, options);
    std::vector<float> y = integrate(solver, f, {1.0f});
    error = std::abs(y[0] - std::exp(-4.0));
    return solver.stats().maxAccepted;
  };
  double looseError = 0, tightError = 0;
  const int64_t looseSteps = run(loose, looseError), tightSteps = run(tight, tightError);
  EXPECT_GT(tightSteps, 2 * looseSteps);
  EXPECT_LT(tightError, looseError / 10);
  EXPECT_LT(tightError, 1e-6);
}

TEST(DormandPrinceTest, FifthOrderSolutionIsExactForQuinticPaths) {
  // y' = 5 t^4 has y(t) = t^5: the fifth-order weights integrate it exactly,
  // so the error estimate stays tiny and the steps grow to their cap.
  struct Quintic : Harness {
    using Harness::Harness;
    const float *operator()() {
      for (int64_t r = 0; r < rows; ++r)
        out[r] = static_cast<float>(5.0 * std::pow(time[r], 4));
      return out.data();
    }
  } f(1, 1);
  DormandPrince solver(1, 1, {2.0, 0.0, 1e-6, 1e-6, 1000});
  std::vector<float> y = {32.0f};
  ASSERT_TRUE(solver.integrate(y.data(), 0, 1, f.stage.data(), f.time.data(),
                               [&] { return f(); }, nullptr, [](int64_t r) { return r; }));
  EXPECT_NEAR(y[0], 0.0, 1e-4);
  // Accepted steps grow the step (at most 10x each): few steps in all.
  EXPECT_LE(solver.stats().maxAccepted, 12);
}

TEST(DormandPrinceTest, ARowsPathDoesNotDependOnItsBatch) {
  // Row 1 alone and among rows with very different stiffness: same bits.
  DormandPrinceOptions options{1.0, 1e-3, 1e-5, 1e-5, 10000};
  Exponential alone({-1.5}, 2), together({30.0, -1.5, 0.1}, 2);
  DormandPrince soloSolver(1, 2, options), batchSolver(3, 2, options);
  std::vector<float> solo = integrate(soloSolver, alone, {0.3f, -0.8f});
  std::vector<float> batch = integrate(batchSolver, together, {1, 1, 0.3f, -0.8f, 2, 2});
  EXPECT_EQ(solo[0], batch[2]);
  EXPECT_EQ(solo[1], batch[3]);
  // The stiff row needed more steps, so the batch ran longer than row 1 alone.
  EXPECT_GT(together.calls, alone.calls);
}

TEST(DormandPrinceTest, RowsOutsideTheRangeAreLeftAlone) {
  DormandPrinceOptions options{1.0, 0.0, 1e-5, 1e-5, 10000};
  Exponential f({1.0, 1.0, 1.0}, 1);
  DormandPrince solver(3, 1, options);
  std::vector<float> y = integrate(solver, f, {1, 1, 1}, 1, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_NEAR(y[1], std::exp(-1.0), 1e-4);
}

TEST(DormandPrinceTest, NonFiniteVelocityNamesTheSample) {
  struct Blowup : Harness {
    using Harness::Harness;
    const float *operator()() {
      for (int64_t r = 0; r < rows; ++r)
        out[r] = r == 1 ? NAN : 1.0f;
      return out.data();
    }
  } f(2, 1);
  DormandPrince solver(2, 1, {1.0, 0.0, 1e-5, 1e-5, 100});
  std::vector<float> y = {0, 0};
  try {
    solver.integrate(y.data(), 0, 2, f.stage.data(), f.time.data(), [&] { return f(); },
                     nullptr, [](int64_t r) { return 100 + r; });
    FAIL() << "no error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sample 101"), std::string::npos) << e.what();
  }
}

TEST(DormandPrinceTest, StepBudgetIsEnforced) {
  Exponential f({-50.0}, 1);
  DormandPrince solver(1, 1, {1.0, 0.0, 1e-9, 1e-9, 5});
  std::vector<float> y = {1.0f};
  EXPECT_THROW(solver.integrate(y.data(), 0, 1, f.stage.data(), f.time.data(),
                                [&] { return f(); }, nullptr, [](int64_t r) { return r; }),
               std::runtime_error);
}

} // namespace
