//===- ImageQuality.h - Fréchet distance of samples on classifier features -===//
#ifndef TWEEDIE_TOOLS_IMAGEQUALITY_H
#define TWEEDIE_TOOLS_IMAGEQUALITY_H

#include <cstdint>
#include <string>
#include <vector>

namespace tweedie::tools {

struct ClassifierFiles {
  std::string model = "models/fmnist_classifier.mlir";
  std::string weights = "models/fmnist_classifier.safetensors";
  std::string features = "fmnist_features", logits = "fmnist_classifier";
};

struct ImageQuality {
  int64_t count = 0, featureDim = 0;
  /// Samples against `count` training images, and held-out (test) images
  /// against the same training images: the floor a perfect sampler reaches.
  double frechet = 0, frechetHeldOut = 0;
  /// The classifier's accuracy on the whole held-out set (what its features
  /// are worth), and the share of samples it puts in each class.
  double heldOutAccuracy = 0;
  std::vector<double> sampleClassShares;
};

/// `samples` [n, 1, 28, 28] in [-1, 1] against Fashion-MNIST. Throws
/// std::runtime_error (or std::invalid_argument for wrong shapes) naming
/// what is wrong.
ImageQuality evaluateImages(const std::vector<float> &samples, const std::vector<int64_t> &shape,
                            const ClassifierFiles &classifier, uint64_t seed);

} // namespace tweedie::tools

#endif
