//===- ImageData.h - Fashion-MNIST from Debian's dataset-fashion-mnist ---===//
//
// The images are read from the IDX files Debian installs (or a directory
// named by TWEEDIE_FASHION_MNIST) and scaled to [-1, 1]. Batches are drawn by
// index, keyed like the toy sets: image k of training stream s under a seed
// is a pure function of (seed, k, s), so a resumed run sees the same data.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_IMAGEDATA_H
#define TWEEDIE_TRAIN_IMAGEDATA_H

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace tweedie::train {

struct LabelledImages {
  int64_t count = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels; // count x height x width
  std::vector<uint8_t> labels; // count
};

enum class Split { Train, Test };

/// $TWEEDIE_FASHION_MNIST when set, else where Debian's package puts it.
std::filesystem::path fashionMnistDirectory();

/// Throws std::runtime_error saying which package to install when the files
/// are missing, and io::FormatError when they are corrupt.
LabelledImages loadFashionMnist(Split split,
                                const std::filesystem::path &directory = fashionMnistDirectory());

/// Images `indices` as [indices.size(), 1, height, width] floats in [-1, 1].
std::vector<float> imagesAsFloats(const LabelledImages &images,
                                  std::span<const int64_t> indices);

/// `count` indices below `population`, uniform with replacement, keyed by
/// (seed, row, stream).
std::vector<int64_t> drawIndices(uint64_t seed, uint32_t stream, int64_t count,
                                 int64_t population);

} // namespace tweedie::train

#endif
