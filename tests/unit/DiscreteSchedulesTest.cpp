//===- DiscreteSchedulesTest.cpp - float64 schedules vs closed forms ------===//
#include "tweedie/Numerics/DiscreteSchedules.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tweedie::numerics;

namespace {

TEST(DiscreteSchedules, LinearBetasHitBothEnds) {
  auto betas = linearBetas(1000, 1e-4, 0.02);
  ASSERT_EQ(betas.size(), 1000u);
  EXPECT_DOUBLE_EQ(betas.front(), 1e-4);
  EXPECT_DOUBLE_EQ(betas.back(), 0.02);
  EXPECT_NEAR(betas[500] - betas[499], (0.02 - 1e-4) / 999, 1e-18);
}

TEST(DiscreteSchedules, ScaledLinearIsLinearInSqrtBeta) {
  // Stable Diffusion's schedule (diffusers' scaled_linear): sqrt(beta) linear
  // from sqrt(0.00085) to sqrt(0.012); its abar at the last step is 0.00466,
  // the value diffusers' DDPMScheduler gives (computed in Python's float64).
  auto betas = scaledLinearBetas(1000, 0.00085, 0.012);
  EXPECT_NEAR(betas.front(), 0.00085, 1e-18);
  EXPECT_NEAR(betas.back(), 0.012, 1e-17);
  EXPECT_NEAR(betas[500], 0.00481495414171188, 1e-16);
  EXPECT_NEAR(alphaBars(betas).back(), 0.004660098513077234, 1e-15);
}

TEST(DiscreteSchedules, AlphaBarOfConstantBetaIsAPower) {
  auto bars = alphaBars(std::vector<double>(1000, 0.01));
  for (int t : {0, 9, 99, 999})
    EXPECT_NEAR(bars[t] / std::pow(0.99, t + 1), 1.0, 1e-13) << "t = " << t;
}

TEST(DiscreteSchedules, DDPMLinearAlphaBarAtTheEndIsTiny) {
  // Ho et al.'s schedule leaves abar_T = 4.04e-5 (signal std 0.0064).
  auto bars = alphaBars(linearBetas(1000, 1e-4, 0.02));
  EXPECT_NEAR(bars.back(), 4.0358e-5, 1e-8);
  EXPECT_NEAR(bars.front(), 1 - 1e-4, 1e-16);
}

TEST(DiscreteSchedules, CosineAlphaBarTelescopesToTheClosedForm) {
  // Without clipping, prod (f(i+1)/f(i)) = f(t+1)/f(0).
  const int64_t T = 1000;
  const double s = 0.008;
  auto bars = alphaBars(cosineBetas(T, s, 0.999));
  auto f = [&](double t) {
    double c = std::cos((t / T + s) / (1 + s) * M_PI / 2);
    return c * c;
  };
  for (int64_t t : {0, 10, 500, 990})
    EXPECT_NEAR(bars[t], f(t + 1) / f(0), 1e-12) << "t = " << t;
  // The last betas are clipped at max_beta.
  EXPECT_DOUBLE_EQ(cosineBetas(T, s, 0.999).back(), 0.999);
}

TEST(DiscreteSchedules, SpacingsMatchDiffusersConventions) {
  EXPECT_EQ(samplingTimesteps(1000, 10, Spacing::Linspace),
            (std::vector<int64_t>{999, 888, 777, 666, 555, 444, 333, 222, 111, 0}));
  EXPECT_EQ(samplingTimesteps(1000, 10, Spacing::Leading),
            (std::vector<int64_t>{900, 800, 700, 600, 500, 400, 300, 200, 100, 0}));
  EXPECT_EQ(samplingTimesteps(1000, 10, Spacing::Trailing),
            (std::vector<int64_t>{999, 899, 799, 699, 599, 499, 399, 299, 199, 99}));
  // Stable Diffusion's DDIM/PNDM config: leading spacing, steps_offset = 1.
  EXPECT_EQ(samplingTimesteps(1000, 10, Spacing::Leading, 1),
            (std::vector<int64_t>{901, 801, 701, 601, 501, 401, 301, 201, 101, 1}));
  // Every training step, in order, when steps == T.
  auto all = samplingTimesteps(1000, 1000, Spacing::Linspace);
  for (int64_t k = 0; k < 1000; ++k)
    ASSERT_EQ(all[k], 999 - k);
}

TEST(DiscreteSchedules, StepTablesChainAndEndAtCleanData) {
  auto bars = alphaBars(linearBetas(1000, 1e-4, 0.02));
  auto tables = stepTables(bars, samplingTimesteps(1000, 4, Spacing::Linspace));
  EXPECT_EQ(tables.timestep, (std::vector<double>{999, 666, 333, 0}));
  for (size_t i = 0; i + 1 < 4; ++i)
    EXPECT_EQ(tables.alphaBarPrev[i], tables.alphaBar[i + 1]);
  EXPECT_EQ(tables.alphaBarPrev.back(), 1.0);
  EXPECT_EQ(tables.alphaBar[0], bars[999]);
}

TEST(DiscreteSchedules, StepTablesEndAtTheGivenFinalAlphaBar) {
  // diffusers' set_alpha_to_one = False: the last step lands on abar_0, not 1.
  auto bars = alphaBars(linearBetas(1000, 1e-4, 0.02));
  auto tables = stepTables(bars, samplingTimesteps(1000, 4, Spacing::Leading, 1), bars.front());
  EXPECT_EQ(tables.timestep, (std::vector<double>{751, 501, 251, 1}));
  EXPECT_EQ(tables.alphaBarPrev.back(), bars.front());
  EXPECT_EQ(tables.alphaBarPrev[0], bars[501]);
}

} // namespace
