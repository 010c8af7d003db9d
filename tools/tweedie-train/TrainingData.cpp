//===- TrainingData.cpp -----------------------------------------------------===//
#include "TrainingData.h"
#include "tweedie/train/ImageData.h"
#include "tweedie/train/ToyData.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <stdexcept>

namespace tweedie::tools {

namespace {
constexpr const char *kFashionMnist = "fashion-mnist";
} // namespace

std::vector<std::string> trainingDataNames() {
  std::vector<std::string> names = train::toyDataNames();
  names.push_back(kFashionMnist);
  return names;
}

namespace {
/// Batches drawn with replacement from a user's training examples.
TrainingData userData(const std::string &source, uint64_t seed, const DataOptions &options) {
  train::ExampleSet all = train::loadUserData(source, {options.sampleShape, options.resize});
  train::HeldOutSplit split = train::splitHeldOut(all, options.holdout, seed);
  if (split.train.count == 0)
    throw std::invalid_argument(fmt::format("--data {}: no example left to train on", source));
  auto examples = std::make_shared<const train::ExampleSet>(std::move(split.train));
  TrainingData data;
  data.sampleShape = examples->sampleShape;
  data.draw = [examples, seed](uint32_t stream, int64_t count) {
    const std::vector<int64_t> indices =
        train::drawIndices(seed, stream, count, examples->count);
    return Batch{examples->gather(indices), {}};
  };
  if (split.heldOut.count > 0)
    data.heldOut = std::make_shared<const train::ExampleSet>(std::move(split.heldOut));
  return data;
}
} // namespace

TrainingData openTrainingData(const std::string &name, uint64_t seed,
                              const DataOptions &options) {
  if (train::namesUserData(name))
    return userData(name, seed, options);
  if (name == kFashionMnist) {
    auto images = std::make_shared<train::LabelledImages>(train::loadFashionMnist(train::Split::Train));
    TrainingData data;
    data.sampleShape = {1, images->height, images->width};
    data.numClasses = 10;
    data.draw = [images, seed](uint32_t stream, int64_t count) {
      const std::vector<int64_t> indices = train::drawIndices(seed, stream, count, images->count);
      Batch batch{train::imagesAsFloats(*images, indices), std::vector<float>(count * 10, 0.0f)};
      for (int64_t r = 0; r < count; ++r)
        batch.labels[r * 10 + images->labels[indices[r]]] = 1.0f;
      return batch;
    };
    return data;
  }
  std::optional<train::ToyData> toy = train::toyDataNamed(name);
  if (!toy)
    throw std::invalid_argument(fmt::format("--data '{}' is not one of: {}, a .npy file or a "
                                            "folder of PNG images",
                                            name, fmt::join(trainingDataNames(), ", ")));
  TrainingData data;
  data.sampleShape = {2};
  data.draw = [kind = *toy, seed](uint32_t stream, int64_t count) {
    return Batch{train::drawToyData(kind, seed, stream, 0, count), {}};
  };
  return data;
}

} // namespace tweedie::tools
