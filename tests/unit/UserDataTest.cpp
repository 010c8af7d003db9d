//===- UserDataTest.cpp - a user's .npy arrays and PNG folders as training data -===//
//
// Files written here by the io library's writers, read back by the loaders
// tweedie-train uses: values and shapes exact, conversions against their
// formulas (pixel / 127.5 - 1, BT.601 luma, bilinear resampling), corrupt
// and mismatched inputs refused with the file named, and the held-out split
// a disjoint, deterministic partition.
//
//===----------------------------------------------------------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/ImagePng.h"
#include "tweedie/io/NpyFile.h"
#include "tweedie/train/UserData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>

namespace fs = std::filesystem;
using namespace tweedie;

namespace {

fs::path scratch(const std::string &name) {
  fs::path dir = fs::temp_directory_path() /
                 ("tweedie-userdata-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// The message of the FormatError `f` throws ("" when it throws none).
template <typename F> std::string formatErrorOf(F &&f) {
  try {
    f();
  } catch (const io::FormatError &e) {
    return e.what();
  }
  return "";
}

TEST(UserData, NpyExamplesKeepTheirShapeAndValues) {
  const fs::path dir = scratch("npy");
  std::vector<float> values(5 * 3 * 2);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.25f * static_cast<float>(i) - 3.0f;
  io::writeNpy(dir / "x.npy", values, {5, 3, 2});
  const train::ExampleSet set = train::loadNpyExamples(dir / "x.npy");
  EXPECT_EQ(set.count, 5);
  EXPECT_EQ(set.sampleShape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(set.values, values);
  const std::vector<int64_t> picked = {4, 1};
  const std::vector<float> rows = set.gather(picked);
  ASSERT_EQ(rows.size(), 12u);
  EXPECT_EQ(rows[0], values[24]);
  EXPECT_EQ(rows[6], values[6]);

  values[13] = std::numeric_limits<float>::quiet_NaN();
  io::writeNpy(dir / "nan.npy", values, {5, 3, 2});
  EXPECT_NE(formatErrorOf([&] { train::loadNpyExamples(dir / "nan.npy"); })
                .find("nan.npy: example 2 holds a non-finite value (nan) at element 1"),
            std::string::npos);
  io::writeNpy(dir / "flat.npy", values, {30});
  EXPECT_NE(formatErrorOf([&] { train::loadNpyExamples(dir / "flat.npy"); })
                .find("an array of examples [N, ...]"),
            std::string::npos);
}

TEST(UserData, PngFolderScalesGreyAndConvertsColour) {
  const fs::path dir = scratch("png");
  io::PngPicture grey{1, 2, 3, {0, 51, 102, 153, 204, 255}};
  io::writePng(dir / "a.png", grey);
  io::PngPicture rgb{3, 2, 3, {}};
  for (int i = 0; i < 6; ++i)
    rgb.pixels.insert(rgb.pixels.end(), {static_cast<uint8_t>(40 * i), 200, 10});
  io::writePng(dir / "b.png", rgb);
  std::ofstream(dir / "notes.txt") << "not an image";

  // Grey network: the grey image exact, the RGB one as its luma.
  const train::ExampleSet set = train::loadPngFolder(dir, {{1, 2, 3}, false});
  ASSERT_EQ(set.count, 2);
  for (int i = 0; i < 6; ++i) {
    EXPECT_FLOAT_EQ(set.values[i], grey.pixels[i] / 127.5f - 1.0f) << i;
    const double luma = 0.299 * 40 * i + 0.587 * 200 + 0.114 * 10;
    EXPECT_NEAR(set.values[6 + i], luma / 127.5 - 1.0, 1e-6) << i;
  }
  // RGB network: planes (NCHW), grey replicated.
  const train::ExampleSet colour = train::loadPngFolder(dir, {{3, 2, 3}, false});
  ASSERT_EQ(colour.values.size(), 2u * 18);
  EXPECT_FLOAT_EQ(colour.values[6 + 2], grey.pixels[2] / 127.5f - 1.0f);
  EXPECT_FLOAT_EQ(colour.values[18 + 1], 40 / 127.5f - 1.0f);    // R of pixel 1
  EXPECT_FLOAT_EQ(colour.values[18 + 6 + 1], 200 / 127.5f - 1.0f); // G
  // Without a shape: the first image's.
  EXPECT_EQ(train::loadPngFolder(dir, {}).sampleShape, (std::vector<int64_t>{1, 2, 3}));
}

TEST(UserData, PngFolderRefusesOrResizesOtherSizes) {
  const fs::path dir = scratch("resize");
  // A 2x2 image upsampled to 4x4 with aligned pixel centres: output pixel x
  // reads source (x + 0.5) / 2 - 0.5, clamped: 0, 0.25, 0.75, 1.
  io::writePng(dir / "small.png", io::PngPicture{1, 2, 2, {0, 100, 200, 255}});
  EXPECT_NE(formatErrorOf([&] { train::loadPngFolder(dir, {{1, 4, 4}, false}); })
                .find("small.png: is 2x2, the examples are 4x4 (--resize resizes them)"),
            std::string::npos);
  const train::ExampleSet set = train::loadPngFolder(dir, {{1, 4, 4}, true});
  auto source = [](double x, double y) {
    const double v[2][2] = {{0, 100}, {200, 255}};
    const double top = v[0][0] + x * (v[0][1] - v[0][0]);
    const double bottom = v[1][0] + x * (v[1][1] - v[1][0]);
    return (top + y * (bottom - top)) / 127.5 - 1.0;
  };
  const double at[4] = {0, 0.25, 0.75, 1};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      EXPECT_NEAR(set.values[y * 4 + x], source(at[x], at[y]), 1e-6) << x << "," << y;

  std::ofstream(dir / "broken.png") << "\x89PNG\r\n\x1a\n garbage";
  EXPECT_NE(formatErrorOf([&] { train::loadPngFolder(dir, {{1, 4, 4}, true}); })
                .find("broken.png: not a readable PNG"),
            std::string::npos);
  const fs::path empty = scratch("empty");
  EXPECT_NE(formatErrorOf([&] { train::loadPngFolder(empty, {}); }).find("holds no .png image"),
            std::string::npos);
}

TEST(UserData, HeldOutSplitIsADeterministicPartition) {
  train::ExampleSet all;
  all.sampleShape = {1};
  all.count = 200;
  for (int i = 0; i < 200; ++i)
    all.values.push_back(static_cast<float>(i));
  const train::HeldOutSplit split = train::splitHeldOut(all, 0.1, 7);
  EXPECT_EQ(split.heldOut.count, 20);
  EXPECT_EQ(split.train.count, 180);
  std::set<float> seen(split.train.values.begin(), split.train.values.end());
  for (float v : split.heldOut.values)
    EXPECT_TRUE(seen.insert(v).second) << v << " is in both parts";
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(train::splitHeldOut(all, 0.1, 7).heldOut.values, split.heldOut.values);
  EXPECT_NE(train::splitHeldOut(all, 0.1, 8).heldOut.values, split.heldOut.values);
  // Not the first or last examples: a shuffle, not a slice.
  EXPECT_NE(split.heldOut.values.back() - split.heldOut.values.front(), 19.0f);
  EXPECT_EQ(train::splitHeldOut(all, 0.0, 7).heldOut.count, 0);
  all.count = 1;
  all.values = {1.0f};
  EXPECT_EQ(train::splitHeldOut(all, 0.5, 7).train.count, 1);
}

} // namespace
