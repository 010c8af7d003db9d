//===- OnnxModel.h - an ONNX model as plain data ----------------*- C++ -*-===//
//
// The ONNX graph the importer reads, copied out of the protobuf messages
// (Debian's libonnx-dev) into plain structs: the importer, which builds MLIR
// (no exceptions, no RTTI), never includes protobuf's headers, and a corrupt
// file is one error message here.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_IMPORT_ONNXMODEL_H
#define TWEEDIE_IMPORT_ONNXMODEL_H

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tweedie::onnx {

/// A constant tensor. Float types (float, double, float16) read into
/// `floats`; integer and boolean types into `ints`.
struct Tensor {
  std::vector<int64_t> dims;
  bool isFloat = true;
  std::vector<double> floats;
  std::vector<int64_t> ints;

  int64_t numel() const;
  /// Element i as a double (either storage).
  double at(int64_t i) const { return isFloat ? floats[i] : static_cast<double>(ints[i]); }
};

struct Attribute {
  enum class Kind { Int, Float, String, Ints, Floats, Tensor, Other };
  Kind kind = Kind::Other;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::optional<Tensor> tensor;
};

struct Node {
  std::string opType, name, domain;
  std::vector<std::string> inputs, outputs; ///< "" for an absent optional input
  std::map<std::string, Attribute> attributes;

  const Attribute *attribute(const std::string &key) const;
  int64_t intAttr(const std::string &key, int64_t otherwise) const;
  double floatAttr(const std::string &key, double otherwise) const;
  std::vector<int64_t> intsAttr(const std::string &key) const;
  std::string stringAttr(const std::string &key, const std::string &otherwise) const;
};

/// A graph input or output: its element type (ONNX's TensorProto enum) and
/// dims, -1 where the dim is symbolic (`dim_param`) or unknown.
struct ValueInfo {
  std::string name;
  int32_t elementType = 0;
  std::vector<int64_t> dims;
};

struct Model {
  /// The default ("ai.onnx") domain's opset.
  int64_t opset = 0;
  std::string producer;
  std::vector<ValueInfo> inputs, outputs;
  std::map<std::string, Tensor> initializers;
  std::vector<Node> nodes; ///< topologically sorted, as ONNX requires
};

/// Reads `path`; nullopt with `error` naming the file and the problem (not
/// ONNX, truncated, external data, an element type Tweedie does not read).
std::optional<Model> readModel(const std::filesystem::path &path, std::string &error) noexcept;

/// ONNX's name of a TensorProto element type ("FLOAT", "INT64", ...).
std::string elementTypeName(int32_t type);

} // namespace tweedie::onnx

#endif
