//===- tweedie-eval.cpp - how close samples are to the training data ------===//
//
// For 2-D toy data: the MMD and sliced Wasserstein distance of the samples
// to a fresh draw of the data, next to the same distances between two
// independent draws of the data of the same size (the floor a perfect
// sampler reaches). For Fashion-MNIST: the Fréchet distance on the features
// of the classifier Tweedie trains, next to the held-out images' distance.
//
//===----------------------------------------------------------------------===//
#include "CliChecks.h"
#include "ImageQuality.h"
#include "tweedie/io/NpyFile.h"
#include "tweedie/train/Metrics.h"
#include "tweedie/train/ToyData.h"
#include "tweedie/train/UserData.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace tweedie;

namespace {

/// The median distance between the first rows of `x` ([n, dim]): the scale
/// of a user's data, which the MMD kernels' bandwidths follow.
double medianDistance(std::span<const float> x, int64_t dim) {
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(x.size()) / dim, 300);
  std::vector<double> d;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < dim; ++k) {
        const double e = static_cast<double>(x[i * dim + k]) - x[j * dim + k];
        s += e * e;
      }
      d.push_back(std::sqrt(s));
    }
  if (d.empty())
    return 1.0;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2] > 0 ? d[d.size() / 2] : 1.0;
}

/// Samples against a user's examples (a .npy or a PNG folder): MMD and sliced
/// W1 on the flattened examples against one half of them, next to the other
/// half's distances (the floor), with as many rows on both sides.
int evaluateUserData(const io::NpyArray &samples, const std::string &source, uint64_t seed,
                     bool json) {
  if (samples.shape.size() < 2)
    throw std::invalid_argument("the samples are not an array [N, ...]");
  const std::vector<int64_t> shape(samples.shape.begin() + 1, samples.shape.end());
  const train::ExampleSet all = train::loadUserData(source, {shape, false});
  if (all.sampleShape != shape)
    throw std::invalid_argument(fmt::format("--data {} holds examples of [{}], the samples are "
                                            "[{}]",
                                            source, fmt::join(all.sampleShape, ", "),
                                            fmt::join(shape, ", ")));
  if (all.count < 4)
    throw std::invalid_argument(fmt::format("--data {}: {} examples are too few to compare "
                                            "with",
                                            source, all.count));
  const train::HeldOutSplit halves = train::splitHeldOut(all, 0.5, seed);
  const int64_t dim = all.exampleSize();
  const int64_t n = std::min({samples.shape[0], halves.heldOut.count, halves.train.count});
  auto rows = [&](std::span<const float> x) { return x.first(static_cast<size_t>(n * dim)); };
  const std::span<const float> reference = halves.train.values, other = halves.heldOut.values;
  const double h = medianDistance(reference, dim);
  std::vector<double> bandwidths;
  for (double b : train::kDefaultBandwidths) // 0.1 .. 3 at unit-scale 2-D data (median 3)
    bandwidths.push_back(b * h / 3.0);
  const double mmd = train::mmd(rows(samples.data), reference, dim, bandwidths);
  const double mmdFloor = train::mmd(rows(other), reference, dim, bandwidths);
  const double sw = train::slicedWasserstein(rows(samples.data), rows(reference), dim);
  const double swFloor = train::slicedWasserstein(rows(other), rows(reference), dim);
  if (json)
    fmt::print("{{\"n\": {}, \"mmd\": {:.6g}, \"mmd_data\": {:.6g}, \"sliced_w1\": {:.6g}, "
               "\"sliced_w1_data\": {:.6g}, \"median_distance\": {:.6g}}}\n",
               n, mmd, mmdFloor, sw, swFloor, h);
  else
    fmt::print("{} samples vs {} (half of its {} examples; the other half is the floor):\n"
               "  MMD                {:.5f}  (data vs data {:.5f}, ratio {:.2f}; kernels scaled "
               "by the median distance {:.3g})\n"
               "  sliced Wasserstein {:.5f}  (data vs data {:.5f}, ratio {:.2f})\n",
               n, source, all.count, mmd, mmdFloor, mmd / mmdFloor, h, sw, swFloor,
               sw / swFloor);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Compare samples with their training data: for a 2-D toy dataset ([N, 2]) MMD "
               "and sliced Wasserstein distance, for fashion-mnist ([N, 1, 28, 28]) the "
               "Fréchet distance on classifier features; each next to its data-vs-data floor.",
               "tweedie-eval"};
  std::string samplesPath, data = "8gaussians";
  uint64_t seed = 0;
  bool json = false;
  tools::ClassifierFiles classifier;
  app.add_option("samples", samplesPath, "Samples (.npy, float32 [N, 2] or [N, 1, 28, 28])")
      ->required();
  app.add_option("--classifier", classifier.model,
                 "fashion-mnist: the classifier whose features the Fréchet distance compares")
      ->capture_default_str();
  app.add_option("--classifier-weights", classifier.weights, "fashion-mnist: its weights")
      ->capture_default_str();
  app.add_option("--data", data,
                 "The dataset the model was trained on: a built-in one, a .npy of examples or a "
                 "folder of PNG images")
      ->capture_default_str();
  app.add_option("--seed", seed, "Seed of the fresh data draws")
      ->check(tools::seedNumber())
      ->capture_default_str();
  app.add_flag("--json", json, "Print one JSON object");
  CLI11_PARSE(app, argc, argv);
  try {
    if (train::namesUserData(data))
      return evaluateUserData(io::readNpy(samplesPath), data, seed, json);
    if (data == "fashion-mnist") {
      io::NpyArray samples = io::readNpy(samplesPath);
      const tools::ImageQuality q =
          tools::evaluateImages(samples.data, samples.shape, classifier, seed);
      if (json)
        fmt::print("{{\"n\": {}, \"frechet\": {:.6g}, \"frechet_held_out\": {:.6g}, "
                   "\"classifier_accuracy\": {:.4f}, \"class_shares\": [{:.4f}]}}\n",
                   q.count, q.frechet, q.frechetHeldOut, q.heldOutAccuracy,
                   fmt::join(q.sampleClassShares, ", "));
      else
        fmt::print("{} samples vs Fashion-MNIST training images ({}-d classifier features):\n"
                   "  Fréchet distance   {:.3f}  (held-out images {:.3f}, ratio {:.2f})\n"
                   "  classifier accuracy on the held-out set {:.2f}%\n"
                   "  samples per class  {:.3f}\n",
                   q.count, q.featureDim, q.frechet, q.frechetHeldOut,
                   q.frechet / q.frechetHeldOut, 100 * q.heldOutAccuracy,
                   fmt::join(q.sampleClassShares, " "));
      return 0;
    }
    std::optional<train::ToyData> kind = train::toyDataNamed(data);
    if (!kind)
      throw std::invalid_argument("--data '" + data + "' is not one of: " +
                                  fmt::format("{}", fmt::join(train::toyDataNames(), ", ")) +
                                  ", fashion-mnist, a .npy file or a folder of PNG images");
    io::NpyArray samples = io::readNpy(samplesPath);
    if (samples.shape.size() != 2 || samples.shape[1] != 2)
      throw std::invalid_argument(samplesPath + ": expected [N, 2] samples");
    const int64_t n = samples.shape[0];
    const auto fresh = train::drawToyData(*kind, seed + 1, train::kEvaluationStream, 0, n);
    const auto other = train::drawToyData(*kind, seed + 2, train::kEvaluationStream, 0, n);
    const double mmd = train::mmd(samples.data, fresh, 2), mmdFloor = train::mmd(other, fresh, 2);
    const double sw = train::slicedWasserstein(samples.data, fresh, 2),
                 swFloor = train::slicedWasserstein(other, fresh, 2);
    if (json)
      fmt::print("{{\"n\": {}, \"mmd\": {:.6g}, \"mmd_data\": {:.6g}, \"sliced_w1\": {:.6g}, "
                 "\"sliced_w1_data\": {:.6g}}}\n",
                 n, mmd, mmdFloor, sw, swFloor);
    else
      fmt::print("{} samples vs {}:\n  MMD                {:.5f}  (data vs data {:.5f}, ratio "
                 "{:.2f})\n  sliced Wasserstein {:.5f}  (data vs data {:.5f}, ratio {:.2f})\n",
                 n, data, mmd, mmdFloor, mmd / mmdFloor, sw, swFloor, sw / swFloor);
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-eval: {}\n", e.what());
    return 1;
  }
  return 0;
}
