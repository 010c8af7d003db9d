//===- DenseLayer.cpp -------------------------------------------------------===//
#include "cpu/DenseLayer.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

namespace {
std::span<const float> checked(std::span<const float> weights, std::span<const float> bias,
                               int64_t in, int64_t out) {
  if (static_cast<int64_t>(weights.size()) != in * out ||
      (!bias.empty() && static_cast<int64_t>(bias.size()) != out))
    throw std::invalid_argument("dense layer: " + std::to_string(weights.size()) +
                                " weights and " + std::to_string(bias.size()) +
                                " biases do not fit [" + std::to_string(in) + ", " +
                                std::to_string(out) + "]");
  return weights;
}
} // namespace

DenseLayer::DenseLayer(CpuContext &, int64_t in, int64_t out, std::span<const float> weights,
                       std::span<const float> bias, Epilogue epilogue)
    : epilogue_(epilogue),
      weights_(checked(weights, bias, in, out), in, out), bias_(bias.begin(), bias.end()),
      activation_(epilogue.activation) {}

void DenseLayer::run(CpuContext &context, int64_t rows, const float *x, float *y,
                     const float *residual, const float *bias) {
  if (epilogue_.residual != (residual != nullptr))
    throw std::invalid_argument("dense layer: residual given/expected mismatch");
  if (!bias && !bias_.empty())
    bias = bias_.data();
  rowInvariantGemm(weights_, rows, x, y, bias);
  const int64_t count = rows * outputs();
  if (epilogue_.activation != Activation::None)
    activation_.run(context, y, y, count);
  if (residual)
    for (int64_t i = 0; i < count; ++i)
      y[i] += residual[i];
}

} // namespace tweedie::cpu
