//===- TrainingData.h - what tweedie-train draws its batches from ---------===//
#ifndef TWEEDIE_TOOLS_TRAININGDATA_H
#define TWEEDIE_TOOLS_TRAININGDATA_H

#include "tweedie/train/UserData.h"

#include <cstdint>
#include <functional>
#include <memory>
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
  /// A user's data: the examples held out of training (null for the
  /// built-in sets, whose fresh draws are unseen anyway).
  std::shared_ptr<const train::ExampleSet> heldOut;
};

/// How a user's data is read.
struct DataOptions {
  /// The network's example shape (a PNG folder is checked or resized to it).
  std::vector<int64_t> sampleShape;
  bool resize = false;
  /// The share of a user's examples held out of training.
  double holdout = 0.05;
};

/// The names --data accepts besides a .npy file or a folder of PNGs.
std::vector<std::string> trainingDataNames();

/// The toy set, image dataset, .npy file or PNG folder `source`, keyed by
/// `seed`; throws std::invalid_argument naming the choices for an unknown
/// name, io::FormatError for unreadable data.
TrainingData openTrainingData(const std::string &source, uint64_t seed,
                              const DataOptions &options = {});

} // namespace tweedie::tools

#endif
