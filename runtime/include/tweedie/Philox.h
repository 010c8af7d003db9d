//===- Philox.h - Philox4x32-10 counter-based random numbers -------------===//
//
// Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11): the
// generator of Random123, cuRAND and JAX. Being a pure function of (counter,
// key), sample i's noise never depends on batch size, thread count or device.
// Header-only and dependency-free so the compiler's reference interpreter, the
// CPU runtime and the generated CUDA noise kernel share one definition.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_PHILOX_H
#define TWEEDIE_PHILOX_H

#include "tweedie/NoiseMath.h"

#include <array>
#include <cmath>
#include <cstdint>

namespace tweedie {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// Ten Philox rounds on `counter` under `key`.
constexpr PhiloxCounter philox4x32(PhiloxCounter counter, PhiloxKey key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u; // key schedule
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    const uint64_t p0 = uint64_t{kMul0} * counter[0];
    const uint64_t p1 = uint64_t{kMul1} * counter[2];
    counter = {static_cast<uint32_t>(p1 >> 32) ^ counter[1] ^ key[0],
               static_cast<uint32_t>(p1),
               static_cast<uint32_t>(p0 >> 32) ^ counter[3] ^ key[1],
               static_cast<uint32_t>(p0)};
  }
  return counter;
}

/// 32 random bits to a uniform in the open interval (0, 1): (u + 1/2) 2^-32,
/// never 0, so log() in Box-Muller stays finite.
constexpr double uniformOpen01(uint32_t bits) {
  return (static_cast<double>(bits) + 0.5) * (1.0 / 4294967296.0);
}

/// Two independent standard normals from two uniforms (Box-Muller), float64.
/// The log and the sine and cosine are Tweedie's own (NoiseMath.h), so the
/// bits are the same on every CPU and GPU.
TWEEDIE_EXACT_FP_FUNCTION inline std::array<double, 2> boxMuller(double u1, double u2) {
  TWEEDIE_EXACT_FP
  const double radius = std::sqrt(-2.0 * noisemath::logOfPositive(u1));
  const auto [c, s] = noisemath::cosSinTurns(u2);
  return {radius * c, radius * s};
}

} // namespace tweedie

#endif
