//===- ToyData.h - the 2-D toy distributions, drawn in-process -----------===//
//
// Point i of stream s under a seed is a pure function of (seed, i, s): a
// training batch is stream = step, so a resumed run sees the same data, and
// an evaluation draws fresh points from streams no training step uses.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_TOYDATA_H
#define TWEEDIE_TRAIN_TOYDATA_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tweedie::train {

enum class ToyData { EightGaussians, Rings, Moons, SwissRoll, Checkerboard };

/// "8gaussians", "rings", "moons", "swissroll", "checkerboard".
const std::vector<std::string> &toyDataNames();
std::optional<ToyData> toyDataNamed(const std::string &name);

/// The first evaluation stream: training steps stay below it.
inline constexpr uint32_t kEvaluationStream = 0xF0000000u;

/// `count` points (count x 2 floats) starting at index `first` of `stream`.
std::vector<float> drawToyData(ToyData kind, uint64_t seed, uint32_t stream, int64_t first,
                               int64_t count);

} // namespace tweedie::train

#endif
