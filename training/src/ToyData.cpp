//===- ToyData.cpp - after FFJORD's toy sets (Grathwohl et al. 2019) -------===//
#include "tweedie/train/ToyData.h"
#include "tweedie/Noise.h"

#include <cmath>
#include <numbers>

namespace tweedie::train {

namespace {

/// Independent draws of one point: uniforms 0..3, normals from draw 4 on.
struct PointDraws {
  uint64_t seed;
  uint32_t index, stream;
  double uniform(uint32_t d) const { return uniformAt(seed, index, stream, d); }
  double normal(uint64_t e) const { return noiseAt(seed, index, stream, 4, e); }
};

std::pair<double, double> point(ToyData kind, const PointDraws &p) {
  constexpr double pi = std::numbers::pi;
  switch (kind) {
  case ToyData::EightGaussians: {
    // Centers on a circle of radius 2, standard deviation 0.5 / sqrt 2.
    const double k = std::floor(p.uniform(0) * 8.0);
    const double a = 2 * pi * k / 8.0, s = 0.5 / std::sqrt(2.0);
    return {2 * std::cos(a) + s * p.normal(0), 2 * std::sin(a) + s * p.normal(1)};
  }
  case ToyData::Rings: {
    // Four concentric circles, radii 0.5 to 2, noise 0.08.
    const double r = 0.5 * (1 + std::floor(p.uniform(0) * 4.0));
    const double a = 2 * pi * p.uniform(1);
    return {r * std::cos(a) + 0.08 * p.normal(0), r * std::sin(a) + 0.08 * p.normal(1)};
  }
  case ToyData::Moons: {
    // scikit-learn's two moons, centred and scaled by 2, noise 0.1.
    const double a = pi * p.uniform(1);
    const bool upper = p.uniform(0) < 0.5;
    const double x = upper ? std::cos(a) : 1 - std::cos(a);
    const double y = upper ? std::sin(a) : 0.5 - std::sin(a);
    return {2 * (x - 0.5) + 0.1 * p.normal(0), 2 * (y - 0.25) + 0.1 * p.normal(1)};
  }
  case ToyData::SwissRoll: {
    // t in [1.5 pi, 4.5 pi], (t cos t, t sin t) / 5, noise 0.1.
    const double t = 1.5 * pi * (1 + 2 * p.uniform(0));
    return {t * std::cos(t) / 5 + 0.1 * p.normal(0), t * std::sin(t) / 5 + 0.1 * p.normal(1)};
  }
  case ToyData::Checkerboard: {
    // Eight unit squares of a 4x4 board on [-2, 2]^2.
    const double x = 4 * p.uniform(0) - 2;
    const double y = p.uniform(1) - 2 * std::floor(p.uniform(2) * 2.0);
    return {x, y + std::fmod(std::floor(x) + 4.0, 2.0)};
  }
  }
  return {0, 0};
}

} // namespace

const std::vector<std::string> &toyDataNames() {
  static const std::vector<std::string> names = {"8gaussians", "rings", "moons", "swissroll",
                                                 "checkerboard"};
  return names;
}

std::optional<ToyData> toyDataNamed(const std::string &name) {
  const auto &names = toyDataNames();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return static_cast<ToyData>(i);
  return std::nullopt;
}

std::vector<float> drawToyData(ToyData kind, uint64_t seed, uint32_t stream, int64_t first,
                               int64_t count) {
  std::vector<float> out(static_cast<size_t>(2 * count));
  for (int64_t i = 0; i < count; ++i) {
    auto [x, y] = point(kind, {seed, static_cast<uint32_t>(first + i), stream});
    out[2 * i] = static_cast<float>(x);
    out[2 * i + 1] = static_cast<float>(y);
  }
  return out;
}

} // namespace tweedie::train
