//===- IdxFileTest.cpp - IDX arrays and the Fashion-MNIST loader ----------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/IdxFile.h"
#include "tweedie/train/ImageData.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <filesystem>

using namespace tweedie;

namespace {

std::vector<std::byte> idx(std::vector<uint8_t> header, size_t payload) {
  std::vector<std::byte> bytes;
  for (uint8_t h : header)
    bytes.push_back(std::byte{h});
  for (size_t i = 0; i < payload; ++i)
    bytes.push_back(std::byte{static_cast<uint8_t>(i)});
  return bytes;
}

TEST(Idx, ParsesBigEndianSizesAndRowMajorData) {
  // 2 x 2 x 3 bytes: magic 00 00 08 03, sizes 2, 2, 3.
  const auto bytes = idx({0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3}, 12);
  io::IdxArray a = io::parseIdx(bytes, "t");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2, 3}));
  ASSERT_EQ(a.data.size(), 12u);
  EXPECT_EQ(a.data[7], 7);
  // A size above 255 reads all four bytes: 0x00000102 = 258.
  EXPECT_EQ(io::parseIdx(idx({0, 0, 8, 1, 0, 0, 1, 2}, 258), "t").shape[0], 258);
}

TEST(Idx, RejectsOtherTypesMagicsAndTruncation) {
  auto message = [](const std::vector<std::byte> &bytes) {
    try {
      io::parseIdx(bytes, "f.idx");
    } catch (const io::FormatError &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(idx({0, 0, 0x0D, 1, 0, 0, 0, 4}, 16)).find("unsigned bytes"),
            std::string::npos); // float32 IDX
  EXPECT_NE(message(idx({1, 0, 8, 1, 0, 0, 0, 4}, 4)).find("magic"), std::string::npos);
  EXPECT_NE(message(idx({0, 0, 8, 1, 0, 0, 0, 4}, 3)).find("truncated"), std::string::npos);
  EXPECT_NE(message(idx({0, 0, 8, 2, 0, 0}, 0)).find("header"), std::string::npos);
  EXPECT_NE(message(idx({0, 0}, 0)).find("shorter"), std::string::npos);
  // 2^17 x 2^17 x 2^30 x 1 = 2^64 wraps to 0: it used to pass as an empty array.
  EXPECT_NE(message(idx({0, 0, 8, 4, 0, 2, 0, 0, 0, 2, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 1}, 0))
                .find("more than 16 GiB"),
            std::string::npos);
}

TEST(Idx, ReadsGzipCompressedFilesAndNamesCorruptOnes) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tweedie-idx-test";
  std::filesystem::create_directories(dir);
  const auto bytes = idx({0, 0, 8, 1, 0, 0, 0, 5}, 5);
  gzFile out = gzopen((dir / "a.gz").c_str(), "wb");
  ASSERT_TRUE(out);
  ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(out);
  EXPECT_EQ(io::readIdx(dir / "a.gz").data, (std::vector<uint8_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(io::readIdx(dir / "missing.gz"), io::FormatError);
  std::filesystem::remove_all(dir);
}

TEST(FashionMnist, MissingDatasetSaysWhichPackageToInstall) {
  try {
    train::loadFashionMnist(train::Split::Train, "/nonexistent/fashion-mnist");
    FAIL() << "loaded a dataset from nowhere";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
}

TEST(FashionMnist, DebiansFilesHoldTenBalancedClasses) {
  if (!std::filesystem::exists(train::fashionMnistDirectory()))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  for (auto [split, count] : {std::pair{train::Split::Train, 60000}, {train::Split::Test, 10000}}) {
    train::LabelledImages images = train::loadFashionMnist(split);
    EXPECT_EQ(images.count, count);
    EXPECT_EQ(images.height, 28);
    EXPECT_EQ(images.width, 28);
    std::array<int64_t, 10> perClass{};
    for (uint8_t label : images.labels)
      ++perClass[label];
    for (int64_t n : perClass)
      EXPECT_EQ(n, count / 10);
    // Scaled to [-1, 1] with both ends reached (black background, white).
    const std::vector<int64_t> first = {0, 1, 2, 3};
    std::vector<float> x = train::imagesAsFloats(images, first);
    EXPECT_EQ(*std::min_element(x.begin(), x.end()), -1.0f);
    EXPECT_GT(*std::max_element(x.begin(), x.end()), 0.9f);
  }
}

TEST(FashionMnist, BatchIndicesArePureFunctionsOfSeedAndStream) {
  const auto a = train::drawIndices(4, 17, 256, 60000), b = train::drawIndices(4, 17, 256, 60000);
  const auto c = train::drawIndices(4, 18, 256, 60000);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (int64_t k : a) {
    EXPECT_GE(k, 0);
    EXPECT_LT(k, 60000);
  }
  // A bigger batch starts with the smaller one (keyed by row).
  const auto longer = train::drawIndices(4, 17, 300, 60000);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), longer.begin()));
}

} // namespace
