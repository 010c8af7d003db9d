//===- ImageData.cpp --------------------------------------------------------===//
#include "tweedie/train/ImageData.h"
#include "tweedie/Noise.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/io/IdxFile.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tweedie::train {

std::filesystem::path fashionMnistDirectory() {
  if (const char *dir = std::getenv("TWEEDIE_FASHION_MNIST"); dir && *dir)
    return dir;
  return "/usr/share/datasets/fashion-mnist";
}

LabelledImages loadFashionMnist(Split split, const std::filesystem::path &directory) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const std::filesystem::path imagesPath = directory / (prefix + "-images-idx3-ubyte.gz");
  const std::filesystem::path labelsPath = directory / (prefix + "-labels-idx1-ubyte.gz");
  for (const auto &path : {imagesPath, labelsPath})
    if (!std::filesystem::exists(path))
      throw std::runtime_error("Fashion-MNIST is missing: " + path.string() +
                               " does not exist (install Debian's dataset-fashion-mnist, "
                               "`apt-get install dataset-fashion-mnist`, or point "
                               "TWEEDIE_FASHION_MNIST at a directory holding the IDX files)");
  io::IdxArray images = io::readIdx(imagesPath);
  io::IdxArray labels = io::readIdx(labelsPath);
  if (images.shape.size() != 3)
    throw io::FormatError(imagesPath.string() + ": images are 3-D [count, height, width], not " +
                          std::to_string(images.shape.size()) + "-D");
  if (labels.shape.size() != 1 || labels.shape[0] != images.shape[0])
    throw io::FormatError(labelsPath.string() + ": " + std::to_string(labels.data.size()) +
                          " labels for " + std::to_string(images.shape[0]) + " images");
  for (uint8_t label : labels.data)
    if (label > 9)
      throw io::FormatError(labelsPath.string() + ": label " + std::to_string(label) +
                            " is not a class 0..9");
  LabelledImages out;
  out.count = images.shape[0];
  out.height = images.shape[1];
  out.width = images.shape[2];
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

std::vector<float> imagesAsFloats(const LabelledImages &images,
                                  std::span<const int64_t> indices) {
  const int64_t size = images.height * images.width;
  std::vector<float> out(indices.size() * static_cast<size_t>(size));
  for (size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] < 0 || indices[k] >= images.count)
      throw std::out_of_range("image " + std::to_string(indices[k]) + " of " +
                              std::to_string(images.count));
    const uint8_t *pixels = images.pixels.data() + indices[k] * size;
    for (int64_t i = 0; i < size; ++i)
      out[k * size + i] = static_cast<float>(pixels[i]) / 127.5f - 1.0f;
  }
  return out;
}

std::vector<int64_t> drawIndices(uint64_t seed, uint32_t stream, int64_t count,
                                 int64_t population) {
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t r = 0; r < count; ++r) {
    const auto k = static_cast<int64_t>(uniformAt(seed, static_cast<uint32_t>(r), stream, 0) *
                                        static_cast<double>(population));
    out[r] = std::min(k, population - 1);
  }
  return out;
}

} // namespace tweedie::train
