//===- TrainingData.h - what tweedie-train draws its batches from ---------===//
#ifndef TWEEDIE_TOOLS_TRAININGDATA_H
#define TWEEDIE_TOOLS_TRAININGDATA_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tweedie::tools {

struct Batch {
  std::vector<float> examples;
  /// One-hot rows of numClasses (empty for unlabelled data).
  std::vector<float> labels;
};

struct TrainingData {
  /// One example's shape ({2} for the toy sets, {1, 28, 28} for images).
  std::vector<int64_t> sampleShape;
  /// Classes of the labels (0: unlabelled).
  int64_t numClasses = 0;
  /// Batch `stream` (the training step) of `count` examples.
  std::function<Batch(uint32_t stream, int64_t count)> draw;
};

/// The names --data accepts.
std::vector<std::string> trainingDataNames();

/// The toy set or image dataset `name`, keyed by `seed`; throws
/// std::invalid_argument naming the choices for an unknown one.
TrainingData openTrainingData(const std::string &name, uint64_t seed);

} // namespace tweedie::tools

#endif
