//===- UserData.cpp ---------------------------------------------------------===//
#include "tweedie/train/UserData.h"
#include "tweedie/Noise.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/io/ImagePng.h"
#include "tweedie/io/NpyFile.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <string>

namespace tweedie::train {

namespace fs = std::filesystem;

bool namesUserData(const std::string &source) {
  return fs::path(source).extension() == ".npy" || fs::is_directory(source);
}

ExampleSet loadUserData(const std::string &source, const ImageFolderOptions &options) {
  return fs::path(source).extension() == ".npy" ? loadNpyExamples(source)
                                                : loadPngFolder(source, options);
}

int64_t ExampleSet::exampleSize() const {
  return std::accumulate(sampleShape.begin(), sampleShape.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

std::vector<float> ExampleSet::gather(std::span<const int64_t> indices) const {
  const int64_t size = exampleSize();
  std::vector<float> out(indices.size() * static_cast<size_t>(size));
  for (size_t k = 0; k < indices.size(); ++k)
    std::copy_n(values.begin() + indices[k] * size, size, out.begin() + k * size);
  return out;
}

ExampleSet loadNpyExamples(const fs::path &path) {
  io::NpyArray array = io::readNpy(path);
  if (array.shape.size() < 2 || array.shape[0] < 1)
    throw io::FormatError(path.string() + ": training data is an array of examples [N, ...] "
                                          "with N >= 1, not one of " +
                          std::to_string(array.shape.size()) + " dimension(s)");
  ExampleSet set;
  set.count = array.shape[0];
  set.sampleShape.assign(array.shape.begin() + 1, array.shape.end());
  const int64_t size = set.exampleSize();
  for (size_t i = 0; i < array.data.size(); ++i)
    if (!std::isfinite(array.data[i]))
      throw io::FormatError(path.string() + ": example " + std::to_string(i / size) +
                            " holds a non-finite value (" + std::to_string(array.data[i]) +
                            ") at element " + std::to_string(i % size));
  set.values = std::move(array.data);
  return set;
}

namespace {

/// Bilinear resampling of one [height, width] plane with pixel centres
/// aligned (what PIL's and torchvision's bilinear resize do without
/// antialiasing).
std::vector<float> resizePlane(const std::vector<float> &plane, int64_t height, int64_t width,
                               int64_t toHeight, int64_t toWidth) {
  std::vector<float> out(static_cast<size_t>(toHeight * toWidth));
  auto source = [](int64_t i, int64_t from, int64_t to) {
    const double x = (static_cast<double>(i) + 0.5) * from / to - 0.5;
    return std::clamp(x, 0.0, static_cast<double>(from - 1));
  };
  for (int64_t y = 0; y < toHeight; ++y) {
    const double sy = source(y, height, toHeight);
    const auto y0 = static_cast<int64_t>(sy);
    const int64_t y1 = std::min(y0 + 1, height - 1);
    const double wy = sy - y0;
    for (int64_t x = 0; x < toWidth; ++x) {
      const double sx = source(x, width, toWidth);
      const auto x0 = static_cast<int64_t>(sx);
      const int64_t x1 = std::min(x0 + 1, width - 1);
      const double wx = sx - x0;
      auto at = [&](int64_t r, int64_t c) { return static_cast<double>(plane[r * width + c]); };
      const double top = at(y0, x0) + wx * (at(y0, x1) - at(y0, x0));
      const double bottom = at(y1, x0) + wx * (at(y1, x1) - at(y1, x0));
      out[y * toWidth + x] = static_cast<float>(top + wy * (bottom - top));
    }
  }
  return out;
}

/// A picture as [channels, height, width] planes of values in [-1, 1].
std::vector<std::vector<float>> planesOf(const io::PngPicture &picture, int64_t channels) {
  const int64_t area = picture.height * picture.width;
  std::vector<std::vector<float>> planes(channels, std::vector<float>(area));
  for (int64_t i = 0; i < area; ++i) {
    const uint8_t *p = &picture.pixels[i * picture.channels];
    auto scaled = [](double v) { return static_cast<float>(v / 127.5 - 1.0); };
    if (picture.channels == channels) {
      for (int64_t c = 0; c < channels; ++c)
        planes[c][i] = scaled(p[c]);
    } else if (channels == 1) { // RGB -> luma (ITU-R BT.601)
      planes[0][i] = scaled(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
    } else { // grey -> RGB
      for (int64_t c = 0; c < channels; ++c)
        planes[c][i] = scaled(p[0]);
    }
  }
  return planes;
}

} // namespace

ExampleSet loadPngFolder(const fs::path &folder, const ImageFolderOptions &options) {
  if (!fs::is_directory(folder))
    throw io::FormatError(folder.string() + ": not a folder of PNG images");
  std::vector<fs::path> files;
  for (const fs::directory_entry &entry : fs::directory_iterator(folder)) {
    std::string extension = entry.path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (entry.is_regular_file() && extension == ".png")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw io::FormatError(folder.string() + ": holds no .png image");
  if (!options.shape.empty() &&
      (options.shape.size() != 3 || (options.shape[0] != 1 && options.shape[0] != 3)))
    throw io::FormatError(folder.string() + ": PNG images feed networks of [1 or 3, height, "
                                            "width] examples");

  ExampleSet set;
  for (const fs::path &file : files) {
    const io::PngPicture picture = io::readPng(file);
    if (set.sampleShape.empty())
      set.sampleShape = options.shape.empty()
                            ? std::vector<int64_t>{picture.channels, picture.height,
                                                   picture.width}
                            : options.shape;
    const int64_t channels = set.sampleShape[0], height = set.sampleShape[1],
                  width = set.sampleShape[2];
    std::vector<std::vector<float>> planes = planesOf(picture, channels);
    if (picture.height != height || picture.width != width) {
      if (!options.resize)
        throw io::FormatError(file.string() + ": is " + std::to_string(picture.height) + "x" +
                              std::to_string(picture.width) + ", the examples are " +
                              std::to_string(height) + "x" + std::to_string(width) +
                              " (--resize resizes them)");
      for (std::vector<float> &plane : planes)
        plane = resizePlane(plane, picture.height, picture.width, height, width);
    }
    for (const std::vector<float> &plane : planes)
      set.values.insert(set.values.end(), plane.begin(), plane.end());
    ++set.count;
  }
  return set;
}

HeldOutSplit splitHeldOut(const ExampleSet &all, double fraction, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(all.count));
  std::iota(order.begin(), order.end(), int64_t{0});
  // A keyed shuffle: each index sorts by its own uniform draw.
  std::vector<double> key(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    key[i] = uniformAt(seed, static_cast<uint32_t>(i), 0, 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return key[a] < key[b]; });
  const int64_t held =
      fraction > 0 && all.count >= 2
          ? std::clamp<int64_t>(std::llround(fraction * all.count), 1, all.count - 1)
          : 0;
  std::vector<int64_t> heldIndices(order.begin(), order.begin() + held);
  std::vector<int64_t> trainIndices(order.begin() + held, order.end());
  std::sort(heldIndices.begin(), heldIndices.end());
  std::sort(trainIndices.begin(), trainIndices.end());
  HeldOutSplit split;
  for (auto [set, indices] : {std::pair{&split.train, &trainIndices},
                              std::pair{&split.heldOut, &heldIndices}}) {
    set->sampleShape = all.sampleShape;
    set->count = static_cast<int64_t>(indices->size());
    set->values = all.gather(*indices);
  }
  return split;
}

} // namespace tweedie::train
