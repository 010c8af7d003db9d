//===- DormandPrinceTableau.h - RK45's coefficients and control constants -===//
//
// The Dormand-Prince 5(4) pair (Dormand & Prince 1980) and the step-size
// control of Hairer, Norsett & Wanner, written once for every place that
// integrates with it: the CPU's integrator (cpu/DormandPrince.cpp), the
// CUDA driver that queues its stages (cuda/Integrator.cpp) and the kernels
// the compiler generates for its control (Target/CUDA/IntegratorKernels.cpp).
// Stage 6 is evaluated at the new point, the next step's stage 0 (first same
// as last).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DORMANDPRINCETABLEAU_H
#define TWEEDIE_DORMANDPRINCETABLEAU_H

namespace tweedie::dormandprince {

inline constexpr int kStages = 7;
/// The stages' times, as fractions of the step.
inline constexpr double kC[kStages] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
/// Stage s's weights of stages j < s (row s, zeros past s).
inline constexpr double kA[6][6] = {
    {0, 0, 0, 0, 0, 0},
    {1.0 / 5, 0, 0, 0, 0, 0},
    {3.0 / 40, 9.0 / 40, 0, 0, 0, 0},
    {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0}};
/// The fifth-order solution.
inline constexpr double kB[6] = {35.0 / 384,     0,         500.0 / 1113, 125.0 / 192,
                                 -2187.0 / 6784, 11.0 / 84};
/// Fifth- minus fourth-order weights: the local error estimate is h sum E_j k_j.
inline constexpr double kE[kStages] = {-71.0 / 57600,    0,           71.0 / 16695, -71.0 / 1920,
                                       17253.0 / 339200, -22.0 / 525, 1.0 / 40};
/// The next step is h safety err^exponent, the factor clamped to
/// [minFactor, maxFactor] (no growth right after a rejection).
inline constexpr double kSafety = 0.9, kMinFactor = 0.2, kMaxFactor = 10.0;
inline constexpr double kErrorExponent = -1.0 / 5; // 1 / (error order + 1)

} // namespace tweedie::dormandprince

#endif
