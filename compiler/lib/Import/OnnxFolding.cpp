//===- OnnxFolding.cpp - constant-only ONNX nodes, folded at import -------===//
//
// Initializers, Constant nodes and everything computed from them alone
// (shapes included, the batch a symbol) fold here in float64, or int64 for
// integer tensors, so the network keeps only what depends on its inputs.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

namespace tweedie::onnximport {

//===----------------------------------------------------------------------===//
// Constant folding
//===----------------------------------------------------------------------===//

std::vector<int64_t> squeezedDims(const std::vector<int64_t> &dims,
                                  const std::vector<int64_t> &axes, bool unsqueeze) {
  std::vector<int64_t> out;
  if (unsqueeze) {
    const auto rank = static_cast<int64_t>(dims.size() + axes.size());
    std::vector<int64_t> sorted;
    for (int64_t a : axes)
      sorted.push_back(a < 0 ? a + rank : a);
    std::sort(sorted.begin(), sorted.end());
    out = dims;
    for (int64_t a : sorted)
      out.insert(out.begin() + std::min<int64_t>(a, static_cast<int64_t>(out.size())), 1);
    return out;
  }
  const auto rank = static_cast<int64_t>(dims.size());
  for (int64_t d = 0; d < rank; ++d) {
    bool drop = axes.empty() && dims[d] == 1;
    for (int64_t a : axes)
      drop |= (a < 0 ? a + rank : a) == d;
    if (!drop)
      out.push_back(dims[d]);
  }
  return out;
}

/// NumPy broadcasting of two dim lists.
std::optional<std::vector<int64_t>> broadcastDims(std::vector<int64_t> a, std::vector<int64_t> b) {
  while (a.size() < b.size())
    a.insert(a.begin(), 1);
  while (b.size() < a.size())
    b.insert(b.begin(), 1);
  std::vector<int64_t> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1)
      return std::nullopt;
    out[i] = a[i] == 1 ? b[i] : a[i];
  }
  return out;
}

/// Element index of `t` read at output position `index` of `out` under broadcasting.
int64_t broadcastIndex(const onnx::Tensor &t, const std::vector<int64_t> &out, int64_t index) {
  const std::vector<int64_t> outStrides = stridesOf(out);
  const size_t offset = out.size() - t.dims.size();
  const std::vector<int64_t> strides = stridesOf(t.dims);
  int64_t at = 0;
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t coordinate = (index / outStrides[d]) % out[d];
    if (d >= offset && t.dims[d - offset] != 1)
      at += coordinate * strides[d - offset];
  }
  return at;
}

FailureOr<onnx::Tensor> Importer::fold() {
  const std::string &op = node->opType;
  auto input = [&](size_t i) { return constantInput(i); };
  auto integers = [](std::vector<int64_t> dims, std::vector<int64_t> v) {
    onnx::Tensor t;
    t.dims = std::move(dims);
    t.isFloat = false;
    t.ints = std::move(v);
    return t;
  };
  if (op == "Identity" || op == "Dropout")
    return *input(0);
  if (op == "Cast") {
    onnx::Tensor t = *input(0);
    const int64_t to = node->intAttr("to", 1);
    const bool toFloat = to == 1 || to == 10 || to == 11;
    if (toFloat && !t.isFloat) {
      for (int64_t v : t.ints)
        t.floats.push_back(static_cast<double>(v));
      t.ints.clear();
      t.isFloat = true;
    } else if (!toFloat && t.isFloat) {
      for (double v : t.floats)
        t.ints.push_back(static_cast<int64_t>(v));
      t.floats.clear();
      t.isFloat = false;
    }
    return t;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    onnx::Tensor t = *input(0);
    FailureOr<std::vector<int64_t>> axes = squeezeAxes();
    if (failed(axes))
      return failure();
    t.dims = squeezedDims(t.dims, *axes, op == "Unsqueeze");
    return t;
  }
  if (op == "Concat") {
    onnx::Tensor out = *input(0);
    const int64_t rank = static_cast<int64_t>(out.dims.size());
    int64_t axis = node->intAttr("axis", 0);
    axis = axis < 0 ? axis + rank : axis;
    if (axis != 0 && rank > 1) {
      (void)fail("folds Concat of constants along axis 0 only");
      return failure();
    }
    for (size_t i = 1; i < node->inputs.size(); ++i) {
      const onnx::Tensor *t = input(i);
      if (!t)
        return failure();
      out.dims[0] += t->dims.empty() ? 1 : t->dims[0];
      out.floats.insert(out.floats.end(), t->floats.begin(), t->floats.end());
      out.ints.insert(out.ints.end(), t->ints.begin(), t->ints.end());
      if (t->isFloat != out.isFloat) {
        (void)fail("concatenates constants of different element types");
        return failure();
      }
    }
    return out;
  }
  if (op == "Gather") {
    const onnx::Tensor &data = *input(0);
    const onnx::Tensor *indices = input(1);
    if (!indices)
      return failure();
    int64_t axis = node->intAttr("axis", 0);
    if (axis < 0)
      axis += static_cast<int64_t>(data.dims.size());
    if (axis != 0) {
      (void)fail("folds Gather of constants along axis 0 only");
      return failure();
    }
    const int64_t rows = data.dims.empty() ? 1 : data.dims[0];
    const int64_t row = data.numel() / std::max<int64_t>(rows, 1);
    onnx::Tensor out;
    out.isFloat = data.isFloat;
    out.dims = indices->dims;
    out.dims.insert(out.dims.end(), data.dims.begin() + 1, data.dims.end());
    for (int64_t k = 0; k < indices->numel(); ++k) {
      int64_t i = static_cast<int64_t>(indices->at(k));
      i = i < 0 ? i + rows : i;
      if (i < 0 || i >= rows) {
        (void)fail("gathers index " + std::to_string(i) + " of " + std::to_string(rows));
        return failure();
      }
      for (int64_t e = 0; e < row; ++e)
        data.isFloat ? out.floats.push_back(data.floats[i * row + e])
                     : out.ints.push_back(data.ints[i * row + e]);
    }
    return out;
  }
  if (op == "Reshape") {
    onnx::Tensor t = *input(0);
    const onnx::Tensor *shape = input(1);
    if (!shape)
      return failure();
    std::vector<int64_t> dims = shape->ints;
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == 0 && i < t.dims.size())
        dims[i] = t.dims[i];
      if (dims[i] == -1)
        infer = static_cast<int64_t>(i);
      else
        known *= dims[i];
    }
    if (infer >= 0)
      dims[infer] = t.numel() / std::max<int64_t>(known, 1);
    t.dims = dims;
    return t;
  }
  if (op == "Transpose") {
    const onnx::Tensor &t = *input(0);
    std::vector<int64_t> perm = node->intsAttr("perm");
    if (perm.empty())
      for (int64_t d = static_cast<int64_t>(t.dims.size()) - 1; d >= 0; --d)
        perm.push_back(d);
    onnx::Tensor out = t;
    for (size_t d = 0; d < perm.size(); ++d)
      out.dims[d] = t.dims[perm[d]];
    const std::vector<int64_t> inStrides = stridesOf(t.dims), outStrides = stridesOf(out.dims);
    for (int64_t i = 0; i < t.numel(); ++i) {
      int64_t from = 0;
      for (size_t d = 0; d < perm.size(); ++d)
        from += ((i / outStrides[d]) % out.dims[d]) * inStrides[perm[d]];
      if (t.isFloat)
        out.floats[i] = t.floats[from];
      else
        out.ints[i] = t.ints[from];
    }
    return out;
  }
  if (op == "Range") {
    const double start = input(0)->at(0), limit = input(1)->at(0), delta = input(2)->at(0);
    onnx::Tensor out;
    out.isFloat = input(0)->isFloat;
    const auto n = static_cast<int64_t>(std::max(0.0, std::ceil((limit - start) / delta)));
    out.dims = {n};
    for (int64_t i = 0; i < n; ++i)
      out.isFloat ? out.floats.push_back(start + i * delta)
                  : out.ints.push_back(static_cast<int64_t>(start + i * delta));
    return out;
  }
  if (op == "ConstantOfShape") {
    onnx::Tensor out;
    out.dims = input(0)->ints;
    const onnx::Attribute *value = node->attribute("value");
    const onnx::Tensor fill =
        value && value->tensor ? *value->tensor : onnx::Tensor{{1}, true, {0.0}, {}};
    out.isFloat = fill.isFloat;
    for (int64_t i = 0; i < product(out.dims); ++i)
      out.isFloat ? out.floats.push_back(fill.at(0))
                  : out.ints.push_back(static_cast<int64_t>(fill.at(0)));
    return out;
  }
  // Elementwise, in float64 (or int64 when every operand is an integer).
  static const std::set<std::string> kUnary = {"Neg", "Exp", "Log", "Sqrt", "Sin", "Cos",
                                               "Reciprocal", "Sigmoid", "Tanh", "Relu",
                                               "Floor", "Ceil", "Abs", "Erf"};
  static const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div", "Pow",
                                                "Max", "Min"};
  if (kUnary.count(op)) {
    onnx::Tensor t = *input(0);
    if (!t.isFloat && op != "Neg" && op != "Abs") {
      for (int64_t v : t.ints)
        t.floats.push_back(static_cast<double>(v));
      t.ints.clear();
      t.isFloat = true;
    }
    auto apply = [&](double x) {
      if (op == "Neg") return -x;
      if (op == "Exp") return std::exp(x);
      if (op == "Log") return std::log(x);
      if (op == "Sqrt") return std::sqrt(x);
      if (op == "Sin") return std::sin(x);
      if (op == "Cos") return std::cos(x);
      if (op == "Reciprocal") return 1 / x;
      if (op == "Sigmoid") return 1 / (1 + std::exp(-x));
      if (op == "Tanh") return std::tanh(x);
      if (op == "Relu") return std::max(x, 0.0);
      if (op == "Floor") return std::floor(x);
      if (op == "Ceil") return std::ceil(x);
      if (op == "Erf") return std::erf(x);
      return std::abs(x);
    };
    if (t.isFloat)
      for (double &v : t.floats)
        v = apply(v);
    else
      for (int64_t &v : t.ints)
        v = static_cast<int64_t>(apply(static_cast<double>(v)));
    return t;
  }
  if (kBinary.count(op)) {
    const onnx::Tensor *x = input(0), *y = input(1);
    if (!x || !y)
      return failure();
    std::optional<std::vector<int64_t>> dims = broadcastDims(x->dims, y->dims);
    if (!dims) {
      (void)fail("operands do not broadcast");
      return failure();
    }
    onnx::Tensor out;
    out.dims = *dims;
    out.isFloat = x->isFloat || y->isFloat;
    for (int64_t i = 0; i < product(*dims); ++i) {
      const double a = x->at(broadcastIndex(*x, *dims, i)), c = y->at(broadcastIndex(*y, *dims, i));
      if (!out.isFloat && (a == static_cast<double>(kBatch) || c == static_cast<double>(kBatch))) {
        (void)fail("computes with the batch size, which Tweedie leaves open");
        return failure();
      }
      double r = op == "Add" ? a + c : op == "Sub" ? a - c : op == "Mul" ? a * c
               : op == "Pow" ? std::pow(a, c) : op == "Max" ? std::max(a, c)
               : op == "Min" ? std::min(a, c) : out.isFloat ? a / c : std::trunc(a / c);
      out.isFloat ? out.floats.push_back(r) : out.ints.push_back(static_cast<int64_t>(r));
    }
    return out;
  }
  (void)fail("has no constant-folding rule");
  return failure();
}

LogicalResult Importer::visitConstantOnly() {
  FailureOr<onnx::Tensor> t = fold();
  if (failed(t))
    return failure();
  defineConstant(std::move(*t));
  return success();
}

} // namespace tweedie::onnximport
