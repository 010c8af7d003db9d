//===- Importer.h - the ONNX importer's state, shared by its files -*- C++ -*-===//
//
// OnnxImport.cpp walks the nodes and maps the elementwise, dense and shape
// ops; OnnxFolding.cpp folds constant-only nodes; OnnxLayers.cpp maps
// convolution, normalisation, attention, resampling and pooling.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_IMPORT_IMPORTER_H
#define TWEEDIE_IMPORT_IMPORTER_H

#include "tweedie/Import/OnnxImport.h"
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

namespace tweedie::onnximport {

using namespace mlir;

/// The batch in a folded shape: Shape of a [B, ...] tensor yields it.
constexpr int64_t kBatch = std::numeric_limits<int64_t>::min() + 7;

/// t f: the argument of a time embedding's Sin and Cos, per sample t times
/// constant frequencies.
struct TimeArgument {
  Value time; ///< [B]
  std::vector<double> frequencies;
};

/// InstanceNormalization over a [B, G, ...] view of x: group_norm of x once
/// the view is undone.
struct PendingGroupNorm {
  Value x;
  int64_t groups = 1;
  double epsilon = 1e-5;
  std::vector<double> scale, bias; ///< per group
};

/// q k^T (times `scale`, then softmax'd when `probabilities`): the scores of
/// attention, waiting for their MatMul with v. With heads, q and k were
/// split from [B, L, E] into [B, H, L, E / H] by Reshape and Transpose.
struct PendingAttention {
  Value query, key; ///< [B, L, E] and [B, S, E], before any head split
  double scale = 1.0;
  bool probabilities = false;
  int64_t heads = 1;
};

/// Erf(x / sqrt 2), or 1 + that (`onePlus`): PyTorch's exact GELU,
/// x (1 + erf(x / sqrt 2)) / 2, on its way.
struct PendingGelu {
  Value x;
  bool onePlus = false;
};

/// What an ONNX value is at import.
struct Entry {
  Value ir;                               ///< a tensor of the network
  std::optional<onnx::Tensor> constant;   ///< or known now
  std::optional<double> timeFactor;       ///< ir is c t as [B, 1] (c = *timeFactor)
  std::optional<TimeArgument> timeArg;    ///< t f, not emitted
  enum class Trig { None, Sin, Cos } trig = Trig::None; ///< Sin/Cos of timeArg
  std::optional<PendingGroupNorm> groupNorm;
  std::optional<PendingAttention> attention;
  std::optional<PendingGelu> gelu;

  /// Not yet a tensor: one of the patterns above, waiting for its end.
  bool pending() const {
    return timeArg || trig != Trig::None || groupNorm || attention || gelu;
  }
};

inline int64_t product(const std::vector<int64_t> &dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<int64_t>());
}

/// Row-major strides.
inline std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

class Importer {
public:
  Importer(const onnx::Model &model, const OnnxImportOptions &options, MLIRContext &context)
      : model(model), options(options), context(context), b(&context),
        loc(UnknownLoc::get(&context)) {}

  bool run(OnnxImportResult &result, std::string &errorOut);

private:
  //===--- errors ---------------------------------------------------------===//
  LogicalResult fail(const std::string &message) {
    if (error.empty())
      error = node ? "node '" + node->name + "' (" + node->opType + ", opset " +
                         std::to_string(model.opset) + "): " + message
                   : message;
    return failure();
  }

  //===--- values ---------------------------------------------------------===//
  const Entry *lookup(const std::string &name) {
    auto it = values.find(name);
    if (it == values.end()) {
      (void)fail("reads '" + name + "', which no earlier node or input defines");
      return nullptr;
    }
    return &it->second;
  }
  /// Input i as a constant, or null (with an error when `required`).
  const onnx::Tensor *constantInput(size_t i, bool required = true) {
    if (i >= node->inputs.size() || node->inputs[i].empty()) {
      if (required)
        (void)fail("lacks input " + std::to_string(i));
      return nullptr;
    }
    const Entry *e = lookup(node->inputs[i]);
    if (!e)
      return nullptr;
    if (!e->constant) {
      if (required)
        (void)fail("input '" + node->inputs[i] + "' must be known at import (a constant or a "
                   "shape), but it depends on the network's inputs");
      return nullptr;
    }
    return &*e->constant;
  }
  /// Input i as a network tensor (emitting pending time features is not
  /// supported: they only feed Sin and Cos).
  Value tensorInput(size_t i) {
    if (i >= node->inputs.size() || node->inputs[i].empty()) {
      (void)fail("lacks input " + std::to_string(i));
      return {};
    }
    const Entry *e = lookup(node->inputs[i]);
    if (!e)
      return {};
    if (e->timeArg || e->trig != Entry::Trig::None) {
      (void)fail("reads '" + node->inputs[i] + "', a time embedding's t * f or its Sin/Cos; "
                 "Tweedie reads those only as Concat(Sin(t f), Cos(t f))");
      return {};
    }
    if (e->groupNorm) {
      (void)fail("reads '" + node->inputs[i] + "', an InstanceNormalization over a grouped "
                 "view; Tweedie reads it only reshaped back (PyTorch's GroupNorm export)");
      return {};
    }
    if (e->gelu) {
      (void)fail("reads '" + node->inputs[i] + "', an Erf of x / sqrt(2); Tweedie reads it "
                 "only in GELU, x * (1 + Erf(x / sqrt(2))) * 0.5");
      return {};
    }
    if (e->attention) {
      (void)fail("reads '" + node->inputs[i] + "', attention scores; Tweedie reads q k^T only "
                 "scaled, through Softmax and into a MatMul with v");
      return {};
    }
    if (!e->ir)
      (void)fail("input '" + node->inputs[i] + "' is a constant where a tensor of the network "
                 "is expected");
    return e->ir;
  }
  bool isConstant(size_t i) {
    const Entry *e = i < node->inputs.size() ? lookup(node->inputs[i]) : nullptr;
    return e && e->constant;
  }
  void define(const std::string &name, Entry entry) { values[name] = std::move(entry); }
  void defineIR(Value v) { define(node->outputs[0], Entry{v, {}, {}, {}, {}}); }
  void defineConstant(onnx::Tensor t) {
    ++folded;
    Entry e;
    e.constant = std::move(t);
    define(node->outputs[0], std::move(e));
  }

  //===--- types and weights ----------------------------------------------===//
  static std::vector<int64_t> shapeOf(Value v) {
    std::vector<int64_t> dims;
    for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
      dims.push_back(ShapedType::isDynamic(d) ? kBatch : d);
    return dims;
  }
  RankedTensorType typeOf(const std::vector<int64_t> &dims) {
    SmallVector<int64_t> shape;
    for (int64_t d : dims)
      shape.push_back(d == kBatch ? ShapedType::kDynamic : d);
    return RankedTensorType::get(shape, b.getF32Type());
  }
  /// A score.param holding `t` (float32), named after `name`, made unique.
  Value param(std::string name, const onnx::Tensor &t) {
    if (name.empty())
      name = "onnx." + node->name;
    std::string unique = name;
    for (int k = 1; paramNames.count(unique); ++k)
      unique = name + "." + std::to_string(k);
    paramNames.insert(unique);
    ImportedWeight w{unique, t.dims, {}};
    for (int64_t i = 0; i < t.numel(); ++i)
      w.values.push_back(static_cast<float>(t.at(i)));
    weights.push_back(std::move(w));
    return b.create<score::ParamOp>(loc, TypeRange{typeOf(t.dims)}, b.getStringAttr(unique));
  }
  /// Unsqueeze/Squeeze's axes: the attribute (opset < 13) or input 1.
  FailureOr<std::vector<int64_t>> squeezeAxes() {
    if (node->inputs.size() < 2)
      return node->intsAttr("axes");
    const onnx::Tensor *a = constantInput(1);
    if (!a)
      return failure();
    return a->ints;
  }
  /// How many nodes (and graph outputs) read `name`.
  int64_t readers(const std::string &name) const {
    auto it = readerCount.find(name);
    return it == readerCount.end() ? 0 : it->second;
  }

  //===--- the nodes ------------------------------------------------------===//
  LogicalResult visit();
  LogicalResult visitConstantOnly();
  LogicalResult gemm();
  LogicalResult matMul();
  LogicalResult binary();
  LogicalResult activation(score::ActKind kind);
  LogicalResult trig(Entry::Trig which);
  LogicalResult concat();
  LogicalResult reshapeLike();
  LogicalResult transpose();
  LogicalResult timeEmbedding(const Entry &first, const Entry &second, int64_t axis);
  // OnnxLayers.cpp
  LogicalResult slice();
  LogicalResult conv();
  LogicalResult instanceNorm();
  LogicalResult layerNorm();
  LogicalResult resize();
  LogicalResult averagePool();
  LogicalResult softmax();
  LogicalResult matMulOfTensors();
  LogicalResult erf();
  /// A Mul/Add/Div by a constant folded into a pending pattern or the
  /// group_norm before it; failure() without an error when none applies.
  FailureOr<bool> foldIntoPattern(const Entry &x, const onnx::Tensor &c, bool constantFirst);
  /// Reshape of a pending group norm back to its input's shape.
  LogicalResult finishGroupNorm(const PendingGroupNorm &norm, const std::vector<int64_t> &to);
  /// The importer's weight named `name`.
  ImportedWeight *weightNamed(llvm::StringRef name);

  /// Folds the constant-only node in float64 (or int64 for shapes).
  FailureOr<onnx::Tensor> fold();

  const onnx::Model &model;
  const OnnxImportOptions &options;
  MLIRContext &context;
  OpBuilder b;
  Location loc;
  const onnx::Node *node = nullptr;
  std::map<std::string, Entry> values;
  std::map<std::string, int64_t> readerCount;
  std::vector<ImportedWeight> weights;
  std::set<std::string> paramNames;
  /// group_norm ops whose gamma and beta the importer made for them alone.
  std::set<Operation *> ownNorms;
  int64_t folded = 0;
  std::string error;
  Value timeInput; ///< the function's t [B]
};

/// Unsqueeze's or Squeeze's result dims (`unsqueeze`: insert 1s at `axes`
/// of the result; otherwise drop `axes`, or every 1 when `axes` is empty).
std::vector<int64_t> squeezedDims(const std::vector<int64_t> &dims,
                                  const std::vector<int64_t> &axes, bool unsqueeze);

/// NumPy broadcasting of two dim lists.
std::optional<std::vector<int64_t>> broadcastDims(std::vector<int64_t> a, std::vector<int64_t> b);

/// Element index of `t` read at output position `index` of `out` under broadcasting.
int64_t broadcastIndex(const onnx::Tensor &t, const std::vector<int64_t> &out, int64_t index);

} // namespace tweedie::onnximport

#endif
