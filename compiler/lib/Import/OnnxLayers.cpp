//===- OnnxLayers.cpp - convolution, normalisation, attention, resampling -===//
//
// The layers of a diffusers-style U-Net as PyTorch exports them:
//   Conv                               -> score.conv2d (symmetric pads, no dilation)
//   Reshape [B, G, -1], InstanceNormalization, Reshape back, Mul gamma, Add beta
//                                      -> score.group_norm (gamma and beta folded in)
//   MatMul(q, Transpose(k)), Mul/Div by a scale, Softmax, MatMul with v, on
//   [B, L, D] or on heads split by Reshape [B, L, H, D] and Transpose
//                                      -> score.attention
//   LayerNormalization (last axis)     -> score.layer_norm
//   Mul(x, 1 + Erf(x / sqrt 2)) * 0.5 -> score.act gelu
//   Resize (nearest, integer scale)    -> score.upsample
//   AveragePool (no padding)           -> score.avg_pool
//   Slice                              -> score.slice per axis
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

namespace tweedie::onnximport {

ImportedWeight *Importer::weightNamed(llvm::StringRef name) {
  for (ImportedWeight &w : weights)
    if (w.name == name)
      return &w;
  return nullptr;
}

LogicalResult Importer::slice() {
  const onnx::Tensor *starts = constantInput(1), *ends = constantInput(2);
  if (!starts || !ends)
    return failure();
  const onnx::Tensor *axesInput = constantInput(3, false);
  const onnx::Tensor *stepsInput = constantInput(4, false);
  const Entry *in = lookup(node->inputs[0]);
  if (!in)
    return failure();
  const std::vector<int64_t> dims = in->constant ? in->constant->dims : shapeOf(tensorInput(0));
  if (!in->constant && !in->ir)
    return failure();
  const auto rank = static_cast<int64_t>(dims.size());
  // Per axis: [begin, end) with step.
  std::vector<int64_t> begin(rank, 0), end(dims), step(rank, 1);
  for (int64_t k = 0; k < starts->numel(); ++k) {
    int64_t axis = axesInput ? axesInput->ints[k] : k;
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank)
      return fail("slices axis " + std::to_string(axis) + " of a rank-" + std::to_string(rank) +
                  " tensor");
    const int64_t s = stepsInput ? stepsInput->ints[k] : 1, d = dims[axis];
    if (d == kBatch)
      return fail("slices the batch axis (Tweedie keeps every sample)");
    auto clampIndex = [&](int64_t i) {
      i = i < 0 ? i + d : i;
      return std::clamp<int64_t>(i, 0, d);
    };
    if (s != 1)
      return fail("slices with step " + std::to_string(s) + " (only 1 is supported)");
    begin[axis] = clampIndex(starts->ints[k]);
    end[axis] = std::max(begin[axis], clampIndex(ends->ints[k]));
  }
  if (in->constant) {
    const onnx::Tensor &t = *in->constant;
    onnx::Tensor out;
    out.isFloat = t.isFloat;
    for (int64_t a = 0; a < rank; ++a)
      out.dims.push_back(end[a] - begin[a]);
    const std::vector<int64_t> inStrides = stridesOf(t.dims), outStrides = stridesOf(out.dims);
    for (int64_t i = 0; i < product(out.dims); ++i) {
      int64_t from = 0;
      for (int64_t a = 0; a < rank; ++a)
        from += ((i / outStrides[a]) % out.dims[a] + begin[a]) * inStrides[a];
      t.isFloat ? out.floats.push_back(t.floats[from]) : out.ints.push_back(t.ints[from]);
    }
    defineConstant(std::move(out));
    return success();
  }
  Value x = tensorInput(0);
  for (int64_t a = 1; a < rank; ++a)
    if (begin[a] != 0 || end[a] != dims[a])
      x = b.create<score::SliceOp>(loc, x, a, begin[a], end[a] - begin[a]);
  defineIR(x);
  return success();
}

LogicalResult Importer::conv() {
  Value x = tensorInput(0);
  const onnx::Tensor *w = constantInput(1);
  if (!x || !w)
    return failure();
  if (w->dims.size() != 4 || shapeOf(x).size() != 4)
    return fail("only 2-D convolutions of [B, C, H, W] are supported");
  if (node->stringAttr("auto_pad", "NOTSET") != "NOTSET")
    return fail("auto_pad is not supported (export with explicit pads)");
  for (int64_t d : node->intsAttr("dilations"))
    if (d != 1)
      return fail("dilated convolutions are not supported");
  std::vector<int64_t> pads = node->intsAttr("pads"), strides = node->intsAttr("strides");
  if (pads.empty())
    pads = {0, 0, 0, 0};
  if (strides.empty())
    strides = {1, 1};
  if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3])
    return fail("asymmetric padding is not supported");
  Value bias;
  if (const onnx::Tensor *c = constantInput(2, false))
    bias = param(node->inputs[2], *c);
  defineIR(b.create<score::Conv2DOp>(loc, x, param(node->inputs[1], *w), bias, Value(),
                                     b.getDenseI64ArrayAttr(strides),
                                     b.getDenseI64ArrayAttr({pads[0], pads[1]}),
                                     b.getI64IntegerAttr(node->intAttr("group", 1)),
                                     score::ActKindAttr()));
  return success();
}

LogicalResult Importer::instanceNorm() {
  Value grouped = tensorInput(0);
  const onnx::Tensor *scale = constantInput(1), *bias = constantInput(2);
  if (!grouped || !scale || !bias)
    return failure();
  const double epsilon = node->floatAttr("epsilon", 1e-5);
  const std::vector<int64_t> dims = shapeOf(grouped);
  const int64_t groups = dims.size() >= 2 ? dims[1] : 0;
  if (scale->numel() != groups || bias->numel() != groups)
    return fail("scale and bias must have one value per channel");
  PendingGroupNorm norm{grouped, groups, epsilon, {}, {}};
  for (int64_t g = 0; g < groups; ++g) {
    norm.scale.push_back(scale->at(g));
    norm.bias.push_back(bias->at(g));
  }
  // PyTorch's GroupNorm: the input viewed as [B, G, -1] first.
  auto view = grouped.getDefiningOp<score::ReshapeOp>();
  if (view && dims.size() == 3) {
    const std::vector<int64_t> original = shapeOf(view.getInput());
    if (original.size() >= 3 && original[1] % groups == 0) {
      norm.x = view.getInput();
      Entry e;
      e.groupNorm = norm;
      define(node->outputs[0], e);
      return success();
    }
  }
  // A plain instance norm of [B, C, ...]: group norm with a group per channel.
  return finishGroupNorm(norm, dims);
}

LogicalResult Importer::finishGroupNorm(const PendingGroupNorm &norm,
                                        const std::vector<int64_t> &to) {
  const std::vector<int64_t> dims = shapeOf(norm.x);
  if (to != dims)
    return fail("an InstanceNormalization over a grouped view must be reshaped back to its "
                "input's shape (PyTorch's GroupNorm export)");
  const int64_t channels = dims[1], perGroup = channels / norm.groups;
  onnx::Tensor gamma, beta;
  gamma.dims = beta.dims = {channels};
  for (int64_t c = 0; c < channels; ++c) {
    gamma.floats.push_back(norm.scale[c / perGroup]);
    beta.floats.push_back(norm.bias[c / perGroup]);
  }
  auto op = b.create<score::GroupNormOp>(
      loc, norm.x, param(node->name + ".gamma", gamma), param(node->name + ".beta", beta),
      b.getI64IntegerAttr(norm.groups), b.getF64FloatAttr(norm.epsilon), score::ActKindAttr());
  ownNorms.insert(op);
  defineIR(op);
  return success();
}

LogicalResult Importer::erf() {
  if (isConstant(0))
    return visitConstantOnly();
  Value in = tensorInput(0);
  if (!in)
    return failure();
  auto scaled = in.getDefiningOp<score::ScaleOp>();
  if (!scaled || !scaled.getShift().isZero() ||
      std::abs(scaled.getFactor().convertToDouble() * std::sqrt(2.0) - 1) > 1e-6)
    return fail("Erf is read only in GELU, x * (1 + Erf(x / sqrt(2))) * 0.5");
  Entry e;
  e.gelu = PendingGelu{scaled.getInput(), false};
  define(node->outputs[0], e);
  return success();
}

FailureOr<bool> Importer::foldIntoPattern(const Entry &x, const onnx::Tensor &c,
                                          bool constantFirst) {
  const std::string &op = node->opType;
  // GELU's 1 + Erf(x / sqrt 2).
  if (x.gelu && !x.gelu->onePlus && op == "Add" && c.numel() == 1 && c.at(0) == 1) {
    Entry out = x;
    out.gelu->onePlus = true;
    define(node->outputs[0], out);
    return true;
  }
  // Attention scores times (or over) a scalar.
  if (x.attention && !x.attention->probabilities && c.numel() == 1 &&
      (op == "Mul" || (op == "Div" && !constantFirst))) {
    Entry out = x;
    out.attention->scale *= op == "Mul" ? c.at(0) : 1 / c.at(0);
    define(node->outputs[0], out);
    return true;
  }
  // A per-channel affine map after a group_norm made here: into gamma and beta.
  auto norm = x.ir ? x.ir.getDefiningOp<score::GroupNormOp>() : score::GroupNormOp();
  const std::string &name = node->inputs[constantFirst ? 1 : 0];
  if (!norm || !ownNorms.count(norm) || readers(name) != 1 ||
      (op != "Mul" && op != "Add" && !(op == "Sub" && !constantFirst)))
    return false;
  const int64_t channels = shapeOf(norm.getResult())[1];
  std::vector<int64_t> dims = c.dims;
  while (!dims.empty() && dims.front() == 1 && static_cast<int64_t>(dims.size()) > 3)
    dims.erase(dims.begin());
  if (c.numel() != channels || (dims.size() > 1 && dims[0] != channels))
    return false;
  ImportedWeight *gamma = weightNamed(norm.getGamma().getDefiningOp<score::ParamOp>().getName());
  ImportedWeight *beta = weightNamed(norm.getBeta().getDefiningOp<score::ParamOp>().getName());
  for (int64_t k = 0; k < channels; ++k) {
    const double v = c.at(k);
    if (op == "Mul") {
      gamma->values[k] = static_cast<float>(gamma->values[k] * v);
      beta->values[k] = static_cast<float>(beta->values[k] * v);
    } else {
      beta->values[k] = static_cast<float>(beta->values[k] + (op == "Add" ? v : -v));
    }
  }
  defineIR(norm);
  return true;
}

LogicalResult Importer::layerNorm() {
  Value x = tensorInput(0);
  const onnx::Tensor *scale = constantInput(1);
  if (!x || !scale)
    return failure();
  const std::vector<int64_t> dims = shapeOf(x);
  const auto rank = static_cast<int64_t>(dims.size());
  const int64_t axis = node->intAttr("axis", -1);
  if (axis != -1 && axis != rank - 1)
    return fail("LayerNormalization over other than the last axis is not supported");
  if (node->outputs.size() > 1 && !node->outputs[1].empty() && readers(node->outputs[1]) > 0)
    return fail("its mean and inverse deviation outputs are not supported");
  onnx::Tensor bias;
  if (const onnx::Tensor *c = constantInput(2, false))
    bias = *c;
  else
    bias = onnx::Tensor{{dims.back()}, true, std::vector<double>(dims.back(), 0.0), {}};
  if (scale->numel() != dims.back() || bias.numel() != dims.back())
    return fail("scale and bias must have one value per feature of the last axis");
  onnx::Tensor gamma = *scale;
  gamma.dims = bias.dims = {dims.back()};
  defineIR(b.create<score::LayerNormOp>(
      loc, x, param(node->inputs[1], gamma),
      param(node->inputs.size() > 2 && !node->inputs[2].empty() ? node->inputs[2]
                                                                 : node->name + ".bias",
            bias),
      b.getF64FloatAttr(node->floatAttr("epsilon", 1e-5))));
  return success();
}

LogicalResult Importer::resize() {
  Value x = tensorInput(0);
  if (!x)
    return failure();
  const std::vector<int64_t> dims = shapeOf(x);
  if (node->stringAttr("mode", "nearest") != "nearest")
    return fail("only nearest-neighbour Resize is supported (mode '" +
                node->stringAttr("mode", "") + "')");
  const std::string transform = node->stringAttr("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = node->stringAttr("nearest_mode", "round_prefer_floor");
  if (!(transform == "asymmetric" && rounding == "floor") &&
      !(transform == "half_pixel" && rounding == "round_prefer_floor"))
    return fail("nearest Resize with coordinate_transformation_mode '" + transform +
                "' and nearest_mode '" + rounding + "' is not supported");
  std::vector<double> scales;
  if (const onnx::Tensor *s = constantInput(2, false); s && s->numel() == 4)
    for (int64_t i = 0; i < 4; ++i)
      scales.push_back(s->at(i));
  else if (const onnx::Tensor *sizes = constantInput(3, false); sizes && sizes->numel() == 4)
    for (int64_t i = 1; i < 4; ++i)
      scales.push_back(static_cast<double>(sizes->ints[i]) / dims[i]);
  if (scales.size() == 3)
    scales.insert(scales.begin(), 1.0);
  if (scales.size() != 4 || dims.size() != 4 || scales[1] != 1 || scales[2] != scales[3] ||
      scales[2] != std::floor(scales[2]) || scales[2] < 1)
    return fail("Resize must scale H and W of [B, C, H, W] by the same whole factor");
  const auto factor = static_cast<int64_t>(scales[2]);
  defineIR(b.create<score::UpsampleOp>(loc, x, b.getI64IntegerAttr(factor)));
  return success();
}

LogicalResult Importer::averagePool() {
  Value x = tensorInput(0);
  if (!x)
    return failure();
  for (int64_t p : node->intsAttr("pads"))
    if (p != 0)
      return fail("padded average pooling is not supported");
  if (node->intAttr("ceil_mode", 0))
    return fail("ceil_mode is not supported");
  std::vector<int64_t> kernel = node->intsAttr("kernel_shape"), strides = node->intsAttr("strides");
  if (strides.empty())
    strides = {1, 1};
  if (kernel.size() != 2 || shapeOf(x).size() != 4)
    return fail("only 2-D pooling of [B, C, H, W] is supported");
  defineIR(b.create<score::AvgPoolOp>(loc, x, b.getDenseI64ArrayAttr(kernel),
                                      b.getDenseI64ArrayAttr(strides)));
  return success();
}

LogicalResult Importer::softmax() {
  const Entry *in = lookup(node->inputs[0]);
  if (!in)
    return failure();
  const int64_t axis = node->intAttr("axis", -1);
  if (in->attention && !in->attention->probabilities && (axis == -1 || axis == 2)) {
    Entry out = *in;
    out.attention->probabilities = true;
    define(node->outputs[0], out);
    return success();
  }
  return fail("Softmax is read only in attention, Softmax(q k^T * scale) over the keys");
}

namespace {

/// x [B, L, E] split into heads: Reshape to [B, L, H, E / H], then Transposes
/// whose composition is `permutation`. Returns x and H, or nullopt.
std::optional<std::pair<Value, int64_t>> splitHeads(Value v, ArrayRef<int64_t> permutation) {
  SmallVector<int64_t> composed = {0, 1, 2, 3};
  while (auto t = v.getDefiningOp<score::TransposeOp>()) {
    SmallVector<int64_t> outer;
    for (int64_t axis : composed)
      outer.push_back(t.getPermutation()[axis]);
    composed = outer;
    v = t.getInput();
  }
  auto view = v.getDefiningOp<score::ReshapeOp>();
  if (!view || ArrayRef<int64_t>(composed) != permutation)
    return std::nullopt;
  auto x = cast<RankedTensorType>(view.getInput().getType());
  auto split = cast<RankedTensorType>(view.getType());
  if (x.getRank() != 3 || split.getRank() != 4 || split.getDimSize(1) != x.getDimSize(1) ||
      split.getDimSize(2) * split.getDimSize(3) != x.getDimSize(2))
    return std::nullopt;
  return std::make_pair(view.getInput(), split.getDimSize(2));
}

} // namespace

LogicalResult Importer::matMulOfTensors() {
  const Entry *a = lookup(node->inputs[0]);
  if (!a)
    return failure();
  if (a->attention && a->attention->probabilities) {
    const PendingAttention &p = *a->attention;
    Value v = tensorInput(1);
    if (!v)
      return failure();
    Value v3 = v;
    if (p.heads > 1) {
      auto split = splitHeads(v, {0, 2, 1, 3});
      if (!split || split->second != p.heads)
        return fail("attention's values must be split into heads as its queries are");
      v3 = split->first;
    }
    // score.attention scales by 1 / sqrt(E / H): the rest goes onto q.
    Value q = p.query;
    const auto depth = static_cast<double>(shapeOf(q).back() / p.heads);
    const double factor = p.scale * std::sqrt(depth);
    if (std::abs(factor - 1) > 1e-6) // float32 constants round 1/sqrt(D) at 1e-8
      q = b.create<score::ScaleOp>(loc, q, b.getF64FloatAttr(factor), b.getF64FloatAttr(0));
    Value out = b.create<score::AttentionOp>(loc, q, p.key, v3, b.getI64IntegerAttr(p.heads));
    if (p.heads > 1) {
      // Back to the [B, H, L, E / H] the graph goes on with (and folds away).
      std::vector<int64_t> dims = shapeOf(out);
      const int64_t perHead = dims[2] / p.heads;
      Value split = b.create<score::ReshapeOp>(
          loc, TypeRange{typeOf({dims[0], dims[1], p.heads, perHead})}, out);
      out = b.create<score::TransposeOp>(loc, split, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    }
    defineIR(out);
    return success();
  }
  Value q = tensorInput(0), kT = tensorInput(1);
  if (!q || !kT)
    return failure();
  Entry e;
  if (auto transposed = kT.getDefiningOp<score::TransposeOp>();
      shapeOf(q).size() == 3 && transposed &&
      transposed.getPermutation() == ArrayRef<int64_t>{0, 2, 1}) {
    e.attention = PendingAttention{q, transposed.getInput(), 1.0, false, 1};
  } else if (auto qs = splitHeads(q, {0, 2, 1, 3})) {
    auto ks = splitHeads(kT, {0, 2, 3, 1});
    if (!ks || ks->second != qs->second)
      return fail("multi-head attention's keys must be split into as many heads as its "
                  "queries and transposed to [B, H, D, S]");
    e.attention = PendingAttention{qs->first, ks->first, 1.0, false, qs->second};
  } else {
    return fail("multiplies two tensors of the network; Tweedie reads that only as "
                "attention's q k^T ([B, L, D] tensors, or heads split from them by Reshape "
                "and Transpose) and its MatMul with v");
  }
  define(node->outputs[0], e);
  return success();
}

} // namespace tweedie::onnximport
