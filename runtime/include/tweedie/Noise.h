//===- Noise.h - the standard normal noise every Tweedie sampler draws ---===//
//
// One definition shared by the runtime, the generated kernels and the
// compiler's reference interpreter, so compiled samples can be compared with
// the float64 oracle noise for noise.
//
// Element e of sample i at step s, draw d, under a 64-bit seed:
//   key     = (seed & 0xffffffff, seed >> 32)
//   counter = (e / 4, i, s, d)
//   words   = Philox4x32-10(counter, key)
//   pair p  = (e % 4) / 2 -> Box-Muller on (words[2p], words[2p+1]) in float64;
//   even e takes the cosine branch, odd e the sine branch.
// Nothing depends on the batch, the thread or the device, only on (i, s, d, e).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_NOISE_H
#define TWEEDIE_NOISE_H

#include "tweedie/Philox.h"

#include <cstdint>

namespace tweedie {

/// The step index of the prior draw x_T, taken before step 0.
constexpr uint32_t kPriorStep = 0xFFFFFFFFu;

/// One standard normal (float64) of the stream described above.
inline double noiseAt(uint64_t seed, uint32_t sample, uint32_t step, uint32_t draw,
                      uint64_t element) {
  const PhiloxKey key = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  const PhiloxCounter words =
      philox4x32({static_cast<uint32_t>(element / 4), sample, step, draw}, key);
  const unsigned pair = static_cast<unsigned>(element % 4) / 2;
  const auto normals =
      boxMuller(uniformOpen01(words[2 * pair]), uniformOpen01(words[2 * pair + 1]));
  return normals[element % 2];
}

/// One uniform number in (0, 1) per (sample, step, draw): element 0's first
/// Philox word, the draw an objective turns into a noise level.
inline double uniformAt(uint64_t seed, uint32_t sample, uint32_t step, uint32_t draw) {
  const PhiloxKey key = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  return uniformOpen01(philox4x32({0u, sample, step, draw}, key)[0]);
}

/// Entry floor(u K) of a K-entry table (`discrete`: a level drawn uniformly),
/// or its piecewise-linear interpolant at u (K - 1). u is clamped to [0, 1]:
/// a float-rounded uniform can reach 1.
inline double tableAt(const double *table, uint64_t count, double u, bool discrete) {
  u = u < 0.0 ? 0.0 : (u > 1.0 ? 1.0 : u);
  if (discrete) {
    uint64_t i = static_cast<uint64_t>(u * static_cast<double>(count));
    return table[i < count ? i : count - 1];
  }
  const double position = u * static_cast<double>(count - 1);
  uint64_t i = static_cast<uint64_t>(position);
  if (i + 1 >= count)
    return table[count - 1];
  const double w = position - static_cast<double>(i);
  return table[i] + w * (table[i + 1] - table[i]);
}

/// `count` consecutive elements (starting at 0) of one sample, rounded to
/// float: what a float32 sampler adds.
inline void fillSampleNoise(float *out, uint64_t count, uint64_t seed, uint32_t sample,
                            uint32_t step, uint32_t draw) {
  for (uint64_t e = 0; e < count; ++e)
    out[e] = static_cast<float>(noiseAt(seed, sample, step, draw, e));
}

/// The sampler's initial state for `rows` samples of `width` elements,
/// samples firstSample, firstSample + 1, ... of `seed`'s stream: the caller's
/// `noise` rows when given, else the stream's normals at kPriorStep, times
/// `scale` (rounded to float) unless it is 1. Both backends start from it.
inline void fillPrior(float *out, int64_t rows, int64_t width, uint64_t seed,
                      int64_t firstSample, const float *noise, double scale) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = out + r * width;
    if (noise)
      for (int64_t e = 0; e < width; ++e)
        row[e] = noise[r * width + e];
    else
      fillSampleNoise(row, static_cast<uint64_t>(width), seed,
                      static_cast<uint32_t>(firstSample + r), kPriorStep, 0);
  }
  if (scale != 1.0) {
    const float factor = static_cast<float>(scale);
    for (int64_t e = 0; e < rows * width; ++e)
      out[e] *= factor;
  }
}

/// The signs of the same normals (+-1, equally likely): Rademacher probes.
inline void fillSampleSigns(float *out, uint64_t count, uint64_t seed, uint32_t sample,
                            uint32_t step, uint32_t draw) {
  for (uint64_t e = 0; e < count; ++e)
    out[e] = noiseAt(seed, sample, step, draw, e) < 0 ? -1.0f : 1.0f;
}

} // namespace tweedie

#endif
