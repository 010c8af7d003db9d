//===- AutodiffTest.cpp - every reverse-mode rule against finite differences ===//
//
// Each case is a small function of x [3, 4] and named weights; the harness
// turns its output Y into the loss sum(Y * R) with a fixed random R (so every
// element of Y's Jacobian matters), runs --tweedie-autodiff, and compares the
// float64 interpreter's gradient with central differences of the float64
// interpreter's loss, for every weight element and every input element.
// A second-order case differentiates a gradient again (an energy network's
// -grad_x E inside a loss, as DSM training of energy models needs).
//
//===----------------------------------------------------------------------===//
#include "tweedie/InitAll.h"
#include "tweedie/Reference/Interpreter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/LogicalResult.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::reference;

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s;
}

/// Deterministic values in [-lo, hi].
std::vector<double> values(size_t n, uint64_t seed, double lo = 1.2, double hi = 1.2) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-lo, hi);
  std::vector<double> v(n);
  for (double &x : v)
    x = u(rng);
  return v;
}

std::string denseLiteral(const std::vector<double> &v) {
  std::ostringstream os;
  os.precision(17);
  os << "[";
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << v[i];
  return os.str() + "]";
}

/// The loss function of %x (`input`, default [3, 4]) around a case body that
/// defines %y of `shape`.
std::string lossFunction(const std::string &body, const std::vector<int64_t> &shape,
                         const std::vector<int64_t> &input = {3, 4}) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  const std::string type = "tensor<" + shapeText(shape) + "f32>";
  std::string axes;
  for (size_t i = 0; i < shape.size(); ++i)
    axes += (i ? ", " : "") + std::to_string(i);
  std::string kept = "tensor<";
  for (size_t i = 0; i < shape.size(); ++i)
    kept += "1x";
  kept += "f32>";
  return "func.func @loss(%x: tensor<" + shapeText(input) + "f32>) -> tensor<1xf32> {\n" + body +
         "\n  %loss_r = arith.constant dense<" + denseLiteral(values(n, 99, 1.0, 1.0)) +
         "> : tensor<" + std::to_string(n) + "xf32>\n" + "  %loss_rr = score.reshape %loss_r : tensor<" +
         std::to_string(n) + "xf32> -> " + type + "\n" +
         "  %loss_p = score.mul %y, %loss_rr : (" + type + ", " + type + ") -> " + type + "\n" +
         "  %loss_s = score.reduce_sum %loss_p axes [" + axes + "] : (" + type + ") -> " + kept +
         "\n  %loss = score.reshape %loss_s : " + kept + " -> tensor<1xf32>\n" +
         "  return %loss : tensor<1xf32>\n}\n";
}

class Autodiff : public ::testing::Test {
protected:
  Autodiff() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    registerAllPasses();
  }

  OwningOpRef<ModuleOp> differentiated(const std::string &text, const std::string &fn,
                                       const std::string &wrt) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    if (!module)
      return nullptr;
    PassManager pm(&context);
    // The pass manager is anchored on the module already.
    std::string pipeline = "inline, tweedie-autodiff{function=" + fn + " wrt=" + wrt + "}";
    if (failed(parsePassPipeline(pipeline, pm)) || failed(pm.run(*module)))
      return nullptr;
    return module;
  }

  /// Second order: differentiates @energy with respect to x, then appends
  /// @loss(x) = sum(square(grad_x E) * x) (a DSM-like loss on the score, whose
  /// type is `x`) and differentiates that with respect to weights and x.
  OwningOpRef<ModuleOp> lossOnTheGradient(const std::string &energy, const std::string &x,
                                          const std::string &energyType,
                                          const std::string &allAxes, const std::string &ones) {
    OwningOpRef<ModuleOp> first = differentiated(energy, "energy", "arg0");
    if (!first)
      return nullptr;
    std::string text;
    llvm::raw_string_ostream os(text);
    first->print(os);
    text = text.substr(0, text.rfind('}')); // reopen the module
    text += "  func.func @loss(%x: " + x + ") -> tensor<1xf32> {\n" +
            "    %r:2 = func.call @energy_grad(%x) : (" + x + ") -> (" + energyType + ", " + x +
            ")\n" + "    %s = score.act square %r#1 : " + x + "\n" +
            "    %m = score.mul %s, %x : (" + x + ", " + x + ") -> " + x + "\n" +
            "    %t = score.reduce_sum %m axes [" + allAxes + "] : (" + x + ") -> " + ones + "\n" +
            "    %l = score.reshape %t : " + ones + " -> tensor<1xf32>\n" +
            "    return %l : tensor<1xf32>\n  }\n}\n";
    return differentiated(text, "loss", "params,arg0");
  }

  /// Loss of `fn` at `input` with the synthetic weights, one entry of weight
  /// `name` moved by `delta`.
  double loss(ModuleOp module, const std::string &fn, const Tensor &input,
              const std::string &name = "", int64_t index = 0, double delta = 0) {
    ParamProvider base = syntheticParams(7);
    ParamProvider params = [&](llvm::StringRef n, const Shape &shape) {
      std::optional<Tensor> t = base(n, shape);
      if (t && n == name)
        (*t)[index] += delta;
      return t;
    };
    Interpreter interpreter(module, params);
    auto out = interpreter.run(module.lookupSymbol<func::FuncOp>(fn), {input});
    EXPECT_TRUE(succeeded(out));
    return succeeded(out) ? (*out)[0][0] : NAN;
  }

  /// Checks every weight and input gradient of @fn_grad against central
  /// differences of @fn; returns the largest relative error.
  double check(ModuleOp module, const std::string &fn, const Tensor &input) {
    auto grad = module.lookupSymbol<func::FuncOp>(fn + "_grad");
    if (!grad) {
      std::string text;
      llvm::raw_string_ostream os(text);
      module.print(os);
      ADD_FAILURE() << "no @" << fn << "_grad in\n" << text;
      return INFINITY;
    }
    Interpreter interpreter(module, syntheticParams(7));
    auto out = interpreter.run(grad, {input});
    EXPECT_TRUE(succeeded(out));
    if (failed(out))
      return INFINITY;
    auto names = grad->getAttrOfType<ArrayAttr>("score.gradient_params");
    const double h = 1e-5;
    double worst = 0;
    auto compare = [&](double analytic, double numeric, const std::string &what) {
      const double error = std::abs(analytic - numeric) / (1 + std::abs(numeric));
      worst = std::max(worst, error);
      EXPECT_LT(error, 1e-6) << what << ": autodiff " << analytic << ", finite differences "
                             << numeric;
    };
    for (size_t k = 0; k < names.size(); ++k) {
      const std::string name = cast<StringAttr>(names[k]).str();
      const Tensor &g = (*out)[1 + k];
      for (int64_t e = 0; e < g.numel(); ++e)
        compare(g[e],
                (loss(module, fn, input, name, e, h) - loss(module, fn, input, name, e, -h)) /
                    (2 * h),
                name + "[" + std::to_string(e) + "]");
    }
    const Tensor &dx = out->back();
    for (int64_t e = 0; e < input.numel(); ++e) {
      Tensor up = input, down = input;
      up[e] += h;
      down[e] -= h;
      compare(dx[e], (loss(module, fn, up) - loss(module, fn, down)) / (2 * h),
              "x[" + std::to_string(e) + "]");
    }
    return worst;
  }

  MLIRContext context;
};

struct OpCase {
  const char *name;
  const char *body; // defines %y from %x
  std::vector<int64_t> shape;
  std::vector<int64_t> input = {3, 4};
};

class AutodiffRules : public Autodiff, public ::testing::WithParamInterface<OpCase> {};

TEST_P(AutodiffRules, MatchFiniteDifferences) {
  const OpCase &c = GetParam();
  OwningOpRef<ModuleOp> module =
      differentiated(lossFunction(c.body, c.shape, c.input), "loss", "params,arg0");
  ASSERT_TRUE(module) << c.name;
  int64_t n = 1;
  for (int64_t d : c.input)
    n *= d;
  Tensor x(c.input, values(n, 5));
  const double worst = check(*module, "loss", x);
  std::printf("%-22s worst relative error %.2e\n", c.name, worst);
}

// Inputs of log, sqrt and reciprocal are made positive first (exp).
const OpCase kCases[] = {
    {"dense_bias",
     R"(  %w = score.param "w" : tensor<4x5xf32>
  %b = score.param "b" : tensor<5xf32>
  %y = score.dense %x, %w, %b : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>)",
     {3, 5}},
    {"dense_epilogue",
     R"(  %w = score.param "w" : tensor<4x5xf32>
  %b = score.param "b" : tensor<5xf32>
  %w2 = score.param "w2" : tensor<4x5xf32>
  %res = score.dense %x, %w2 : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %y = score.dense %x, %w, %b act tanh residual %res : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>)",
     {3, 5}},
    {"dense_weight_twice",
     R"(  %w = score.param "w" : tensor<4x4xf32>
  %h = score.dense %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %w1 = score.param "w" : tensor<4x4xf32>
  %y = score.dense %h, %w1 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"act_silu", "  %y = score.act silu %x : tensor<3x4xf32>", {3, 4}},
    {"act_gelu", "  %y = score.act gelu %x : tensor<3x4xf32>", {3, 4}},
    {"act_relu", "  %y = score.act relu %x : tensor<3x4xf32>", {3, 4}},
    {"act_tanh", "  %y = score.act tanh %x : tensor<3x4xf32>", {3, 4}},
    {"act_softplus", "  %y = score.act softplus %x : tensor<3x4xf32>", {3, 4}},
    {"act_exp", "  %y = score.act exp %x : tensor<3x4xf32>", {3, 4}},
    {"act_square", "  %y = score.act square %x : tensor<3x4xf32>", {3, 4}},
    {"act_log",
     "  %e = score.act exp %x : tensor<3x4xf32>\n  %y = score.act log %e : tensor<3x4xf32>",
     {3, 4}},
    {"act_sqrt",
     "  %e = score.act exp %x : tensor<3x4xf32>\n  %y = score.act sqrt %e : tensor<3x4xf32>",
     {3, 4}},
    {"act_reciprocal",
     "  %e = score.act exp %x : tensor<3x4xf32>\n  %y = score.act reciprocal %e : tensor<3x4xf32>",
     {3, 4}},
    {"add_broadcast",
     R"(  %c = score.param "c" : tensor<4xf32>
  %d = score.param "d" : tensor<3x1xf32>
  %a = score.add %x, %c : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %y = score.add %d, %a : (tensor<3x1xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"mul_broadcast",
     R"(  %c = score.param "c" : tensor<1x4xf32>
  %t = score.act tanh %x : tensor<3x4xf32>
  %a = score.mul %x, %c : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  %y = score.mul %a, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"reshape_transpose",
     R"(  %t = score.act tanh %x : tensor<3x4xf32>
  %r = score.reshape %t : tensor<3x4xf32> -> tensor<2x6xf32>
  %y = score.transpose %r [1, 0] : (tensor<2x6xf32>) -> tensor<6x2xf32>)",
     {6, 2}},
    {"reduce_sum_broadcast",
     R"(  %s = score.act square %x : tensor<3x4xf32>
  %r = score.reduce_sum %s axes [1] : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %c = score.param "c" : tensor<4xf32>
  %b = score.broadcast %c like %x : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = score.mul %r, %b : (tensor<3x1xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"outer_sum",
     R"(  %t = score.act tanh %x : tensor<3x4xf32>
  %y = score.outer_sum %x, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<4x4xf32>)",
     {4, 4}},
    {"act_grad_order1",
     R"(  %t = score.act tanh %x : tensor<3x4xf32>
  %y = score.act_grad gelu order(1) %x, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"concat_slice_pad",
     R"(  %t = score.act tanh %x : tensor<3x4xf32>
  %c = score.concat %x, %t axis(1) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x8xf32>
  %s = score.slice %c axis(1) offset(2) size(5) : (tensor<3x8xf32>) -> tensor<3x5xf32>
  %y = score.pad %s axis(0) before(1) after(2) : (tensor<3x5xf32>) -> tensor<6x5xf32>)",
     {6, 5}},
    {"upsample_avg_pool",
     R"(  %t = score.act tanh %x : tensor<2x3x4x4xf32>
  %u = score.upsample %t scale(2) : (tensor<2x3x4x4xf32>) -> tensor<2x3x8x8xf32>
  %m = score.mul %u, %u : (tensor<2x3x8x8xf32>, tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %y = score.avg_pool %m {kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>} : (tensor<2x3x8x8xf32>) -> tensor<2x3x2x2xf32>)",
     {2, 3, 2, 2}, {2, 3, 4, 4}},
    {"conv2d_bias",
     R"(  %w = score.param "w" : tensor<4x3x3x3xf32>
  %b = score.param "b" : tensor<4xf32>
  %y = score.conv2d %x, %w, %b {padding = array<i64: 1, 1>} : (tensor<2x3x5x5xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>)",
     {2, 4, 5, 5}, {2, 3, 5, 5}},
    {"conv2d_strided_grouped_epilogue",
     R"(  %w = score.param "w" : tensor<4x2x3x3xf32>
  %w2 = score.param "w2" : tensor<4x2x3x3xf32>
  %r = score.conv2d %x, %w2 {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, groups = 2 : i64} : (tensor<2x4x6x5xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x3x3xf32>
  %y = score.conv2d %x, %w act silu residual %r {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, groups = 2 : i64} : (tensor<2x4x6x5xf32>, tensor<4x2x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>)",
     {2, 4, 3, 3}, {2, 4, 6, 5}},
    {"conv2d_backward_ops",
     R"(  %w = score.param "w" : tensor<2x3x3x3xf32>
  %t = score.act tanh %x : tensor<2x3x4x4xf32>
  %g = score.conv2d %t, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<2x3x4x4xf32>, tensor<2x3x3x3xf32>) -> tensor<2x2x2x2xf32>
  %dx = score.conv2d_backward_data %g, %w like %x {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x2x2x2xf32>, tensor<2x3x3x3xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %dw = score.conv2d_backward_weight %dx, %g {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x2x2x2xf32>) -> tensor<2x3x3x3xf32>
  %y = score.mul %dw, %w : (tensor<2x3x3x3xf32>, tensor<2x3x3x3xf32>) -> tensor<2x3x3x3xf32>)",
     {2, 3, 3, 3}, {2, 3, 4, 4}},
    {"group_norm_act",
     R"(  %g = score.param "gamma" : tensor<4xf32>
  %b = score.param "beta" : tensor<4xf32>
  %y = score.group_norm %x, %g, %b groups(2) act silu : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>)",
     {2, 4, 3, 3}, {2, 4, 3, 3}},
    {"layer_norm",
     R"(  %g = score.param "gamma" : tensor<4xf32>
  %b = score.param "beta" : tensor<4xf32>
  %y = score.layer_norm %x, %g, %b : (tensor<3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<3x4xf32>)",
     {3, 4}},
    {"attention",
     R"(  %wq = score.param "wq" : tensor<4x4xf32>
  %wk = score.param "wk" : tensor<4x4xf32>
  %q = score.dense %x, %wq : (tensor<2x3x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>
  %k = score.dense %x, %wk : (tensor<2x3x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>
  %y = score.attention %q, %k, %x heads(2) : (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>)",
     {2, 3, 4}, {2, 3, 4}},
};

INSTANTIATE_TEST_SUITE_P(Ops, AutodiffRules, ::testing::ValuesIn(kCases),
                         [](const auto &info) { return std::string(info.param.name); });

// Every activation's second derivative (what differentiating a gradient
// needs), through act_grad order(1) differentiated again.
TEST_F(Autodiff, SecondDerivativesOfEveryActivation) {
  for (const char *kind : {"silu", "gelu", "tanh", "softplus", "exp", "log", "sqrt", "square",
                           "reciprocal"}) {
    const std::string body = std::string("  %e = score.act exp %x : tensor<3x4xf32>\n") +
                             "  %t = score.act tanh %x : tensor<3x4xf32>\n" +
                             "  %y = score.act_grad " + kind +
                             " order(1) %e, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> "
                             "tensor<3x4xf32>";
    OwningOpRef<ModuleOp> module =
        differentiated(lossFunction(body, {3, 4}), "loss", "params,arg0");
    ASSERT_TRUE(module) << kind;
    check(*module, "loss", Tensor({3, 4}, values(12, 5)));
  }
}

// An energy network E(x) = sum softplus(tanh(x W1 + b1) W2): its score
// -grad_x E comes from the first pass; a loss on that score is then
// differentiated with respect to the weights and x (second order).
TEST_F(Autodiff, DifferentiatesItsOwnOutputAgain) {
  const std::string energy = R"(
func.func @energy(%x: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %w1 = score.param "w1" : tensor<4x6xf32>
  %b1 = score.param "b1" : tensor<6xf32>
  %w2 = score.param "w2" : tensor<6x1xf32>
  %h = score.dense %x, %w1, %b1 act tanh : (tensor<3x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<3x6xf32>
  %o = score.dense %h, %w2 : (tensor<3x6xf32>, tensor<6x1xf32>) -> tensor<3x1xf32>
  %e = score.act softplus %o : tensor<3x1xf32>
  return %e : tensor<3x1xf32>
}
)";
  // The per-sample gradient: grad_x of sum_b E_b is each sample's own.
  OwningOpRef<ModuleOp> second = lossOnTheGradient(energy, "tensor<3x4xf32>", "tensor<3x1xf32>",
                                                   "0, 1", "tensor<1x1xf32>");
  ASSERT_TRUE(second);
  const double worst = check(*second, "loss", Tensor({3, 4}, values(12, 5)));
  std::printf("second order (energy DSM-like loss): worst relative error %.2e\n", worst);
}

// Second order is supported (act_grad order 2); a third derivative is not,
// and says so.
TEST_F(Autodiff, RefusesThirdDerivatives) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  const std::string body = R"(  %t = score.act tanh %x : tensor<3x4xf32>
  %y = score.act_grad silu order(2) %x, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>)";
  EXPECT_FALSE(differentiated(lossFunction(body, {3, 4}), "loss", "arg0"));
  EXPECT_NE(diagnostics.find("third derivatives of activations are not supported"),
            std::string::npos)
      << diagnostics;
}

// Second order through convolutions and group norm: an energy that is a
// small conv net, trained through its -grad_x E.
TEST_F(Autodiff, SecondOrderThroughConvAndGroupNorm) {
  const std::string energy = R"(
func.func @energy(%x: tensor<2x2x4x4xf32>) -> tensor<2x1x1x1xf32> {
  %w = score.param "w" : tensor<4x2x3x3xf32>
  %g = score.param "gamma" : tensor<4xf32>
  %b = score.param "beta" : tensor<4xf32>
  %h = score.conv2d %x, %w {padding = array<i64: 1, 1>} : (tensor<2x2x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x4x4xf32>
  %n = score.group_norm %h, %g, %b groups(2) act silu : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  %p = score.avg_pool %n {kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>} : (tensor<2x4x4x4xf32>) -> tensor<2x4x1x1xf32>
  %s = score.reduce_sum %p axes [1] : (tensor<2x4x1x1xf32>) -> tensor<2x1x1x1xf32>
  return %s : tensor<2x1x1x1xf32>
}
)";
  OwningOpRef<ModuleOp> second =
      lossOnTheGradient(energy, "tensor<2x2x4x4xf32>", "tensor<2x1x1x1xf32>", "0, 1, 2, 3",
                        "tensor<1x1x1x1xf32>");
  ASSERT_TRUE(second);
  const double worst = check(*second, "loss", Tensor({2, 2, 4, 4}, values(64, 5)));
  std::printf("second order (conv + group norm energy): worst relative error %.2e\n", worst);
}

TEST_F(Autodiff, ReportsOpsWithoutARule) {
  // attention_grad is first order only.
  const std::string text = R"(
func.func @loss(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  %a:3 = score.attention_grad %x, %x, %x, %x heads(1) : (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return %a#0 : tensor<1x2x4xf32>
}
)";
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  EXPECT_FALSE(differentiated(text, "loss", "arg0"));
  EXPECT_NE(diagnostics.find("no reverse-mode rule for 'score.attention_grad' yet"),
            std::string::npos)
      << diagnostics;
}

} // namespace
