//===- UserData.h - the examples a user brings: .npy arrays, PNG folders --===//
//
// `--data file.npy` (float32 [N, ...], any sample shape) and `--data folder/`
// (PNG images, grey or RGB, scaled to [-1, 1] as the bundled image data is)
// load into one in-memory set. A held-out part is split off by a keyed draw,
// so the same file and seed always hold out the same examples and a resumed
// run trains on the same rest.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_USERDATA_H
#define TWEEDIE_TRAIN_USERDATA_H

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tweedie::train {

/// Whether a --data value names a user's data (a .npy file or a folder)
/// rather than a built-in set.
bool namesUserData(const std::string &source);

struct ExampleSet {
  std::vector<int64_t> sampleShape;
  int64_t count = 0;
  std::vector<float> values; ///< count x product(sampleShape), row-major

  int64_t exampleSize() const;
  /// Examples `indices` as one [indices.size(), ...] block.
  std::vector<float> gather(std::span<const int64_t> indices) const;
};

/// A float32 .npy of [N, ...] with N >= 1 and finite values; anything else is
/// an io::FormatError naming the file and what is wrong (the first
/// non-finite value by example and position).
ExampleSet loadNpyExamples(const std::filesystem::path &path);

struct ImageFolderOptions {
  /// [channels, height, width] the examples must have (the network's);
  /// empty: the first image's.
  std::vector<int64_t> shape;
  /// Resize images of another size (bilinear, pixel centres aligned) rather
  /// than refuse them.
  bool resize = false;
};

/// Every *.png directly in `folder`, in name order. Grey images feed a
/// 1-channel network and RGB a 3-channel one, each converted to the other when
/// the network asks (luma BT.601 / replicated grey); pixel p becomes
/// p / 127.5 - 1. No PNG, an unreadable one, or one of another size without
/// `resize` is an io::FormatError naming the file.
ExampleSet loadPngFolder(const std::filesystem::path &folder, const ImageFolderOptions &options);

/// A .npy file or a folder of PNGs, as namesUserData tells them apart (a
/// folder's images checked against `options`).
ExampleSet loadUserData(const std::string &source, const ImageFolderOptions &options);

/// The examples held out of training, and the rest.
struct HeldOutSplit {
  ExampleSet train, heldOut;
};

/// Holds out round(fraction N) examples (at least one and at most N - 1 when
/// fraction > 0 and N >= 2; none otherwise), chosen by a keyed shuffle of the indices
/// under `seed`.
HeldOutSplit splitHeldOut(const ExampleSet &all, double fraction, uint64_t seed);

} // namespace tweedie::train

#endif
