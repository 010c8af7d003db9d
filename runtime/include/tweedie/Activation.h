//===- Activation.h - the activations and their derivatives, once --------===//
//
// One definition shared by the float64 reference interpreter (T = double)
// and the float32 runtime kernels (T = float), as Noise.h is for the noise:
// the oracle and the executor cannot drift apart. The list of activations is
// Activations.def.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_ACTIVATION_H
#define TWEEDIE_ACTIVATION_H

#include <cmath>
#include <cstdint>
#include <numbers>

namespace tweedie {

enum class Activation : uint8_t {
  None = 0,
#define TWEEDIE_ACTIVATION(Enum, name) Enum,
#include "tweedie/Activations.def"
};

/// How many Activation values there are, None included.
inline constexpr uint8_t kNumActivations = 0
#define TWEEDIE_ACTIVATION(Enum, name) +1
#include "tweedie/Activations.def"
                                           + 1;

/// The dialect's keyword ("silu"), "none" for None, "unknown" out of range.
inline const char *activationName(Activation kind) {
  switch (kind) {
  case Activation::None:
    return "none";
#define TWEEDIE_ACTIVATION(Enum, name)                                                        \
  case Activation::Enum:                                                                      \
    return #name;
#include "tweedie/Activations.def"
  }
  return "unknown";
}

/// f(x). GELU is the exact erf form; softplus is log(1 + e^x) without
/// overflow for large x.
template <typename T> T activate(T x, Activation kind) {
  switch (kind) {
  case Activation::None:
    return x;
  case Activation::SiLU:
    return x / (T(1) + std::exp(-x));
  case Activation::GELU:
    return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
  case Activation::ReLU:
    return x > 0 ? x : T(0);
  case Activation::Tanh:
    return std::tanh(x);
  case Activation::Softplus:
    return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  case Activation::Exp:
    return std::exp(x);
  case Activation::Log:
    return std::log(x);
  case Activation::Sqrt:
    return std::sqrt(x);
  case Activation::Square:
    return x * x;
  case Activation::Reciprocal:
    return T(1) / x;
  case Activation::Sigmoid:
    return T(1) / (T(1) + std::exp(-x));
  }
  return x;
}

/// f'(x) (order 1) or f''(x) (order 2), what the reverse-mode rules of
/// score.act and of the epilogues emit.
template <typename T> T activationDerivative(T x, Activation kind, int order) {
  const bool second = order == 2;
  auto sigmoid = [](T v) { return T(1) / (T(1) + std::exp(-v)); };
  switch (kind) {
  case Activation::None:
    return second ? T(0) : T(1);
  case Activation::SiLU: { // f = x s(x)
    const T s = sigmoid(x);
    return second ? s * (1 - s) * (2 + x * (1 - 2 * s)) : s * (1 + x * (1 - s));
  }
  case Activation::GELU: { // f = x Phi(x)
    const T phi = std::exp(T(-0.5) * x * x) / std::sqrt(T(2) * std::numbers::pi_v<T>);
    return second ? phi * (2 - x * x) : T(0.5) * (1 + std::erf(x / std::sqrt(T(2)))) + x * phi;
  }
  case Activation::ReLU:
    return second ? T(0) : (x > 0 ? T(1) : T(0));
  case Activation::Tanh: {
    const T t = std::tanh(x);
    return second ? -2 * t * (1 - t * t) : 1 - t * t;
  }
  case Activation::Softplus: {
    const T s = sigmoid(x);
    return second ? s * (1 - s) : s;
  }
  case Activation::Exp:
    return std::exp(x);
  case Activation::Log:
    return second ? -1 / (x * x) : 1 / x;
  case Activation::Sqrt:
    return second ? T(-0.25) / (x * std::sqrt(x)) : T(0.5) / std::sqrt(x);
  case Activation::Square:
    return second ? T(2) : 2 * x;
  case Activation::Reciprocal:
    return second ? 2 / (x * x * x) : -1 / (x * x);
  case Activation::Sigmoid: {
    const T s = sigmoid(x);
    return second ? s * (1 - s) * (1 - 2 * s) : s * (1 - s);
  }
  }
  return T(0);
}

} // namespace tweedie

#endif
