//===- ImageQuality.cpp -----------------------------------------------------===//
#include "ImageQuality.h"
#include "tweedie/BatchExecutor.h"
#include "tweedie/Driver/CompileTraining.h"
#include "tweedie/train/FrechetDistance.h"
#include "tweedie/train/ImageData.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace tweedie::tools {

namespace {

constexpr int64_t kEvaluationBatch = 250;

/// A network of the classifier file, run over any number of images in
/// fixed-size batches (the last one padded).
class Evaluator {
public:
  Evaluator(const ClassifierFiles &files, const std::string &function) {
    for (const std::string &path : {files.model, files.weights})
      if (!std::filesystem::exists(path))
        throw std::runtime_error("the classifier file " + path +
                                 " does not exist here (run from the repository root, or pass "
                                 "--classifier and --classifier-weights)");
    module::ModuleDesc desc;
    if (!compileEvaluation(files.model, function, files.weights, desc, "tweedie-eval"))
      throw std::runtime_error("cannot compile @" + function + " of " + files.model);
    step_ = std::make_unique<BatchExecutor>(std::move(desc), kEvaluationBatch);
    const std::vector<int64_t> out = step_->outputShape();
    if (out.size() != 1)
      throw std::runtime_error("@" + function + " must return [B, D] rows, not [B, " +
                               fmt::format("{}", fmt::join(out, ", ")) + "]");
    width_ = out[0];
  }

  int64_t width() const { return width_; }

  std::vector<float> operator()(const std::vector<float> &images, int64_t count) {
    const int64_t pixels = static_cast<int64_t>(images.size()) / std::max<int64_t>(count, 1);
    std::vector<float> out(count * width_), batch(kEvaluationBatch * pixels);
    for (int64_t first = 0; first < count; first += kEvaluationBatch) {
      const int64_t n = std::min(kEvaluationBatch, count - first);
      std::fill(batch.begin(), batch.end(), 0.0f);
      std::copy_n(images.begin() + first * pixels, n * pixels, batch.begin());
      std::span<const float> result = step_->evaluate(batch.data());
      std::copy_n(result.begin(), n * width_, out.begin() + first * width_);
    }
    return out;
  }

private:
  std::unique_ptr<BatchExecutor> step_;
  int64_t width_ = 0;
};

std::vector<int64_t> firstIndices(int64_t count) {
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i)
    indices[i] = i;
  return indices;
}

} // namespace

ImageQuality evaluateImages(const std::vector<float> &samples, const std::vector<int64_t> &shape,
                            const ClassifierFiles &classifier, uint64_t seed) {
  if (shape.size() != 4 || shape[1] != 1 || shape[2] != 28 || shape[3] != 28)
    throw std::invalid_argument(fmt::format(
        "expected Fashion-MNIST-shaped samples [N, 1, 28, 28], got [{}]", fmt::join(shape, ", ")));
  const int64_t n = shape[0];
  if (n < 2)
    throw std::invalid_argument("a Fréchet distance needs at least 2 samples");
  const train::LabelledImages trainSet = train::loadFashionMnist(train::Split::Train);
  const train::LabelledImages testSet = train::loadFashionMnist(train::Split::Test);
  if (n > testSet.count)
    throw std::invalid_argument(fmt::format("at most {} samples: the held-out set has no more",
                                            testSet.count));
  // Training images drawn by index (an evaluation stream), the held-out
  // images taken in order.
  const std::vector<int64_t> trainIndices =
      train::drawIndices(seed, 0xF0000000u, n, trainSet.count);
  const std::vector<int64_t> testIndices = firstIndices(n);
  const std::vector<float> reference = train::imagesAsFloats(trainSet, trainIndices);
  const std::vector<float> heldOut = train::imagesAsFloats(testSet, testIndices);

  Evaluator features(classifier, classifier.features);
  const int64_t dim = features.width();
  const train::GaussianFit referenceFit = train::fitGaussian(features(reference, n), dim);
  ImageQuality q;
  q.count = n;
  q.featureDim = dim;
  q.frechet = train::frechetDistance(train::fitGaussian(features(samples, n), dim), referenceFit);
  q.frechetHeldOut =
      train::frechetDistance(train::fitGaussian(features(heldOut, n), dim), referenceFit);

  Evaluator logits(classifier, classifier.logits);
  const int64_t classes = logits.width();
  auto predictions = [&](const std::vector<float> &images, int64_t count) {
    const std::vector<float> l = logits(images, count);
    std::vector<int64_t> out(count);
    for (int64_t i = 0; i < count; ++i)
      out[i] = std::max_element(l.begin() + i * classes, l.begin() + (i + 1) * classes) -
               (l.begin() + i * classes);
    return out;
  };
  // Accuracy over the whole held-out set, not only the images compared.
  const std::vector<int64_t> predicted =
      predictions(train::imagesAsFloats(testSet, firstIndices(testSet.count)), testSet.count);
  int64_t correct = 0;
  for (int64_t i = 0; i < testSet.count; ++i)
    correct += predicted[i] == testSet.labels[i];
  q.heldOutAccuracy = static_cast<double>(correct) / static_cast<double>(testSet.count);
  q.sampleClassShares.assign(classes, 0.0);
  for (int64_t c : predictions(samples, n))
    q.sampleClassShares[c] += 1.0 / static_cast<double>(n);
  return q;
}

} // namespace tweedie::tools
