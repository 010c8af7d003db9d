//===- SafeTensorsTest.cpp - weight files: round trip and every bad input -===//
#include "tweedie/io/FormatError.h"
#include "tweedie/io/SafeTensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

using namespace tweedie::io;

namespace {

SafeTensorsFile sample() {
  SafeTensorsFile file;
  std::vector<float> w = {1.5f, -2.0f, 0.25f, 3.0f, 4.0f, -0.5f};
  file.tensors["layers.0.weight"] = NamedTensor::fromFloat32("layers.0.weight", {2, 3}, w);
  std::vector<float> b = {0.125f, -8.0f};
  file.tensors["layers.0.bias"] = NamedTensor::fromFloat32("layers.0.bias", {2}, b);
  file.metadata["format"] = "tweedie";
  return file;
}

/// A file from a header string and data bytes, as another writer might make it.
std::vector<std::byte> rawFile(const std::string &header, size_t dataBytes) {
  std::vector<std::byte> bytes(8 + header.size() + dataBytes, std::byte{0});
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  return bytes;
}

std::string parseError(const std::vector<std::byte> &bytes) {
  try {
    SafeTensorsFile::parse(bytes, "w.safetensors");
  } catch (const FormatError &e) {
    return e.what();
  }
  return "";
}

TEST(SafeTensors, RoundTripsTensorsAndMetadata) {
  SafeTensorsFile file = sample();
  std::vector<std::byte> bytes = file.serialize();
  SafeTensorsFile back = SafeTensorsFile::parse(bytes, "mem");
  ASSERT_EQ(back.tensors.size(), 2u);
  EXPECT_EQ(back.metadata.at("format"), "tweedie");
  const NamedTensor &w = back.tensors.at("layers.0.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.toDouble(), (std::vector<double>{1.5, -2.0, 0.25, 3.0, 4.0, -0.5}));
  // The data starts 8-byte aligned, as the reference writer pads it.
  uint64_t headerSize = 0;
  std::memcpy(&headerSize, bytes.data(), 8);
  EXPECT_EQ((8 + headerSize) % 8, 0u);
}

TEST(SafeTensors, ReadsHalfPrecisionAndIntegers) {
  // F16 1.0 = 0x3C00, -2.5 = 0xC100; BF16 1.0 = 0x3F80; I32 -7.
  std::string header = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},)"
                       R"("i":{"dtype":"I32","shape":[],"data_offsets":[6,10]}})";
  std::vector<std::byte> bytes = rawFile(header, 10);
  std::byte *data = bytes.data() + 8 + header.size();
  const uint16_t h[] = {0x3C00, 0xC100}, b = 0x3F80;
  const int32_t i = -7;
  std::memcpy(data, h, 4);
  std::memcpy(data + 4, &b, 2);
  std::memcpy(data + 6, &i, 4);
  SafeTensorsFile file = SafeTensorsFile::parse(bytes, "mem");
  EXPECT_EQ(file.tensors.at("h").toDouble(), (std::vector<double>{1.0, -2.5}));
  EXPECT_EQ(file.tensors.at("b").toDouble(), (std::vector<double>{1.0}));
  EXPECT_EQ(file.tensors.at("i").toDouble(), (std::vector<double>{-7.0}));
}

TEST(SafeTensors, NamesEachKindOfDamage) {
  struct Case {
    std::string header;
    size_t data;
    std::string message;
  };
  const Case cases[] = {
      {"not json", 0, "the header is not a JSON object"},
      {R"({"w":{"dtype":"F32","shape":[2]}})", 8, "tensor 'w': needs dtype, shape and data_offsets"},
      {R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8, "unsupported dtype \"Q4\""},
      {R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "has a dim that is not a size"},
      {R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, "needs 12 bytes, data_offsets give 8"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8, "fall outside the 8 data bytes"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, "fall outside"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, "tensor data overlaps at byte 4"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, "data bytes 0..4 belong to no tensor"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8, "4 trailing data bytes belong to no tensor"},
      {R"({"__metadata__":{"k":1}})", 0, "metadata 'k' is not a string"},
  };
  for (const Case &c : cases) {
    std::string message = parseError(rawFile(c.header, c.data));
    EXPECT_NE(message.find("w.safetensors: not a valid .safetensors file"), std::string::npos)
        << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.header << " -> " << message;
  }
  std::vector<std::byte> hugeHeader(16, std::byte{0xff});
  EXPECT_NE(parseError(hugeHeader).find("exceeds the 8 bytes after it"), std::string::npos);
  EXPECT_NE(parseError(std::vector<std::byte>(3)).find("less than the 8-byte header length"),
            std::string::npos);
}

TEST(SafeTensors, ShapesWhoseProductWrapsAreTooLarge) {
  // 2^40 * 2^40 * 2^16 = 2^96, 0 mod 2^64: it used to pass as an empty tensor.
  const std::string header = R"({"w": {"dtype": "F32", "shape": [1099511627776, )"
                             R"(1099511627776, 65536], "data_offsets": [0, 0]}})";
  EXPECT_NE(parseError(rawFile(header, 0)).find("is too large"), std::string::npos)
      << parseError(rawFile(header, 0));
  const std::string negative =
      R"({"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 0]}})";
  EXPECT_NE(parseError(rawFile(negative, 0)).find("not a size"), std::string::npos);
}

TEST(SafeTensors, EveryTruncationAndHeaderFlipIsHandled) {
  // Each prefix is an error, never a crash; a flipped header byte is an error or
  // (if it lands in a string) a still-valid file.
  const std::vector<std::byte> bytes = sample().serialize();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + cut);
    EXPECT_FALSE(parseError(prefix).empty()) << "prefix of " << cut << " bytes parsed";
  }
  uint64_t headerSize = 0;
  std::memcpy(&headerSize, bytes.data(), 8);
  for (size_t at = 0; at < 8 + headerSize; ++at) {
    std::vector<std::byte> flipped = bytes;
    flipped[at] ^= std::byte{0x5a};
    (void)parseError(flipped); // must return, whatever it says
  }
}

TEST(SafeTensors, WritesAtomicallyAndReportsUnwritablePaths) {
  auto dir = std::filesystem::temp_directory_path() / "tweedie-safetensors-test";
  std::filesystem::create_directories(dir);
  auto path = dir / "w.safetensors";
  sample().write(path);
  EXPECT_EQ(SafeTensorsFile::read(path).tensors.size(), 2u);
  for (auto &entry : std::filesystem::directory_iterator(dir)) // no temporaries left
    EXPECT_EQ(entry.path().filename(), "w.safetensors");
  std::string error;
  EXPECT_FALSE(tryReadSafeTensors(dir / "missing.safetensors", error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_THROW(sample().write(dir / "no-such-dir" / "w.safetensors"), FormatError);
  std::filesystem::remove_all(dir);
}

} // namespace
