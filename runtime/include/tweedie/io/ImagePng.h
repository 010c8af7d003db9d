//===- ImagePng.h - pictures of samples: image grids and 2-D scatter plots ===//
#ifndef TWEEDIE_IO_IMAGEPNG_H
#define TWEEDIE_IO_IMAGEPNG_H

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace tweedie::io {

/// Tiles `count` images of [channels (1 or 3), height, width] (NCHW, float)
/// into one PNG with `columns` per row (0: ceil(sqrt(count))) and 2-pixel
/// gutters. Values map linearly from [low, high] to 0..255, clamped (samples
/// of a model trained on [-1, 1] data overshoot a little). Atomic write.
void writeImageGridPng(const std::filesystem::path &path, std::span<const float> images,
                       int64_t count, int64_t channels, int64_t height, int64_t width,
                       double low = -1.0, double high = 1.0, int64_t columns = 0);

/// A `size` x `size` scatter plot of `count` 2-D points ([count, 2]) over the
/// square [-limit, limit]^2, with the axes drawn. Atomic write.
void writeScatterPng(const std::filesystem::path &path, std::span<const float> points,
                     int64_t count, double limit, int size = 512);

/// An 8-bit picture read from a PNG file: grey (1 channel) or RGB (3),
/// pixels row-major and interleaved ([height, width, channels]).
struct PngPicture {
  int64_t channels = 1, height = 0, width = 0;
  std::vector<uint8_t> pixels;
};

/// Any PNG libpng reads (palette, 16-bit, grey or colour, with or without
/// alpha): colour types become RGB, the others grey, 16-bit samples 8-bit,
/// and alpha is composited onto black. A file that is not a readable PNG is
/// a FormatError naming it and libpng's reason.
PngPicture readPng(const std::filesystem::path &path);

/// Writes `picture` as an 8-bit grey or RGB PNG. Atomic write.
void writePng(const std::filesystem::path &path, const PngPicture &picture);

} // namespace tweedie::io

#endif
