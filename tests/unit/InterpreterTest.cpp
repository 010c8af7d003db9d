//===- InterpreterTest.cpp - the IR-facing units -------------------------===//
//
// The reference interpreter on parsed IR (against the kernels it should call,
// and its run-time errors), the sampler attribute interfaces, and the exact
// float syntax. One translation unit: every MLIR test TU costs build time.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Common/FloatSyntax.h"
#include "tweedie/Dialect/Common/ShapeUtils.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Driver/SamplerCatalog.h"
#include "tweedie/InitAll.h"
#include "tweedie/Numerics/DiscreteSchedules.h"
#include "tweedie/Numerics/Processes.h"
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Reference/SamplerSteps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace mlir;
using namespace tweedie;
using namespace tweedie::reference;

namespace {

class IRTest : public ::testing::Test {
protected:
  IRTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(const char *source) {
    return parseSourceString<ModuleOp>(source, &context);
  }

  /// Runs `fn` and returns the diagnostics it emitted (empty on success).
  std::string runExpectingError(ModuleOp module, const char *fn,
                                std::vector<Argument> inputs,
                                ParamProvider params = syntheticParams(0)) {
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      messages += d.str() + "\n";
      return success();
    });
    Interpreter interpreter(module, std::move(params));
    auto result = interpreter.run(module.lookupSymbol<func::FuncOp>(fn), inputs);
    EXPECT_TRUE(failed(result)) << "expected the run to fail";
    return messages;
  }

  MLIRContext context;
};

const char *kTwoLayer = R"mlir(
func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x3xf32> {
  %w = score.param "w" : tensor<2x3xf32>
  %b = score.param "b" : tensor<3xf32>
  %h = score.dense %x, %w, %b : (tensor<?x2xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %e = score.time_embedding sinusoidal %t dim(4) : (tensor<?xf32>) -> tensor<?x4xf32>
  %v = score.param "v" : tensor<4x3xf32>
  %te = score.dense %e, %v : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %s = score.add %h, %te : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = score.act silu %s : tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
func.func @mismatch(%a: tensor<?x2xf32>, %b: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %s = score.add %a, %b : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}
)mlir";

TEST_F(IRTest, InterpreterMatchesTheKernelsItDefines) {
  auto module = parse(kTwoLayer);
  ASSERT_TRUE(module);
  ParamProvider params = syntheticParams(3);
  Tensor x({4, 2}, {0.5, -1, 2, 0, -0.25, 0.75, 1, 1});
  Tensor t({4}, {0, 1, 10, 500});
  Interpreter interpreter(*module, params);
  auto out = interpreter.run(module->lookupSymbol<func::FuncOp>("net"), {x, t});
  ASSERT_TRUE(succeeded(out));
  ASSERT_EQ(out->size(), 1u);

  Tensor w = *params("w", {2, 3}), b = *params("b", {3}), v = *params("v", {4, 3});
  Tensor h = dense(x, w, &b).value();
  Tensor te = dense(sinusoidalEmbedding(t, 4, 10000.0).value(), v, nullptr).value();
  Tensor expected = activate(add(h, te).value(), Activation::SiLU);
  ASSERT_EQ((*out)[0].shape, (Shape{4, 3}));
  for (int64_t i = 0; i < expected.numel(); ++i)
    EXPECT_DOUBLE_EQ((*out)[0][i], expected[i]);
}

TEST_F(IRTest, SyntheticParamsAreDeterministicAndScaledByFanIn) {
  ParamProvider p = syntheticParams(5);
  Tensor a = *p("layer.weight", {256, 4}), b = *p("layer.weight", {256, 4});
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, p("other.weight", {256, 4})->data);
  double maxAbs = 0;
  for (double v : a.data)
    maxAbs = std::max(maxAbs, std::abs(v));
  EXPECT_LE(maxAbs, 1.0 / 16.0); // 1 / sqrt(fan_in = 256)
  EXPECT_GT(maxAbs, 0.9 / 16.0); // and actually uses the range
}

TEST_F(IRTest, DynamicBatchDisagreementIsReportedAtTheOp) {
  auto module = parse(kTwoLayer);
  ASSERT_TRUE(module);
  std::string messages =
      runExpectingError(*module, "mismatch", {Tensor({4, 2}), Tensor({3, 2})});
  EXPECT_NE(messages.find("at run time: add: shapes [4, 2] and [3, 2] do not broadcast"),
            std::string::npos)
      << messages;
}

TEST_F(IRTest, InputsAreCheckedAgainstTheSignature) {
  auto module = parse(kTwoLayer);
  ASSERT_TRUE(module);
  std::string messages =
      runExpectingError(*module, "net", {Tensor({4, 5}), Tensor({4})});
  EXPECT_NE(messages.find("input #0 has shape [4, 5] but @net expects [?, 2]"),
            std::string::npos)
      << messages;
  messages = runExpectingError(*module, "net", {Tensor({4, 2})});
  EXPECT_NE(messages.find("@net takes 2 arguments, got 1 inputs"), std::string::npos)
      << messages;
}

TEST_F(IRTest, MissingAndMisshapenWeightsAreErrors) {
  auto module = parse(kTwoLayer);
  ASSERT_TRUE(module);
  auto none = [](llvm::StringRef, const Shape &) -> std::optional<Tensor> {
    return std::nullopt;
  };
  std::string messages =
      runExpectingError(*module, "net", {Tensor({1, 2}), Tensor({1})}, none);
  EXPECT_NE(messages.find("no value for weight 'w'"), std::string::npos) << messages;

  auto wrong = [](llvm::StringRef, const Shape &) -> std::optional<Tensor> {
    return Tensor({7});
  };
  messages = runExpectingError(*module, "net", {Tensor({1, 2}), Tensor({1})}, wrong);
  EXPECT_NE(messages.find("weight 'w' has shape [7] but the IR declares [2, 3]"),
            std::string::npos)
      << messages;
}

TEST_F(IRTest, ScheduleInterfaceDescribesEachSchedule) {
  struct Case {
    const char *text;
    bool discrete;
    int64_t levels;
    sampler::ProcessKind kind;
  };
  const Case cases[] = {
      {"#sampler.ddpm_linear<>", true, 1000, sampler::ProcessKind::variance_preserving},
      {"#sampler.ddpm_cosine<timesteps = 4000>", true, 4000,
       sampler::ProcessKind::variance_preserving},
      {"#sampler.vp<>", false, 0, sampler::ProcessKind::variance_preserving},
      {"#sampler.subvp<>", false, 0, sampler::ProcessKind::sub_variance_preserving},
      {"#sampler.ve<>", false, 0, sampler::ProcessKind::variance_exploding},
      {"#sampler.ncsn<levels = 232>", true, 232, sampler::ProcessKind::variance_exploding},
      {"#sampler.karras<>", false, 0, sampler::ProcessKind::variance_exploding},
      {"#sampler.sigmas<[3.0, 2.0, 1.0]>", true, 3,
       sampler::ProcessKind::variance_exploding},
  };
  for (const Case &c : cases) {
    Attribute attr = parseAttribute(c.text, &context);
    auto schedule = llvm::dyn_cast_or_null<sampler::ScheduleAttrInterface>(attr);
    ASSERT_TRUE(schedule) << c.text;
    EXPECT_EQ(schedule.isDiscrete(), c.discrete) << c.text;
    EXPECT_EQ(schedule.getNumLevels(), c.levels) << c.text;
    EXPECT_EQ(schedule.getProcessKind(), c.kind) << c.text;
  }
}

// What each schedule answers through the interface (process, span, levels,
// DDPM table) against the papers' closed forms, written out here in float64.
TEST_F(IRTest, ScheduleInterfaceGivesEachSchedulesNumbers) {
  using Kind = numerics::Process::Kind;
  auto schedule = [&](const char *text) {
    auto attr = llvm::dyn_cast_or_null<sampler::ScheduleAttrInterface>(
        parseAttribute(text, &context));
    EXPECT_TRUE(attr) << text;
    return attr;
  };
  auto expectInterval = [](sampler::ScheduleAttrInterface s, double start, double end,
                           double priorStd) {
    const numerics::TimeInterval interval = s.getInterval();
    EXPECT_DOUBLE_EQ(interval.tStart, start);
    EXPECT_DOUBLE_EQ(interval.tEnd, end);
    EXPECT_DOUBLE_EQ(interval.priorStd, priorStd);
  };
  auto near = [](double got, double want) { EXPECT_NEAR(got, want, 1e-12 * std::abs(want)); };

  // VP: log alpha = -t^2 (b1 - b0) / 4 - t b0 / 2, sigma^2 = 1 - alpha^2.
  auto vp = schedule("#sampler.vp<beta_min = 0.2, beta_max = 12.0, t_min = 0.002>");
  ASSERT_TRUE(vp);
  EXPECT_EQ(vp.getProcess().kind, Kind::VP);
  EXPECT_FALSE(vp.isSigmaTime());
  expectInterval(vp, 1.0, 0.002, 1.0);
  const double t = 0.37, vpAlpha = std::exp(-t * t * (12.0 - 0.2) / 4 - t * 0.2 / 2);
  near(vp.getProcess().alpha(t), vpAlpha);
  near(vp.getProcess().sigma(t), std::sqrt(1 - vpAlpha * vpAlpha));
  EXPECT_TRUE(vp.getNoiseLevels(10).empty());
  EXPECT_TRUE(vp.getAlphaBars().empty());

  // sub-VP: the same alpha, sigma = 1 - alpha^2.
  auto subvp = schedule("#sampler.subvp<beta_min = 0.2, beta_max = 12.0>");
  ASSERT_TRUE(subvp);
  EXPECT_EQ(subvp.getProcess().kind, Kind::SubVP);
  near(subvp.getProcess().sigma(t), 1 - vpAlpha * vpAlpha);
  expectInterval(subvp, 1.0, 1e-3, 1.0);

  // VE: sigma = sigma_min (sigma_max / sigma_min)^t; the prior has std sigma_max.
  auto ve = schedule("#sampler.ve<sigma_min = 0.02, sigma_max = 40.0, t_min = 1.0e-4>");
  ASSERT_TRUE(ve);
  EXPECT_EQ(ve.getProcess().kind, Kind::VE);
  near(ve.getProcess().sigma(t), 0.02 * std::pow(40.0 / 0.02, t));
  expectInterval(ve, 1.0, 1e-4, 40.0);

  // NCSN: L geometric levels sigma_max (sigma_min / sigma_max)^(i / (L - 1)).
  auto ncsn = schedule("#sampler.ncsn<sigma_min = 0.01, sigma_max = 2.0, levels = 5>");
  ASSERT_TRUE(ncsn);
  EXPECT_TRUE(ncsn.isSigmaTime());
  const std::vector<double> geometric = ncsn.getNoiseLevels(3); // its own 5, whatever the steps
  ASSERT_EQ(geometric.size(), 5u);
  for (int i = 0; i < 5; ++i)
    near(geometric[i], 2.0 * std::pow(0.01 / 2.0, i / 4.0));
  expectInterval(ncsn, 2.0, 0.01, 2.0);

  // Karras et al. eq. 5: (s_max^(1/rho) + i/(n-1) (s_min^(1/rho) - s_max^(1/rho)))^rho.
  auto karras = schedule("#sampler.karras<sigma_min = 0.004, sigma_max = 60.0, rho = 5.0>");
  ASSERT_TRUE(karras);
  EXPECT_TRUE(karras.isSigmaTime());
  const std::vector<double> spaced = karras.getNoiseLevels(6);
  ASSERT_EQ(spaced.size(), 6u);
  for (int i = 0; i < 6; ++i)
    near(spaced[i], std::pow(std::pow(60.0, 0.2) +
                                 i / 5.0 * (std::pow(0.004, 0.2) - std::pow(60.0, 0.2)),
                             5.0));
  expectInterval(karras, 60.0, 0.004, 60.0);
  near(karras.getProcess().sigma(1.5), 1.5); // t is sigma

  auto sigmas = schedule("#sampler.sigmas<[3.0, 1.0, 0.25]>");
  ASSERT_TRUE(sigmas);
  EXPECT_EQ(sigmas.getNoiseLevels(1), (std::vector<double>{3.0, 1.0, 0.25}));
  expectInterval(sigmas, 3.0, 0.25, 3.0);

  // DDPM linear: abar_n = prod_{i <= n} (1 - beta_i), beta linear over T steps;
  // the continuous view has alpha(t_n) = sqrt(abar_n) at t_n = (n + 1) / T.
  auto linear = schedule("#sampler.ddpm_linear<timesteps = 10, beta_start = 1.0e-3, "
                         "beta_end = 0.2>");
  ASSERT_TRUE(linear);
  EXPECT_EQ(linear.getProcess().kind, Kind::DiscreteVP);
  expectInterval(linear, 1.0, 0.1, 1.0);
  const std::vector<double> linearBars = linear.getAlphaBars();
  ASSERT_EQ(linearBars.size(), 10u);
  double product = 1.0;
  for (int n = 0; n < 10; ++n) {
    product *= 1.0 - (1e-3 + (0.2 - 1e-3) * n / 9.0);
    near(linearBars[n], product);
    near(linear.getProcess().alpha((n + 1) / 10.0), std::sqrt(product));
  }
  EXPECT_TRUE(linear.getNoiseLevels(5).empty());

  // DDPM cosine: beta_n = min(1 - f(n + 1) / f(n), max_beta),
  // f(n) = cos^2((n / T + s) / (1 + s) pi / 2).
  auto cosine = schedule("#sampler.ddpm_cosine<timesteps = 8, s = 0.008, max_beta = 0.5>");
  ASSERT_TRUE(cosine);
  const std::vector<double> cosineBars = cosine.getAlphaBars();
  ASSERT_EQ(cosineBars.size(), 8u);
  auto f = [](double n) {
    const double c = std::cos((n / 8.0 + 0.008) / 1.008 * M_PI / 2);
    return c * c;
  };
  product = 1.0;
  for (int n = 0; n < 8; ++n) {
    product *= 1.0 - std::min(1.0 - f(n + 1) / f(n), 0.5);
    near(cosineBars[n], product);
  }
  expectInterval(cosine, 1.0, 1.0 / 8, 1.0);
}

TEST_F(IRTest, DefaultsAreThePapersValues) {
  auto vp = llvm::cast<sampler::VPAttr>(parseAttribute("#sampler.vp<>", &context));
  EXPECT_EQ(vp.getBetaMin(), 0.1);
  EXPECT_EQ(vp.getBetaMax(), 20.0);
  auto karras =
      llvm::cast<sampler::KarrasAttr>(parseAttribute("#sampler.karras<>", &context));
  EXPECT_EQ(karras.getRho(), 7.0);
  auto pc = llvm::cast<sampler::PredictorCorrectorAttr>(
      parseAttribute("#sampler.pc<>", &context));
  EXPECT_EQ(pc.getSnr(), 0.16);
  EXPECT_EQ(pc.getCorrectorSteps(), 1);
}

TEST_F(IRTest, MethodCompatibilityExplainsItself) {
  auto ddim = llvm::cast<sampler::MethodAttrInterface>(
      parseAttribute("#sampler.ddim<>", &context));
  auto vp = llvm::cast<sampler::ScheduleAttrInterface>(
      parseAttribute("#sampler.vp<>", &context));
  auto ddpm = llvm::cast<sampler::ScheduleAttrInterface>(
      parseAttribute("#sampler.ddpm_linear<>", &context));
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  auto emit = [&]() { return emitError(UnknownLoc::get(&context)); };
  EXPECT_TRUE(succeeded(
      ddim.verifyCompatibility(ddpm, sampler::Parameterization::eps, emit)));
  EXPECT_TRUE(message.empty());
  EXPECT_TRUE(failed(ddim.verifyCompatibility(vp, sampler::Parameterization::eps, emit)));
  EXPECT_NE(message.find("needs a discrete variance-preserving schedule"),
            std::string::npos)
      << message;
  EXPECT_EQ(ddim.getMethodName(), "ddim");
}

/// `a, b, c` with exact float64 text, for building sampler IR.
std::string f64s(const std::vector<double> &values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + formatF64(values[i]);
  return out;
}

/// A sampler loop over DDPM steps whose network is x * c_t: the exact eps of
/// Gaussian data when c_t = sqrt(1 - abar) / (abar s^2 + 1 - abar). `step` is
/// the step op's head, `extraAttrs` any attributes besides the abar tables.
std::string gaussianSamplerIR(const numerics::StepTables &tables,
                              const std::vector<double> &coef, const std::string &step,
                              const std::string &extraAttrs) {
  std::ostringstream ir;
  ir << "func.func @gauss(%x: tensor<?x3xf32>, %c: tensor<?xf32>) -> tensor<?x3xf32> {\n"
     << "  %c2 = score.reshape %c : tensor<?xf32> -> tensor<?x1xf32>\n"
     << "  %e = score.mul %x, %c2 : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>\n"
     << "  return %e : tensor<?x3xf32>\n}\n"
     << "func.func @sample(%noise: tensor<?x3xf32>, %seed: i64, %first: index) -> "
        "tensor<?x3xf32> {\n"
     << "  %r = sampler.loop %i steps " << coef.size()
     << " iter_args(%x = %noise) -> (tensor<?x3xf32>) {\n"
     << "    %c = sampler.timestep %i for %x values [" << f64s(coef)
     << "] : tensor<?x3xf32> -> tensor<?xf32>\n"
     << "    %eps = func.call @gauss(%x, %c) : (tensor<?x3xf32>, tensor<?xf32>) -> "
        "tensor<?x3xf32>\n"
     << "    %z = sampler.randn %x, seed %seed, sample %first, step %i : tensor<?x3xf32>\n"
     << "    %n = " << step << " {alpha_bar = array<f64: " << f64s(tables.alphaBar)
     << ">, alpha_bar_prev = array<f64: " << f64s(tables.alphaBarPrev) << ">"
     << extraAttrs << "} : tensor<?x3xf32>\n"
     << "    sampler.yield %n : tensor<?x3xf32>\n  }\n"
     << "  return %r : tensor<?x3xf32>\n}\n";
  return ir.str();
}

struct GaussianSetup {
  numerics::StepTables tables;
  std::vector<double> coef;
  explicit GaussianSetup(int64_t steps) {
    tables = numerics::stepTables(
        numerics::alphaBars(numerics::linearBetas(1000, 1e-4, 0.02)),
        numerics::samplingTimesteps(1000, steps, numerics::Spacing::Linspace));
    for (double abar : tables.alphaBar)
      coef.push_back(std::sqrt(1 - abar) / (abar * 0.25 + 1 - abar));
  }
};

TEST_F(IRTest, InterpretedDDIMLoopMatchesTheStepFormulasExactly) {
  GaussianSetup setup(25);
  auto module = parse(gaussianSamplerIR(setup.tables, setup.coef,
                                        "sampler.ddim_step %x, %eps at %i",
                                        ", eta = 0.0 : f64")
                          .c_str());
  ASSERT_TRUE(module);
  Tensor noise({4, 3});
  for (int64_t i = 0; i < noise.numel(); ++i)
    noise[i] = std::cos(0.9 * i);
  Interpreter interpreter(*module, syntheticParams(0));
  auto out = interpreter.run(module->lookupSymbol<func::FuncOp>("sample"),
                             {noise, int64_t{7}, int64_t{0}});
  ASSERT_TRUE(succeeded(out));
  // The same chain through the float64 step functions. The interpreter keeps
  // the float64 table value of the conditioning (it defines the math; only
  // run-time data such as noise arrives rounded to the storage type).
  Tensor x = noise;
  for (size_t i = 0; i < setup.coef.size(); ++i) {
    Tensor eps = x;
    const double c = setup.coef[i];
    for (double &v : eps.data)
      v *= c;
    x = ddimStep(x, eps, nullptr, setup.tables.alphaBar[i], setup.tables.alphaBarPrev[i], 0)
            .value();
  }
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_DOUBLE_EQ((*out)[0][i], x[i]);
}

TEST_F(IRTest, InterpretedAncestralSamplerIsBatchInvariant) {
  GaussianSetup setup(10);
  auto module = parse(
      gaussianSamplerIR(setup.tables, setup.coef, "sampler.ancestral_step %x, %eps, %z at %i",
                        "")
          .c_str());
  ASSERT_TRUE(module);
  auto fn = module->lookupSymbol<func::FuncOp>("sample");
  Tensor all({4, 3});
  for (int64_t i = 0; i < all.numel(); ++i)
    all[i] = std::sin(1.7 * i);
  Tensor lastTwo({2, 3}, std::vector<double>(all.data.begin() + 6, all.data.end()));
  Interpreter interpreter(*module, syntheticParams(0));
  auto batch4 = interpreter.run(fn, {all, int64_t{99}, int64_t{0}});
  auto batch2 = interpreter.run(fn, {lastTwo, int64_t{99}, int64_t{2}});
  ASSERT_TRUE(succeeded(batch4) && succeeded(batch2));
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ((*batch4)[0][6 + i], (*batch2)[0][i]) << "element " << i;
  // And the noise matters: another seed gives other samples.
  auto reseeded = interpreter.run(fn, {all, int64_t{100}, int64_t{0}});
  ASSERT_TRUE(succeeded(reseeded));
  EXPECT_NE((*reseeded)[0][0], (*batch4)[0][0]);
}

/// A small time-conditioned network and one sampler over it.
std::string samplerModule(const std::string &schedule, const std::string &method,
                          const std::string &prediction) {
  return R"mlir(
func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  %w = score.param "w" : tensor<2x2xf32>
  %h = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %e = score.time_embedding sinusoidal %t dim(2) : (tensor<?xf32>) -> tensor<?x2xf32>
  %s = score.add %h, %e : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = score.act tanh %s : tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
func.func @sample(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule )mlir" +
         schedule + " method " + method + " prediction " + prediction +
         R"mlir( steps 25 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
)mlir";
}

TEST_F(IRTest, FusingStepsDoesNotChangeTheSamples) {
  registerAllPasses();
  const char *cases[][3] = {
      {"#sampler.ddpm_linear<>", "#sampler.ddpm<>", "eps"},
      {"#sampler.ddpm_linear<>", "#sampler.ddpm<variance = beta>", "x0"},
      {"#sampler.ddpm_cosine<>", "#sampler.ddim<eta = 0.5>", "v"},
      {"#sampler.ddpm_linear<timesteps = 200>", "#sampler.ddim<>", "score"},
  };
  for (auto &c : cases) {
    std::vector<std::vector<Tensor>> results;
    for (const char *pipeline : {"tweedie-expand-solve",
                                 "tweedie-expand-solve,tweedie-fuse-steps"}) {
      auto module = parse(samplerModule(c[0], c[1], c[2]).c_str());
      ASSERT_TRUE(module);
      PassManager pm(&context); // anchored on builtin.module: the passes go inside
      ASSERT_TRUE(succeeded(parsePassPipeline(pipeline, pm)));
      ASSERT_TRUE(succeeded(pm.run(*module))) << pipeline;
      // The comparison means something only if fusion really happened.
      int affine = 0, family = 0;
      module->walk([&](Operation *op) {
        affine += isa<sampler::AffineStepOp>(op);
        family += isa<sampler::AncestralStepOp, sampler::DDIMStepOp,
                      sampler::ReparameterizeOp>(op);
      });
      const bool fusing = results.size() == 1;
      EXPECT_EQ(affine, fusing ? 1 : 0) << pipeline;
      EXPECT_EQ(family == 0, fusing) << pipeline;
      Tensor noise({6, 2});
      for (int64_t i = 0; i < noise.numel(); ++i)
        noise[i] = std::cos(2.3 * i);
      Interpreter interpreter(*module, syntheticParams(4));
      auto out = interpreter.run(module->lookupSymbol<func::FuncOp>("sample"),
                                 {noise, int64_t{3}, int64_t{0}});
      ASSERT_TRUE(succeeded(out)) << pipeline;
      results.push_back(*out);
    }
    const Tensor &unfused = results[0][0], &fused = results[1][0];
    double diff = 0, norm = 0;
    for (int64_t i = 0; i < unfused.numel(); ++i) {
      diff += (fused[i] - unfused[i]) * (fused[i] - unfused[i]);
      norm += unfused[i] * unfused[i];
    }
    EXPECT_LT(std::sqrt(diff / norm), 1e-12) << c[1] << " predicting " << c[2];
  }
}

TEST(FloatSyntax, ShortestFormRoundTripsExactlyAndLexesAsFloat) {
  for (double v : {0.1, 0.02, 1e-4, 7.0, 1.0 / 3.0, 0.30000000000000004, 5e-324,
                   1.7976931348623157e308, -2.5, 0.0, 123456789.0}) {
    std::string text = formatF64(v);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    EXPECT_NE(text.find('.'), std::string::npos) << text; // MLIR needs the '.'
  }
  EXPECT_EQ(formatF64(1e-4), "1.0e-04");
  EXPECT_EQ(formatF64(20.0), "20.0");
}

TEST(ShapeUtils, BroadcastTreatsDynamicDimsAsUnknown) {
  int64_t bad = -1;
  auto dyn = ShapedType::kDynamic;
  auto r = broadcastShapes({dyn, 64, 14, 14}, {dyn, 64, 1, 1}, bad);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (llvm::SmallVector<int64_t>{dyn, 64, 14, 14}));
  r = broadcastShapes({3}, {2, 1}, bad);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (llvm::SmallVector<int64_t>{2, 3}));
  EXPECT_FALSE(broadcastShapes({4, 3}, {2, 3}, bad));
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(tweedie::formatShape(llvm::ArrayRef<int64_t>{dyn, 2}), "[?, 2]");
}

// The catalog repeats the attributes' defaults for --list-samplers: spelled
// out, each one must parse to the very attribute the defaults give.
TEST_F(IRTest, SamplerCatalogDefaultsAreTheAttributeDefaults) {
  auto spelled = [](const std::string &mnemonic,
                    const std::vector<std::pair<std::string, std::string>> &fixed,
                    const std::vector<catalog::Option> &options, bool withDefaults) {
    std::string params;
    for (const auto &[key, value] : fixed)
      params += (params.empty() ? "" : ", ") + key + " = " + value;
    if (withDefaults)
      for (const catalog::Option &o : options) {
        std::string error;
        std::optional<std::string> value = catalog::toAttributeValue(o, o.defaultValue, error);
        EXPECT_TRUE(value) << mnemonic << "." << o.key << ": " << error;
        params += (params.empty() ? "" : ", ") + o.key + " = " + value.value_or("");
      }
    if (options.empty() && fixed.empty())
      return "#sampler." + mnemonic;
    return "#sampler." + mnemonic + "<" + params + ">";
  };
  auto check = [&](const std::string &mnemonic,
                   const std::vector<std::pair<std::string, std::string>> &fixed,
                   const std::vector<catalog::Option> &options) {
    Attribute full = parseAttribute(spelled(mnemonic, fixed, options, true), &context);
    Attribute defaults = parseAttribute(spelled(mnemonic, fixed, options, false), &context);
    ASSERT_TRUE(full && defaults) << mnemonic;
    EXPECT_EQ(full, defaults) << mnemonic << ": the catalog's defaults differ from the "
                                             "attribute's";
  };
  for (const catalog::Sampler &s : catalog::samplers()) {
    if (s.method != "likelihood") // an op, not a method attribute: below
      check(s.method, s.fixed, s.options);
  }
  for (const catalog::Schedule &s : catalog::schedules())
    check(s.name, {}, s.options);

  // likelihood's options are sampler.likelihood's attributes.
  OwningOpRef<ModuleOp> module = parse(R"(
    func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
      return %x : tensor<?x2xf32>
    }
    func.func @f(%xl: tensor<?x3xf32>, %seed: i64, %first: index) -> tensor<?x3xf32> {
      %r = sampler.likelihood @net(%xl, %seed, %first) schedule #sampler.vp<> prediction eps : tensor<?x3xf32>
      return %r : tensor<?x3xf32>
    })");
  ASSERT_TRUE(module);
  sampler::LikelihoodOp op;
  module->walk([&](sampler::LikelihoodOp found) { op = found; });
  const catalog::Sampler *likelihood = catalog::findSampler("likelihood");
  ASSERT_TRUE(likelihood && op);
  EXPECT_EQ(likelihood->defaultSteps, static_cast<int64_t>(op.getMaxSteps()));
  for (const catalog::Option &o : likelihood->options) {
    std::string attribute;
    if (o.key == "rtol" || o.key == "atol")
      attribute = formatF64((o.key == "rtol" ? op.getRtol() : op.getAtol()).convertToDouble());
    else if (o.key == "probes")
      attribute = std::to_string(op.getProbes());
    else
      attribute = sampler::stringifyProbeDistribution(op.getProbe()).str();
    std::string error;
    EXPECT_EQ(catalog::toAttributeValue(o, o.defaultValue, error).value_or(error), attribute)
        << o.key;
  }
}

TEST(SamplerCatalog, ParsesNestedSpecsAndRejectsMalformedOnes) {
  std::string error;
  auto spec = catalog::parseSpec(" heun( steps=18 , schedule = karras(sigma_max=80, rho=7)) ",
                                 error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->name, "heun");
  ASSERT_EQ(spec->arguments.size(), 2u);
  EXPECT_EQ(spec->arguments[0], (std::pair<std::string, std::string>{"steps", "18"}));
  EXPECT_EQ(spec->arguments[1].second, "karras(sigma_max=80, rho=7)");
  EXPECT_TRUE(catalog::parseSpec("ddim", error));
  EXPECT_TRUE(catalog::parseSpec("ddim()", error));
  for (const char *bad : {"", "3x", "heun(", "heun)", "heun(steps)", "heun(steps=)",
                          "heun(a=1,a=2)", "heun(a=(1)", "heun(=1)"})
    EXPECT_FALSE(catalog::parseSpec(bad, error)) << bad;
  catalog::Option real{"eta", catalog::ValueKind::Real, "0.0", "", {}};
  EXPECT_EQ(catalog::toAttributeValue(real, "1", error), "1.0");
  EXPECT_EQ(catalog::toAttributeValue(real, "2e-5", error), "2.0e-05");
  EXPECT_FALSE(catalog::toAttributeValue(real, "nan", error));
  EXPECT_FALSE(catalog::toAttributeValue(real, "1x", error));
}

} // namespace
