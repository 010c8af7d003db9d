//===- OnnxModel.cpp - ModelProto -> plain structs --------------------------===//
//
// Compiled with exceptions (protobuf's C++ may throw on allocation); nothing
// escapes readModel.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Import/OnnxModel.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tweedie::onnx {

namespace proto = ::onnx;

int64_t Tensor::numel() const {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<int64_t>());
}

const Attribute *Node::attribute(const std::string &key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : &it->second;
}
int64_t Node::intAttr(const std::string &key, int64_t otherwise) const {
  const Attribute *a = attribute(key);
  return a && a->kind == Attribute::Kind::Int ? a->i : otherwise;
}
double Node::floatAttr(const std::string &key, double otherwise) const {
  const Attribute *a = attribute(key);
  return a && a->kind == Attribute::Kind::Float ? a->f : otherwise;
}
std::vector<int64_t> Node::intsAttr(const std::string &key) const {
  const Attribute *a = attribute(key);
  return a && a->kind == Attribute::Kind::Ints ? a->ints : std::vector<int64_t>{};
}
std::string Node::stringAttr(const std::string &key, const std::string &otherwise) const {
  const Attribute *a = attribute(key);
  return a && a->kind == Attribute::Kind::String ? a->s : otherwise;
}

std::string elementTypeName(int32_t type) {
  if (proto::TensorProto_DataType_IsValid(type))
    return proto::TensorProto_DataType_Name(static_cast<proto::TensorProto_DataType>(type));
  return "type " + std::to_string(type);
}

namespace {

double halfToDouble(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -24);
  if (exponent == 31)
    return mantissa ? NAN : sign * INFINITY;
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

/// Little-endian raw bytes as T.
template <typename T> std::vector<T> rawAs(const std::string &raw, const std::string &what) {
  if (raw.size() % sizeof(T))
    throw std::runtime_error(what + ": raw data of " + std::to_string(raw.size()) +
                             " bytes is not a whole number of elements");
  std::vector<T> out(raw.size() / sizeof(T));
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

Tensor tensorOf(const proto::TensorProto &t, const std::string &what) {
  if (t.data_location() == proto::TensorProto_DataLocation_EXTERNAL)
    throw std::runtime_error(what + ": its data lies in an external file, which Tweedie does "
                                    "not read (save the model with its weights inside)");
  Tensor out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  for (int64_t d : out.dims)
    if (d < 0)
      throw std::runtime_error(what + ": negative dim " + std::to_string(d));
  const bool raw = t.has_raw_data();
  using DT = proto::TensorProto_DataType;
  switch (t.data_type()) {
  case DT::TensorProto_DataType_FLOAT:
    if (raw)
      for (float v : rawAs<float>(t.raw_data(), what))
        out.floats.push_back(v);
    else
      out.floats.assign(t.float_data().begin(), t.float_data().end());
    break;
  case DT::TensorProto_DataType_DOUBLE:
    out.floats = raw ? rawAs<double>(t.raw_data(), what)
                     : std::vector<double>(t.double_data().begin(), t.double_data().end());
    break;
  case DT::TensorProto_DataType_FLOAT16:
    if (raw)
      for (uint16_t v : rawAs<uint16_t>(t.raw_data(), what))
        out.floats.push_back(halfToDouble(v));
    else
      for (int32_t v : t.int32_data())
        out.floats.push_back(halfToDouble(static_cast<uint16_t>(v)));
    break;
  case DT::TensorProto_DataType_INT64:
    out.isFloat = false;
    out.ints = raw ? rawAs<int64_t>(t.raw_data(), what)
                   : std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end());
    break;
  case DT::TensorProto_DataType_INT32:
    out.isFloat = false;
    if (raw)
      for (int32_t v : rawAs<int32_t>(t.raw_data(), what))
        out.ints.push_back(v);
    else
      out.ints.assign(t.int32_data().begin(), t.int32_data().end());
    break;
  case DT::TensorProto_DataType_BOOL:
  case DT::TensorProto_DataType_UINT8:
    out.isFloat = false;
    if (raw)
      for (uint8_t v : rawAs<uint8_t>(t.raw_data(), what))
        out.ints.push_back(v);
    else
      out.ints.assign(t.int32_data().begin(), t.int32_data().end());
    break;
  default:
    throw std::runtime_error(what + ": element type " + elementTypeName(t.data_type()) +
                             " is not read by Tweedie (float, double, float16, int64, int32, "
                             "bool, uint8)");
  }
  const int64_t stored = out.isFloat ? static_cast<int64_t>(out.floats.size())
                                     : static_cast<int64_t>(out.ints.size());
  if (stored != out.numel())
    throw std::runtime_error(what + ": " + std::to_string(stored) + " values for dims of " +
                             std::to_string(out.numel()) + " elements");
  return out;
}

Attribute attributeOf(const proto::AttributeProto &a, const std::string &what) {
  Attribute out;
  using AT = proto::AttributeProto_AttributeType;
  switch (a.type()) {
  case AT::AttributeProto_AttributeType_INT:
    out.kind = Attribute::Kind::Int;
    out.i = a.i();
    break;
  case AT::AttributeProto_AttributeType_FLOAT:
    out.kind = Attribute::Kind::Float;
    out.f = a.f();
    break;
  case AT::AttributeProto_AttributeType_STRING:
    out.kind = Attribute::Kind::String;
    out.s = a.s();
    break;
  case AT::AttributeProto_AttributeType_INTS:
    out.kind = Attribute::Kind::Ints;
    out.ints.assign(a.ints().begin(), a.ints().end());
    break;
  case AT::AttributeProto_AttributeType_FLOATS:
    out.kind = Attribute::Kind::Floats;
    out.floats.assign(a.floats().begin(), a.floats().end());
    break;
  case AT::AttributeProto_AttributeType_TENSOR:
    out.kind = Attribute::Kind::Tensor;
    out.tensor = tensorOf(a.t(), what + " attribute '" + a.name() + "'");
    break;
  default:
    out.kind = Attribute::Kind::Other;
  }
  return out;
}

ValueInfo valueInfoOf(const proto::ValueInfoProto &v) {
  ValueInfo out;
  out.name = v.name();
  if (v.type().has_tensor_type()) {
    const auto &tensor = v.type().tensor_type();
    out.elementType = tensor.elem_type();
    for (const auto &d : tensor.shape().dim())
      out.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return out;
}

Model modelOf(const proto::ModelProto &m) {
  Model out;
  out.producer = m.producer_name();
  if (!m.producer_version().empty())
    out.producer += " " + m.producer_version();
  for (const auto &o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      out.opset = o.version();
  const proto::GraphProto &g = m.graph();
  for (const auto &t : g.initializer())
    out.initializers[t.name()] = tensorOf(t, "initializer '" + t.name() + "'");
  for (const auto &v : g.input())
    if (!out.initializers.count(v.name())) // old exports list initializers as inputs too
      out.inputs.push_back(valueInfoOf(v));
  for (const auto &v : g.output())
    out.outputs.push_back(valueInfoOf(v));
  for (const auto &n : g.node()) {
    Node node;
    node.opType = n.op_type();
    node.name = n.name();
    node.domain = n.domain();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    const std::string what = "node '" + n.name() + "' (" + n.op_type() + ")";
    for (const auto &a : n.attribute())
      node.attributes[a.name()] = attributeOf(a, what);
    out.nodes.push_back(std::move(node));
  }
  return out;
}

} // namespace

std::optional<Model> readModel(const std::filesystem::path &path, std::string &error) noexcept {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = path.string() + ": cannot open";
      return std::nullopt;
    }
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    proto::ModelProto model;
    if (data.empty() || !model.ParseFromString(data) || !model.has_graph()) {
      error = path.string() + ": not an ONNX model (no ModelProto with a graph parses from its " +
              std::to_string(data.size()) + " bytes: truncated or another format?)";
      return std::nullopt;
    }
    return modelOf(model);
  } catch (const std::exception &e) {
    error = path.string() + ": " + e.what();
    return std::nullopt;
  }
}

} // namespace tweedie::onnx
