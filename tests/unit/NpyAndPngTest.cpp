//===- NpyAndPngTest.cpp - sample arrays and pictures ---------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/ImagePng.h"
#include "tweedie/io/NpyFile.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstring>
#include <filesystem>

using namespace tweedie::io;

namespace {

std::filesystem::path tempPath(const char *name) {
  return std::filesystem::temp_directory_path() / name;
}

TEST(Npy, HeaderIsNumPyFormatOneAndPadsTo64) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  std::vector<std::byte> bytes = encodeNpy(data, {3, 2});
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::memcmp(bytes.data(), "\x93NUMPY\x01\x00", 8), 0);
  uint16_t length = 0;
  std::memcpy(&length, bytes.data() + 8, 2);
  EXPECT_EQ((10 + length) % 64, 0);
  std::string header(reinterpret_cast<const char *>(bytes.data() + 10), length);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 0),
            0u)
      << header;
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10u + length + 24u);
  // One dim keeps NumPy's trailing comma.
  std::vector<std::byte> one = encodeNpy(data, {6});
  EXPECT_NE(std::string(reinterpret_cast<const char *>(one.data()), one.size())
                .find("'shape': (6,)"),
            std::string::npos);
}

TEST(Npy, RoundTripsThroughAFile) {
  std::vector<float> data = {0.5f, -1.25f, 3e-8f, 7.0f};
  auto path = tempPath("tweedie-npy-test.npy");
  writeNpy(path, data, {2, 1, 2});
  NpyArray back = readNpy(path);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(back.data, data);
  std::filesystem::remove(path);
}

TEST(Npy, RejectsOtherDtypesAndTruncation) {
  std::vector<float> data = {1, 2};
  std::vector<std::byte> bytes = encodeNpy(data, {2});
  std::vector<std::byte> truncated(bytes.begin(), bytes.end() - 1);
  try {
    parseNpy(truncated, "x.npy");
    FAIL() << "truncated array parsed";
  } catch (const FormatError &e) {
    EXPECT_NE(std::string(e.what()).find("needs 8 data bytes, the file has 7"),
              std::string::npos)
        << e.what();
  }
  std::string text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  text.replace(text.find("<f4"), 3, "<f8");
  std::vector<std::byte> f8(text.size());
  std::memcpy(f8.data(), text.data(), text.size());
  EXPECT_THROW(parseNpy(f8, "x.npy"), FormatError);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW(parseNpy(std::span(bytes.data(), cut), "x.npy"), FormatError) << cut;
}

/// A format-2.0 .npy file (4-byte header length) with this header text and data.
std::vector<std::byte> npyWithHeader(const std::string &header, size_t dataBytes) {
  std::vector<std::byte> bytes(12 + header.size() + dataBytes, std::byte{0});
  std::memcpy(bytes.data(), "\x93NUMPY\x02\x00", 8);
  const uint32_t length = static_cast<uint32_t>(header.size());
  std::memcpy(bytes.data() + 8, &length, 4);
  std::memcpy(bytes.data() + 12, header.data(), header.size());
  return bytes;
}

std::string npyError(const std::vector<std::byte> &bytes) {
  try {
    parseNpy(bytes, "x.npy");
  } catch (const FormatError &e) {
    return e.what();
  }
  return "";
}

TEST(Npy, HostileHeadersAreErrorsNotCrashes) {
  // Dims that each look small but whose product wraps around 64 bits to 0
  // (2^40 * 2^40 * 2^16 = 2^96): they must not pass the size check.
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                   "(1099511627776, 1099511627776, 65536), }",
                                   0))
                .find("is too large"),
            std::string::npos);
  // A dim too long for 64 bits.
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                                   std::string(40, '9') + ",), }",
                                   0))
                .find("does not fit in 64 bits"),
            std::string::npos);
  // A 50 KB header (a recursive regex overflowed the stack on these): a long
  // run of spaces is still a valid header, a long string is not a dtype.
  const std::string padded = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)" +
                             std::string(50000, ' ') + "}";
  EXPECT_EQ(npyError(npyWithHeader(padded, 8)), "");
  EXPECT_NE(npyError(npyWithHeader("{'descr': '" + std::string(50000, 'f') + "'}", 0))
                .find("dtype must be '<f4'"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'shape': (2,), 'fortran_order': "
                                   "Maybe}", 8))
                .find("neither True nor False"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, "
                                   "-3)}", 8))
                .find("other than sizes"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': False", 0))
                .find("expected"),
            std::string::npos);
  // A header length field past the end of the file.
  std::vector<std::byte> longer = npyWithHeader("{}", 0);
  longer[9] = std::byte{0x7f};
  EXPECT_NE(npyError(longer).find("exceeds the file"), std::string::npos);
}

/// Decodes a PNG with libpng's simplified API into 8-bit grey or RGB.
std::vector<uint8_t> decode(const std::filesystem::path &path, png_uint_32 &w,
                            png_uint_32 &h, bool rgb) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_file(&image, path.c_str())) << image.message;
  image.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  EXPECT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr));
  w = image.width;
  h = image.height;
  return pixels;
}

TEST(ImagePng, GridPlacesImagesBetweenGuttersAndMapsTheRange) {
  // Three 2x2 grey images: all -1, all +1, and a ramp beyond the range.
  std::vector<float> images = {-1, -1, -1, -1, 1, 1, 1, 1, -3, 0, 0.5, 3};
  auto path = tempPath("tweedie-grid-test.png");
  writeImageGridPng(path, images, 3, 1, 2, 2);
  png_uint_32 w = 0, h = 0;
  std::vector<uint8_t> px = decode(path, w, h, false);
  // ceil(sqrt(3)) = 2 columns, 2 rows, 2-pixel gutters: 2*(2+2)+2 = 10.
  ASSERT_EQ(w, 10u);
  ASSERT_EQ(h, 10u);
  auto at = [&](int x, int y) { return px[y * w + x]; };
  EXPECT_EQ(at(0, 0), 255);             // gutter
  EXPECT_EQ(at(2, 2), 0);               // image 0: -1 -> black
  EXPECT_EQ(at(6, 3), 255);             // image 1: +1 -> white
  EXPECT_EQ(at(2, 6), 0);               // image 2: -3 clamps to black
  EXPECT_EQ(at(3, 6), 128);             // 0 -> mid grey (127.5 rounds up)
  EXPECT_EQ(at(2, 7), 191);             // 0.5 -> 191.25
  EXPECT_EQ(at(3, 7), 255);             // 3 clamps to white
  std::filesystem::remove(path);
}

TEST(ImagePng, ScatterPlotsPointsAndAxes) {
  std::vector<float> points = {0.5f, 0.5f, -1.0f, -1.0f};
  auto path = tempPath("tweedie-scatter-test.png");
  writeScatterPng(path, points, 2, 2.0, 101);
  png_uint_32 w = 0, h = 0;
  std::vector<uint8_t> px = decode(path, w, h, true);
  ASSERT_EQ(w, 101u);
  auto rgb = [&](int x, int y) { return &px[(y * w + x) * 3]; };
  // (0.5, 0.5) -> column 62.5 -> 63 (rounded), row for y = -0.5 -> 37.5 -> 38.
  EXPECT_EQ(rgb(63, 38)[2], 180);
  EXPECT_EQ(rgb(25, 75)[2], 180);     // (-1, -1)
  EXPECT_EQ(rgb(50, 10)[0], 200);     // the vertical axis
  EXPECT_EQ(rgb(90, 10)[0], 255);     // background
  std::filesystem::remove(path);
}

TEST(ImagePng, RejectsShapesThatDoNotMatchTheData) {
  std::vector<float> images(7);
  EXPECT_THROW(writeImageGridPng(tempPath("x.png"), images, 2, 1, 2, 2), FormatError);
  EXPECT_THROW(writeImageGridPng(tempPath("x.png"), images, 1, 2, 1, 1), FormatError);
}

} // namespace
