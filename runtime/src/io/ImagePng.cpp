//===- ImagePng.cpp - PNG encoding through libpng -------------------------===//
#include "tweedie/io/ImagePng.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace tweedie::io {

namespace {

/// An 8-bit grey or RGB raster, encoded in memory so the file write is atomic.
struct Raster {
  int width = 0, height = 0, channels = 1;
  std::vector<uint8_t> pixels;
  Raster(int w, int h, int c, uint8_t fill)
      : width(w), height(h), channels(c), pixels(size_t(w) * h * c, fill) {}
  uint8_t *at(int x, int y) { return &pixels[(size_t(y) * width + x) * channels]; }
};

void writePng(const std::filesystem::path &path, const Raster &raster) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(raster.width);
  image.height = static_cast<png_uint_32>(raster.height);
  image.format = raster.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, raster.pixels.data(), 0,
                                 nullptr))
    throw FormatError(path.string() + ": cannot encode PNG: " + image.message);
  std::vector<std::byte> bytes(size);
  if (!png_image_write_to_memory(&image, bytes.data(), &size, 0, raster.pixels.data(), 0,
                                 nullptr))
    throw FormatError(path.string() + ": cannot encode PNG: " + image.message);
  bytes.resize(size);
  writeFileAtomically(path, bytes);
}

} // namespace

void writeImageGridPng(const std::filesystem::path &path, std::span<const float> images,
                       int64_t count, int64_t channels, int64_t height, int64_t width,
                       double low, double high, int64_t columns) {
  if ((channels != 1 && channels != 3) || count < 1 || height < 1 || width < 1 ||
      static_cast<int64_t>(images.size()) != count * channels * height * width ||
      !(high > low))
    throw FormatError(path.string() + ": cannot draw " + std::to_string(count) +
                      " images of " + std::to_string(channels) + "x" +
                      std::to_string(height) + "x" + std::to_string(width) + " from " +
                      std::to_string(images.size()) + " values (1 or 3 channels)");
  constexpr int kGutter = 2;
  if (columns <= 0)
    columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(count))));
  const int64_t rows = (count + columns - 1) / columns;
  Raster raster(static_cast<int>(columns * (width + kGutter) + kGutter),
                static_cast<int>(rows * (height + kGutter) + kGutter),
                static_cast<int>(channels), 255);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t ox = kGutter + (i % columns) * (width + kGutter);
    const int64_t oy = kGutter + (i / columns) * (height + kGutter);
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) {
          const double v = images[((i * channels + c) * height + y) * width + x];
          const double unit = std::clamp((v - low) / (high - low), 0.0, 1.0);
          raster.at(static_cast<int>(ox + x), static_cast<int>(oy + y))[c] =
              static_cast<uint8_t>(std::lround(unit * 255.0));
        }
  }
  writePng(path, raster);
}

void writeScatterPng(const std::filesystem::path &path, std::span<const float> points,
                     int64_t count, double limit, int size) {
  if (count < 0 || static_cast<int64_t>(points.size()) != 2 * count || !(limit > 0) ||
      size < 16)
    throw FormatError(path.string() + ": a scatter plot needs [count, 2] points, got " +
                      std::to_string(points.size()) + " values for " +
                      std::to_string(count) + " points");
  Raster raster(size, size, 3, 255);
  auto toPixel = [&](double v) {
    return static_cast<int>(std::lround((v + limit) / (2 * limit) * (size - 1)));
  };
  for (int i = 0; i < size; ++i) { // axes through the origin, light grey
    for (uint8_t *p : {raster.at(i, toPixel(0)), raster.at(toPixel(0), i)})
      p[0] = p[1] = p[2] = 200;
  }
  for (int64_t i = 0; i < count; ++i) {
    const double x = points[2 * i], y = points[2 * i + 1];
    if (!std::isfinite(x) || !std::isfinite(y))
      continue;
    const int px = toPixel(x), py = toPixel(-y); // image rows grow downwards
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int qx = px + dx, qy = py + dy;
        if (qx < 0 || qy < 0 || qx >= size || qy >= size)
          continue;
        uint8_t *p = raster.at(qx, qy);
        p[0] = 31, p[1] = 119, p[2] = 180; // one blue for every sample
      }
  }
  writePng(path, raster);
}

void writePng(const std::filesystem::path &path, const PngPicture &picture) {
  if ((picture.channels != 1 && picture.channels != 3) || picture.height < 1 ||
      picture.width < 1 ||
      static_cast<int64_t>(picture.pixels.size()) !=
          picture.channels * picture.height * picture.width)
    throw FormatError(path.string() + ": cannot write a " + std::to_string(picture.channels) +
                      "-channel " + std::to_string(picture.height) + "x" +
                      std::to_string(picture.width) + " picture from " +
                      std::to_string(picture.pixels.size()) + " bytes");
  Raster raster(static_cast<int>(picture.width), static_cast<int>(picture.height),
                static_cast<int>(picture.channels), 0);
  raster.pixels = picture.pixels;
  writePng(path, raster);
}

PngPicture readPng(const std::filesystem::path &path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw FormatError(path.string() + ": not a readable PNG: " + image.message);
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  PngPicture picture;
  picture.channels = colour ? 3 : 1;
  picture.height = image.height;
  picture.width = image.width;
  picture.pixels.resize(PNG_IMAGE_SIZE(image));
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, picture.pixels.data(), 0, nullptr)) {
    const std::string reason = image.message;
    png_image_free(&image);
    throw FormatError(path.string() + ": not a readable PNG: " + reason);
  }
  return picture;
}

} // namespace tweedie::io
