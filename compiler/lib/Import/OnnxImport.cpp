//===- OnnxImport.cpp - ONNX nodes -> score ops ---------------------------===//
//
// One pass over the (topologically sorted) nodes. Each ONNX value is either
// known at import (a constant: initializers, Constant nodes, and everything
// computed from them alone, shapes included, with the batch as a symbol) or
// a tensor of the network, an MLIR value. Constant-only nodes fold in
// float64; nodes on tensors become score ops; a few PyTorch export patterns
// are recognised where they are met: x * Sigmoid(x) is SiLU, MatMul + Add of
// a bias is one dense, and Concat(Sin(t f), Cos(t f)) is a time embedding
// (sinusoidal where f is Tweedie's frequency ladder, Fourier features
// otherwise).
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/raw_ostream.h"

namespace tweedie {
namespace onnximport {

//===----------------------------------------------------------------------===//
// Network ops
//===----------------------------------------------------------------------===//

/// A constant as a [K, N] dense weight, transposed from [N, K] when asked.
onnx::Tensor asDenseWeight(const onnx::Tensor &w, bool transposed) {
  if (!transposed)
    return w;
  onnx::Tensor out = w;
  const int64_t n = w.dims[0], k = w.dims[1];
  out.dims = {k, n};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      out.floats[j * n + i] = w.floats[i * k + j];
  return out;
}

LogicalResult Importer::gemm() {
  Value a = tensorInput(0);
  const onnx::Tensor *w = constantInput(1);
  if (!a || !w)
    return failure();
  if (node->intAttr("transA", 0))
    return fail("transA = 1 on the network's tensor is not supported");
  if (w->dims.size() != 2)
    return fail("needs a 2-D weight");
  onnx::Tensor weight = asDenseWeight(*w, node->intAttr("transB", 0) != 0);
  const double alpha = node->floatAttr("alpha", 1.0), beta = node->floatAttr("beta", 1.0);
  for (double &v : weight.floats)
    v *= alpha;
  Value bias;
  if (const onnx::Tensor *c = constantInput(2, false)) {
    if (c->numel() != weight.dims[1])
      return fail("bias of " + std::to_string(c->numel()) + " values for " +
                  std::to_string(weight.dims[1]) + " outputs");
    onnx::Tensor scaled = *c;
    scaled.dims = {weight.dims[1]};
    for (double &v : scaled.floats)
      v *= beta;
    bias = param(node->inputs[2], scaled);
  } else if (node->inputs.size() > 2 && !node->inputs[2].empty()) {
    return fail("a bias that depends on the network's inputs is not supported");
  }
  defineIR(b.create<score::DenseOp>(loc, a, param(node->inputs[1], weight), bias, Value(),
                                    score::ActKindAttr()));
  return success();
}

LogicalResult Importer::matMul() {
  if (isConstant(0) && isConstant(1))
    return fail("MatMul of two constants is not folded");
  if (!isConstant(1))
    return matMulOfTensors();
  Value a = tensorInput(0);
  const onnx::Tensor *w = constantInput(1);
  if (!a || !w)
    return failure();
  if (w->dims.size() != 2)
    return fail("a MatMul weight must be 2-D [K, N]");
  defineIR(b.create<score::DenseOp>(loc, a, param(node->inputs[1], *w), Value(), Value(),
                                    score::ActKindAttr()));
  return success();
}

LogicalResult Importer::binary() {
  const std::string &op = node->opType;
  const bool c0 = isConstant(0), c1 = isConstant(1);
  // t as [B, 1] times constant frequencies: a time embedding's argument.
  if (op == "Mul" && (c0 || c1)) {
    const Entry *e = lookup(node->inputs[c0 ? 1 : 0]);
    const onnx::Tensor *f = constantInput(c0 ? 0 : 1);
    if (!e || !f)
      return failure();
    if (e->timeFactor && f->numel() > 1) {
      Entry out;
      TimeArgument arg{timeInput, {}};
      for (int64_t i = 0; i < f->numel(); ++i)
        arg.frequencies.push_back(*e->timeFactor * f->at(i));
      out.timeArg = arg;
      define(node->outputs[0], out);
      return success();
    }
    if (e->timeArg && f->numel() == 1) { // a scale of the features
      Entry out = *e;
      for (double &v : out.timeArg->frequencies)
        v *= f->at(0);
      define(node->outputs[0], out);
      return success();
    }
  }
  if (c0 && c1)
    return visitConstantOnly();
  if (c0 != c1) {
    const Entry *e = lookup(node->inputs[c0 ? 1 : 0]);
    const onnx::Tensor *c = constantInput(c0 ? 0 : 1);
    if (!e || !c)
      return failure();
    FailureOr<bool> intoPattern = foldIntoPattern(*e, *c, c0);
    if (failed(intoPattern))
      return failure();
    if (*intoPattern)
      return success();
  }
  // x (1 + erf(x / sqrt 2)) = 2 gelu(x); the * 0.5 after it folds into the scale.
  if (op == "Mul" && !c0 && !c1) {
    const Entry *u = lookup(node->inputs[0]), *v = lookup(node->inputs[1]);
    if (!u || !v)
      return failure();
    for (auto [half, other] : {std::pair{u, v}, std::pair{v, u}})
      if (other->gelu && other->gelu->onePlus && half->ir == other->gelu->x) {
        Value gelu = b.create<score::ActOp>(loc, score::ActKind::gelu, half->ir);
        defineIR(b.create<score::ScaleOp>(loc, gelu, b.getF64FloatAttr(2),
                                          b.getF64FloatAttr(0)));
        return success();
      }
  }
  Value x = tensorInput(c0 ? 1 : 0);
  if (!x)
    return failure();
  const Entry *xEntry = lookup(node->inputs[c0 ? 1 : 0]);
  if (c0 || c1) {
    const onnx::Tensor &c = *constantInput(c0 ? 0 : 1);
    if (c.numel() == 1) {
      const double k = c.at(0);
      double factor = 1, shift = 0;
      if (op == "Add")
        shift = k;
      else if (op == "Sub")
        c0 ? (factor = -1, shift = k) : (shift = -k);
      else if (op == "Mul")
        factor = k;
      else if (op == "Div") {
        if (c0) { // k / x
          x = b.create<score::ActOp>(loc, score::ActKind::reciprocal, x);
          factor = k;
        } else {
          factor = 1 / k;
        }
      } else if (op == "Pow" && !c0 && (k == 2 || k == 0.5)) {
        defineIR(b.create<score::ActOp>(loc, k == 2 ? score::ActKind::square
                                                    : score::ActKind::sqrt, x));
        return success();
      } else {
        return fail(op + " with a constant is not supported");
      }
      // A scale of a scale read only here is one scale (GELU's 2 and 0.5 cancel).
      auto inner = x.getDefiningOp<score::ScaleOp>();
      if (inner && inner.getShift().isZero() && readers(node->inputs[c0 ? 1 : 0]) == 1) {
        factor *= inner.getFactor().convertToDouble();
        x = inner.getInput();
      }
      Value y = factor == 1 && shift == 0
                    ? x
                    : Value(b.create<score::ScaleOp>(loc, x, b.getF64FloatAttr(factor),
                                                     b.getF64FloatAttr(shift)));
      defineIR(y);
      if (xEntry->timeFactor && shift == 0) // still c t
        values[node->outputs[0]].timeFactor = *xEntry->timeFactor * factor;
      return success();
    }
    // A bias after MatMul joins its dense op when nothing else reads the product.
    auto dense = x.getDefiningOp<score::DenseOp>();
    const std::vector<int64_t> xs = shapeOf(x);
    if (op == "Add" && dense && !dense.getBias() && c.numel() == xs.back() &&
        readers(node->inputs[c0 ? 1 : 0]) == 1) {
      onnx::Tensor bias = c;
      bias.dims = {c.numel()};
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(dense);
      Value biasParam = param(node->inputs[c0 ? 0 : 1], bias);
      dense.getBiasMutable().assign(biasParam);
      defineIR(dense);
      return success();
    }
    onnx::Tensor k = c;
    if (op == "Sub" || op == "Div") {
      for (double &v : k.floats)
        v = op == "Sub" ? -v : 1 / v;
      if (c0)
        return fail(op + " of a constant tensor by the network's tensor is not supported");
    }
    Value constant = param(node->inputs[c0 ? 0 : 1], k);
    defineIR(op == "Mul" || op == "Div" ? Value(b.create<score::MulOp>(loc, x, constant))
                                        : Value(b.create<score::AddOp>(loc, x, constant)));
    return success();
  }
  Value y = tensorInput(1);
  if (!y)
    return failure();
  if (op == "Mul") {
    // x * Sigmoid(x): SiLU.
    for (auto [u, v] : {std::pair{x, y}, std::pair{y, x}}) {
      auto sigmoid = v.getDefiningOp<score::ActOp>();
      if (sigmoid && sigmoid.getKind() == score::ActKind::sigmoid && sigmoid.getInput() == u) {
        defineIR(b.create<score::ActOp>(loc, score::ActKind::silu, u));
        return success();
      }
    }
    defineIR(b.create<score::MulOp>(loc, x, y));
    return success();
  }
  if (op == "Add") {
    defineIR(b.create<score::AddOp>(loc, x, y));
    return success();
  }
  if (op == "Sub") {
    Value negated = b.create<score::ScaleOp>(loc, y, b.getF64FloatAttr(-1), b.getF64FloatAttr(0));
    defineIR(b.create<score::AddOp>(loc, x, negated));
    return success();
  }
  if (op == "Div") {
    Value inverse = b.create<score::ActOp>(loc, score::ActKind::reciprocal, y);
    defineIR(b.create<score::MulOp>(loc, x, inverse));
    return success();
  }
  return fail(op + " of two tensors of the network is not supported");
}

LogicalResult Importer::activation(score::ActKind kind) {
  if (isConstant(0))
    return visitConstantOnly();
  Value x = tensorInput(0);
  if (!x)
    return failure();
  defineIR(b.create<score::ActOp>(loc, kind, x));
  return success();
}

LogicalResult Importer::trig(Entry::Trig which) {
  if (isConstant(0))
    return visitConstantOnly();
  const Entry *e = lookup(node->inputs[0]);
  if (!e)
    return failure();
  if (!e->timeArg)
    return fail("Sin and Cos are read only in a time embedding, Concat(Sin(t f), Cos(t f)) "
                "with t the time input and f constant frequencies");
  Entry out;
  out.timeArg = e->timeArg;
  out.trig = which;
  define(node->outputs[0], out);
  return success();
}

LogicalResult Importer::timeEmbedding(const Entry &first, const Entry &second, int64_t axis) {
  const TimeArgument &arg = *first.timeArg;
  if (second.timeArg->time != arg.time || second.timeArg->frequencies != arg.frequencies ||
      first.trig == second.trig || axis != 1)
    return fail("a time embedding concatenates Sin(t f) and Cos(t f) of the same t f along "
                "its last axis");
  const auto half = static_cast<int64_t>(arg.frequencies.size());
  const std::vector<double> &f = arg.frequencies;
  // Tweedie's sinusoidal ladder f_k = P^(-k / half), P the max period.
  const double period = half > 1 ? std::pow(f[1], -static_cast<double>(half)) : 10000.0;
  bool ladder = half > 1 && std::abs(f[0] - 1) <= 1e-12;
  for (int64_t k = 0; ladder && k < half; ++k)
    ladder = std::abs(f[k] - std::pow(period, -static_cast<double>(k) / half)) <= 1e-6 * f[k];
  Value embedding;
  if (ladder) {
    embedding = b.create<score::TimeEmbeddingOp>(
        loc, score::EmbeddingKindAttr::get(&context, score::EmbeddingKind::sinusoidal), arg.time,
        Value(), b.getI64IntegerAttr(2 * half), b.getF64FloatAttr(period));
  } else {
    // Fourier features sin(2 pi t w): w = f / (2 pi).
    onnx::Tensor w;
    w.dims = {half};
    for (double v : f)
      w.floats.push_back(v / (2 * M_PI));
    embedding = b.create<score::TimeEmbeddingOp>(
        loc, score::EmbeddingKindAttr::get(&context, score::EmbeddingKind::fourier), arg.time,
        param(node->name + ".frequencies", w), b.getI64IntegerAttr(2 * half),
        b.getF64FloatAttr(10000.0));
  }
  if (first.trig == Entry::Trig::Cos) { // flip_sin_to_cos: [cos | sin]
    Value sin = b.create<score::SliceOp>(loc, embedding, 1, 0, half);
    Value cos = b.create<score::SliceOp>(loc, embedding, 1, half, half);
    embedding = b.create<score::ConcatOp>(loc, ValueRange{cos, sin}, 1);
  }
  defineIR(embedding);
  return success();
}

LogicalResult Importer::concat() {
  bool allConstant = true;
  for (size_t i = 0; i < node->inputs.size(); ++i)
    allConstant &= isConstant(i);
  if (allConstant)
    return visitConstantOnly();
  std::vector<const Entry *> entries;
  for (const std::string &name : node->inputs) {
    const Entry *e = lookup(name);
    if (!e)
      return failure();
    entries.push_back(e);
  }
  int64_t axis = node->intAttr("axis", 0);
  if (entries.size() == 2 && entries[0]->trig != Entry::Trig::None &&
      entries[1]->trig != Entry::Trig::None)
    return timeEmbedding(*entries[0], *entries[1], axis < 0 ? axis + 2 : axis);
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node->inputs.size(); ++i) {
    Value v = tensorInput(i);
    if (!v)
      return failure();
    inputs.push_back(v);
  }
  const auto rank = static_cast<int64_t>(shapeOf(inputs[0]).size());
  axis = axis < 0 ? axis + rank : axis;
  if (axis == 0)
    return fail("concatenation along the batch axis is not supported");
  defineIR(b.create<score::ConcatOp>(loc, inputs, b.getI64IntegerAttr(axis)));
  return success();
}

LogicalResult Importer::reshapeLike() {
  const std::string &op = node->opType;
  if (isConstant(0))
    return visitConstantOnly();
  const Entry *in = lookup(node->inputs[0]);
  if (in && in->groupNorm && op == "Reshape") {
    const onnx::Tensor *shape = constantInput(1);
    if (!shape)
      return failure();
    return finishGroupNorm(*in->groupNorm, shape->ints);
  }
  Value x = tensorInput(0);
  if (!x)
    return failure();
  const std::vector<int64_t> dims = shapeOf(x);
  std::vector<int64_t> out;
  if (op == "Flatten") {
    int64_t axis = node->intAttr("axis", 1);
    axis = axis < 0 ? axis + static_cast<int64_t>(dims.size()) : axis;
    if (axis != 1)
      return fail("Flatten keeps the batch axis alone (axis 1) only");
    std::vector<int64_t> rest(dims.begin() + 1, dims.end());
    out = {dims[0], product(rest)};
  } else if (op == "Reshape") {
    const onnx::Tensor *shape = constantInput(1);
    if (!shape)
      return failure();
    out = shape->ints;
    int64_t infer = -1, known = 1;
    std::vector<int64_t> rest(dims.begin() + 1, dims.end());
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0 && !node->intAttr("allowzero", 0))
        out[i] = dims[i];
      if (out[i] == -1)
        infer = static_cast<int64_t>(i);
      else if (out[i] != kBatch)
        known *= out[i];
    }
    const bool batchKept = !out.empty() && (out[0] == kBatch || (infer == 0 && out.size() > 0));
    if (infer > 0)
      out[infer] = product(rest) / std::max<int64_t>(known, 1);
    if (infer == 0)
      out[0] = kBatch;
    if (!batchKept || std::count(out.begin(), out.end(), kBatch) != 1 ||
        product(std::vector<int64_t>(out.begin() + 1, out.end())) != product(rest))
      return fail("reshapes across the batch axis (Tweedie keeps axis 0 the batch)");
  } else { // Unsqueeze, Squeeze
    FailureOr<std::vector<int64_t>> axes = squeezeAxes();
    if (failed(axes))
      return failure();
    out = squeezedDims(dims, *axes, op == "Unsqueeze");
    if (out.empty() || out[0] != kBatch)
      return fail("moves the batch axis");
  }
  defineIR(b.create<score::ReshapeOp>(loc, TypeRange{typeOf(out)}, x));
  // [B] -> [B, 1] of the time input (or a multiple of it) keeps being c t.
  if (in->timeFactor && (out.size() == 1 || (out.size() == 2 && out[1] == 1)))
    values[node->outputs[0]].timeFactor = in->timeFactor;
  return success();
}

LogicalResult Importer::transpose() {
  if (isConstant(0))
    return visitConstantOnly();
  Value x = tensorInput(0);
  if (!x)
    return failure();
  std::vector<int64_t> perm = node->intsAttr("perm");
  if (perm.empty() || perm[0] != 0)
    return fail("moves the batch axis (Tweedie keeps axis 0 the batch)");
  defineIR(b.create<score::TransposeOp>(loc, x, b.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult Importer::visit() {
  const std::string &op = node->opType;
  if (!node->domain.empty() && node->domain != "ai.onnx")
    return fail("is in domain '" + node->domain + "', which Tweedie does not import");
  if (node->outputs.empty())
    return fail("has no output");
  if (op == "Constant") {
    const onnx::Attribute *value = node->attribute("value");
    if (value && value->tensor) {
      defineConstant(*value->tensor);
      return success();
    }
    onnx::Tensor t;
    if (const onnx::Attribute *f = node->attribute("value_float"))
      t = {{}, true, {f->f}, {}};
    else if (const onnx::Attribute *i = node->attribute("value_int"))
      t = {{}, false, {}, {i->i}};
    else if (const onnx::Attribute *fs = node->attribute("value_floats"))
      t = {{static_cast<int64_t>(fs->floats.size())}, true, fs->floats, {}};
    else if (const onnx::Attribute *is = node->attribute("value_ints"))
      t = {{static_cast<int64_t>(is->ints.size())}, false, {}, is->ints};
    else
      return fail("a Constant without a value Tweedie reads");
    defineConstant(std::move(t));
    return success();
  }
  if (op == "Shape") {
    const Entry *e = lookup(node->inputs[0]);
    if (!e)
      return failure();
    std::vector<int64_t> dims = e->constant ? e->constant->dims : shapeOf(tensorInput(0));
    if (!e->constant && !e->ir)
      return failure();
    const auto rank = static_cast<int64_t>(dims.size());
    int64_t start = node->intAttr("start", 0), end = node->intAttr("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    std::vector<int64_t> slice(dims.begin() + start, dims.begin() + std::max(start, end));
    defineConstant(onnx::Tensor{{static_cast<int64_t>(slice.size())}, false, {}, slice});
    return success();
  }
  if (op == "Identity" || op == "Dropout" || op == "Cast") {
    if (isConstant(0))
      return visitConstantOnly();
    const Entry *e = lookup(node->inputs[0]);
    if (!e)
      return failure();
    if (op == "Cast") {
      const int64_t to = node->intAttr("to", 1);
      if (to != 1 && to != 10 && to != 11)
        return fail("casts a tensor of the network to " + onnx::elementTypeName(to) +
                    " (Tweedie computes in float32)");
    }
    define(node->outputs[0], *e);
    return success();
  }
  if (op == "Gemm")
    return gemm();
  if (op == "MatMul")
    return matMul();
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow")
    return binary();
  static const std::map<std::string, score::ActKind> kActivations = {
      {"Sigmoid", score::ActKind::sigmoid}, {"Relu", score::ActKind::relu},
      {"Tanh", score::ActKind::tanh},       {"Softplus", score::ActKind::softplus},
      {"Exp", score::ActKind::exp},         {"Log", score::ActKind::log},
      {"Sqrt", score::ActKind::sqrt},       {"Reciprocal", score::ActKind::reciprocal}};
  if (auto act = kActivations.find(op); act != kActivations.end())
    return activation(act->second);
  if (op == "Neg") {
    if (isConstant(0))
      return visitConstantOnly();
    Value x = tensorInput(0);
    if (!x)
      return failure();
    defineIR(b.create<score::ScaleOp>(loc, x, b.getF64FloatAttr(-1), b.getF64FloatAttr(0)));
    return success();
  }
  if (op == "Sin")
    return trig(Entry::Trig::Sin);
  if (op == "Cos")
    return trig(Entry::Trig::Cos);
  if (op == "Concat")
    return concat();
  if (op == "Reshape" || op == "Unsqueeze" || op == "Squeeze" || op == "Flatten")
    return reshapeLike();
  if (op == "Transpose")
    return transpose();
  if (op == "Slice")
    return slice();
  if (op == "Pad") { // what PyTorch puts before AveragePool, with zero pads
    const onnx::Tensor *pads = constantInput(1);
    if (!pads)
      return failure();
    for (int64_t p : pads->ints)
      if (p != 0)
        return fail("non-zero padding is not supported (only the empty Pad PyTorch exports "
                    "before pooling)");
    if (const Entry *e = lookup(node->inputs[0])) {
      define(node->outputs[0], *e);
      return success();
    }
    return failure();
  }
  if (op == "Conv")
    return conv();
  if (op == "InstanceNormalization")
    return instanceNorm();
  if (op == "LayerNormalization")
    return layerNorm();
  if (op == "Erf")
    return erf();
  if (op == "Resize" || op == "Upsample")
    return resize();
  if (op == "AveragePool")
    return averagePool();
  if (op == "Softmax")
    return softmax();
  static const std::set<std::string> kFoldOnly = {"Gather", "Range", "ConstantOfShape",
                                                  "Floor", "Ceil", "Abs", "Max", "Min"};
  if (kFoldOnly.count(op)) {
    bool allConstant = true;
    for (size_t i = 0; i < node->inputs.size(); ++i)
      allConstant &= node->inputs[i].empty() || isConstant(i);
    if (allConstant)
      return visitConstantOnly();
    return fail(op + " on a tensor of the network is not supported (only on constants and "
                "shapes)");
  }
  return fail("is not supported by tweedie-import");
}

/// The graph input named `wanted`, or the one that looks like `rank`.
const onnx::ValueInfo *findInput(const onnx::Model &model, const std::string &wanted,
                                 bool sample, std::string &error) {
  for (const onnx::ValueInfo &v : model.inputs)
    if (!wanted.empty() && v.name == wanted)
      return &v;
  if (!wanted.empty()) {
    error = "the model has no input '" + wanted + "'";
    return nullptr;
  }
  std::vector<const onnx::ValueInfo *> candidates;
  for (const onnx::ValueInfo &v : model.inputs)
    if (sample ? v.dims.size() >= 2 : v.dims.size() <= 1)
      candidates.push_back(&v);
  if (candidates.size() == 1)
    return candidates[0];
  error = std::string("cannot tell which input is the ") + (sample ? "sample" : "time") +
          " (" + std::to_string(candidates.size()) + " candidates): name it with " +
          (sample ? "--sample-input" : "--time-input");
  return nullptr;
}

bool Importer::run(OnnxImportResult &result, std::string &errorOut) {
  auto fault = [&](const std::string &message) {
    errorOut = message;
    return false;
  };
  if (model.inputs.size() != 2)
    return fault("a score network has two inputs (the sample and the time); this model has " +
                 std::to_string(model.inputs.size()));
  if (model.outputs.size() != 1)
    return fault("a score network has one output; this model has " +
                 std::to_string(model.outputs.size()));
  std::string why;
  const onnx::ValueInfo *sample = findInput(model, options.sampleInput, true, why);
  const onnx::ValueInfo *time = sample ? findInput(model, options.timeInput, false, why) : nullptr;
  if (!sample || !time)
    return fault(why);
  if (sample == time)
    return fault("the sample and the time are the same input");
  if (sample->dims.empty() || sample->dims[0] >= 0)
    return fault("input '" + sample->name + "' has a fixed batch size: export with "
                 "dynamic_axes={'" + sample->name + "': {0: 'batch'}, ...} so Tweedie can "
                 "sample any number");
  for (size_t d = 1; d < sample->dims.size(); ++d)
    if (sample->dims[d] < 0)
      return fault("input '" + sample->name + "' has a dynamic dim " + std::to_string(d) +
                   "; only the batch (dim 0) may be");
  for (const onnx::Node &n : model.nodes)
    for (const std::string &in : n.inputs)
      ++readerCount[in];
  for (const onnx::ValueInfo &o : model.outputs)
    ++readerCount[o.name];

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  std::vector<int64_t> sampleDims = sample->dims;
  sampleDims[0] = kBatch;
  RankedTensorType sampleType = typeOf(sampleDims);
  auto timeType = typeOf({kBatch});
  auto fn = b.create<func::FuncOp>(loc, options.network,
                                   b.getFunctionType({sampleType, timeType}, {}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  timeInput = body->getArgument(1);
  values[sample->name] = Entry{body->getArgument(0), {}, {}, {}, {}};
  Entry t{timeInput, {}, {}, {}, {}};
  t.timeFactor = 1.0;
  values[time->name] = t;
  for (const auto &[name, tensor] : model.initializers) {
    Entry e;
    e.constant = tensor;
    values[name] = e;
  }
  for (const onnx::Node &n : model.nodes) {
    node = &n;
    if (failed(visit()))
      return fault(error);
  }
  node = nullptr;
  const Entry *out = lookup(model.outputs[0].name);
  if (!out)
    return fault(error);
  if (!out->ir)
    return fault("the output '" + model.outputs[0].name + "' does not depend on the inputs");
  b.create<func::ReturnOp>(loc, out->ir);
  fn.setFunctionType(b.getFunctionType({sampleType, timeType}, {out->ir.getType()}));
  // The output has the sample's shape (what every sampler adds to the state).
  if (out->ir.getType() != sampleType)
    return fault("the output is " + std::to_string(shapeOf(out->ir).size()) +
                 "-D of another shape than the sample: a score network returns eps, x0, v or "
                 "the score, shaped like its input");

  // Head splits undone around attention (reshape of reshape, transpose of
  // transpose) fold away.
  if (failed(applyPatternsAndFoldGreedily(fn, RewritePatternSet(&context))))
    return fault("the imported network's folding did not converge");
  // What the import left unread (a Sigmoid folded into SiLU, a bias's dense).
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*body)))
      if (!isa<func::ReturnOp>(op) && op.use_empty()) {
        op.erase();
        erased = true;
      }
  }
  // Drop weights whose param the clean-up removed.
  std::set<std::string> used;
  fn.walk([&](score::ParamOp p) { used.insert(p.getName().str()); });
  std::erase_if(weights, [&](const ImportedWeight &w) { return !used.count(w.name); });

  std::string message;
  ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diagnostic) {
    if (message.empty())
      message = diagnostic.str();
    return success();
  });
  if (!options.scheduleAttr.empty()) {
    Attribute schedule = parseAttribute(options.scheduleAttr, &context);
    if (!schedule)
      return fault("schedule " + options.scheduleAttr + ": " + message);
    fn->setAttr("sampler.schedule", schedule);
  }
  if (!options.prediction.empty())
    fn->setAttr("sampler.prediction", b.getStringAttr(options.prediction));
  if (failed(verify(*module)))
    return fault("the imported network does not verify: " + message);
  llvm::raw_string_ostream text(result.mlir);
  text << "// Imported by tweedie-import from an ONNX model (" << model.producer << ", opset "
       << model.opset << "): " << model.nodes.size() << " nodes, " << folded
       << " folded at import.\n";
  module->print(text);
  result.weights = std::move(weights);
  result.nodes = static_cast<int64_t>(model.nodes.size());
  result.folded = folded;
  return true;
}

} // namespace onnximport

using onnximport::Importer;
using namespace mlir;

bool importOnnx(const onnx::Model &model, const OnnxImportOptions &options,
                OnnxImportResult &result, std::string &error) {
  MLIRContext context;
  context.loadDialect<func::FuncDialect, score::ScoreDialect, sampler::SamplerDialect>();
  Importer importer(model, options, context);
  return importer.run(result, error);
}

} // namespace tweedie
