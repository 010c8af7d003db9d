//===- ModuleVerifierTest.cpp - semantic checks of module descriptions ----===//
//
// A module whose checksums are right can still be inconsistent (a buggy or
// hostile writer): an operand index past the values, an arena range past the
// arena, a weight that does not fit its input. verifyModule must reject each
// with a message naming the op or value and the problem, before any kernel
// could read out of bounds. Each case breaks one thing in a small valid module.
//
//===----------------------------------------------------------------------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/ModuleDesc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

using namespace tweedie::module;

namespace {

/// PTX text the verifier accepts for `arch` in module d: the ops' kernels,
/// d's layer kernels and `more`.
std::string ptxFor(const ModuleDesc &d, const std::string &arch, const std::string &more = "") {
  std::string ptx = "// PTX\n.target " + arch + "\n" + more;
  for (const char *kernel : kDeviceKernels)
    ptx += ".visible .entry " + std::string(kernel) + "(\n";
  for (const LayerKernel &kernel : layerKernelsOf(d))
    ptx += ".visible .entry " + kernel.name() + "(\n";
  return ptx;
}

/// x (state) -> dense(x, W) -> affine_step(x, y) -> next state; 2 steps.
ModuleDesc validModule() {
  ModuleDesc d;
  d.producer = "test";
  d.entry = "sample";
  d.sampleShape = {4};
  d.steps = 2;
  d.arenaBytesPerSample = 64;
  d.constants.push_back({"w", {4, 4}, std::vector<float>(16, 0.25f)});
  d.constants.push_back({"bias_table", {2, 4}, std::vector<float>(8, 0.5f)});
  d.values = {
      {ValueKind::Arena, {4}, 0},     // #0 state
      {ValueKind::Constant, {4, 4}, 0}, // #1 weight
      {ValueKind::Arena, {4}, 16},    // #2 dense result
      {ValueKind::Arena, {4}, 32},    // #3 next state
      {ValueKind::TableRow, {4}, 1},  // #4 per-step bias
  };
  OpDesc dense;
  dense.kind = OpKind::Dense;
  dense.operands = {0, 1, 4};
  dense.result = 2;
  OpDesc step;
  step.kind = OpKind::AffineStep;
  step.operands = {0, 2};
  step.result = 3;
  step.floats = {0.9, 0.8, 0.1, 0.2, 0.0, 0.0};
  d.body = {dense, step};
  d.state = 0;
  d.nextState = 3;
  return d;
}

std::string rejection(const ModuleDesc &d) {
  try {
    verifyModule(d, "m.tweedie");
  } catch (const tweedie::io::FormatError &e) {
    return e.what();
  }
  return "";
}

TEST(ModuleVerifier, AcceptsTheValidModuleAndItRoundTrips) {
  ModuleDesc d = validModule();
  EXPECT_EQ(rejection(d), "");
  ModuleDesc parsed = parseModule(serializeModule(d), "m.tweedie");
  EXPECT_EQ(parsed.body.size(), 2u);
  EXPECT_EQ(parsed.values.size(), 5u);
  EXPECT_EQ(parsed.constants[1].data, d.constants[1].data);
  EXPECT_EQ(parsed.body[1].floats, d.body[1].floats);
  // The layout flag (format 8) round-trips; absent, it reads as plain.
  EXPECT_FALSE(parsed.values[2].channelsLast);
  d.values[2].channelsLast = true;
  EXPECT_TRUE(parseModule(serializeModule(d), "m.tweedie").values[2].channelsLast);
  // So do CUDA kernels (format 9).
  d.cudaKernels = {{"sm_80", ptxFor(d, "sm_80")}};
  const ModuleDesc withPtx = parseModule(serializeModule(d), "m.tweedie");
  ASSERT_EQ(withPtx.cudaKernels.size(), 1u);
  EXPECT_EQ(withPtx.cudaKernels[0].arch, "sm_80");
  EXPECT_EQ(withPtx.cudaKernels[0].ptx, d.cudaKernels[0].ptx);
}

struct Breakage {
  const char *name;
  std::function<void(ModuleDesc &)> apply;
  const char *message;
};

class ModuleVerifierRejects : public ::testing::TestWithParam<Breakage> {};

TEST_P(ModuleVerifierRejects, WithAMessageNamingTheProblem) {
  ModuleDesc d = validModule();
  GetParam().apply(d);
  std::string message = rejection(d);
  EXPECT_NE(message.find("m.tweedie: invalid Tweedie module: "), std::string::npos)
      << message;
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
  // The writer refuses it too: serializeModule verifies before it encodes.
  EXPECT_THROW(serializeModule(d), tweedie::io::FormatError);
}

const Breakage kBreakages[] = {
    {"ZeroSteps", [](ModuleDesc &d) { d.steps = 0; }, "step count 0 is out of range"},
    {"LikelihoodWithoutIntegrator", [](ModuleDesc &d) { d.likelihoodPriorStd = 1.0; },
     "a likelihood module integrates its flow: it needs an integrator"},
    {"NaNLikelihoodPrior", [](ModuleDesc &d) { d.likelihoodPriorStd = std::nan(""); },
     "the likelihood's prior std must be a finite number >= 0"},
    {"NegativePriorScale", [](ModuleDesc &d) { d.priorScale = -1; },
     "prior scale -1.000000 is not a positive number"},
    {"NegativeArena", [](ModuleDesc &d) { d.arenaBytesPerSample = -4; },
     "arena size -4 is out of range"},
    {"EmptySampleDim", [](ModuleDesc &d) { d.sampleShape = {0}; }, "sample shape [0]"},
    {"ShortConstant", [](ModuleDesc &d) { d.constants[0].data.pop_back(); },
     "constant 'w' holds 15 values for shape [4, 4]"},
    {"ArenaOverrun", [](ModuleDesc &d) { d.values[3].offset = 52; },
     "value #3 (16 bytes at offset 52) lies outside the 64-byte per-sample arena"},
    {"HugeOffsetDoesNotOverflow",
     [](ModuleDesc &d) { d.values[3].offset = std::numeric_limits<int64_t>::max() - 3; },
     "lies outside the 64-byte per-sample arena"},
    {"MisalignedOffset", [](ModuleDesc &d) { d.values[2].offset = 18; }, "offset 18"},
    {"NegativeDim", [](ModuleDesc &d) { d.values[2].shape = {-4}; },
     "value #2 has an invalid shape"},
    {"MissingConstant", [](ModuleDesc &d) { d.values[1].offset = 7; },
     "value #1 names constant 7 of 2"},
    {"ConstantShapeDisagrees", [](ModuleDesc &d) { d.values[1].shape = {16}; },
     "value #1 has shape [16] but its constant gives [4, 4]"},
    {"TableOfTheWrongLength", [](ModuleDesc &d) { d.values[4].offset = 0; },
     "which is not a table of 2 steps"},
    {"StateIsAConstant", [](ModuleDesc &d) { d.state = 1; },
     "the state must be an arena value shaped like a sample [4]"},
    {"NextStateOutOfRange", [](ModuleDesc &d) { d.nextState = 99; }, "the next state"},
    {"OperandOutOfRange", [](ModuleDesc &d) { d.body[0].operands[0] = 17; },
     "op #0 (dense): value index 17 is out of range (5 values)"},
    {"NegativeRequiredOperand", [](ModuleDesc &d) { d.body[0].operands[1] = -1; },
     "operand #1 is required"},
    {"WeightInTheArena", [](ModuleDesc &d) { d.body[0].operands[1] = 2; },
     "operand 'weight' must be a constant or a table row"},
    {"WeightDoesNotFit",
     [](ModuleDesc &d) {
       d.constants[0] = {"w", {3, 4}, std::vector<float>(12, 0.f)};
       d.values[1].shape = {3, 4};
     },
     "weight [3, 4] does not fit input [4]"},
    {"BiasOfTheWrongSize", [](ModuleDesc &d) { d.body[0].operands[2] = 1; },
     "bias must be [4]"},
    {"ResultInAConstant", [](ModuleDesc &d) { d.body[0].result = 1; },
     "operand 'result' must be a per-sample (arena) value"},
    {"ShortCoefficientTable", [](ModuleDesc &d) { d.body[1].floats.pop_back(); },
     "op #1 (affine_step): needs 3 coefficient tables of 2 entries"},
    {"NaNCoefficient", [](ModuleDesc &d) { d.body[1].floats[2] = std::nan(""); },
     "a coefficient is not finite"},
    {"TooManyOperands", [](ModuleDesc &d) { d.body[1].operands = {0, 2, 3, 0}; },
     "takes 2-3 operands, has 4"},
    {"UnknownActivation", [](ModuleDesc &d) { d.body[0].act = static_cast<Activation>(42); },
     "unknown activation"},
    {"UnknownOpKind", [](ModuleDesc &d) { d.body[0].kind = static_cast<OpKind>(500); },
     "unknown op kind 500"},
    {"TransposeWithoutAPermutation",
     [](ModuleDesc &d) {
       d.body[0] = OpDesc{OpKind::Transpose, {0}, 2, {0}, {}, Activation::None, ""};
     },
     "op #0 (transpose): needs 2 integer attributes, has 1"},
    {"TransposeResultOfAnotherRank",
     [](ModuleDesc &d) {
       d.values[2].shape = {2, 2};
       d.body[0] = OpDesc{OpKind::Transpose, {0}, 2, {0, 1}, {}, Activation::None, ""};
     },
     "result [2, 2] and input [4] differ in rank"},
    {"TransposeOfTooManyDims",
     [](ModuleDesc &d) {
       d.values[2].shape = {1, 1, 1, 1, 1, 1, 1, 4};
       d.body[0] = OpDesc{OpKind::Transpose, {2}, 2, {}, {}, Activation::None, ""};
     },
     "transposes of more than 7 dims per sample are not supported"},
    {"NextStatePartlyOverlapsTheState", [](ModuleDesc &d) { d.values[3].offset = 8; },
     "the next state (bytes 8+16) partly overlaps the state (bytes 0+16)"},
    {"CudaKernelsForANonArchitecture",
     [](ModuleDesc &d) { d.cudaKernels = {{"gpu", ".target gpu"}}; },
     "CUDA kernels for 'gpu', which is not an architecture (sm_80)"},
    {"CudaKernelsTwice",
     [](ModuleDesc &d) {
       d.cudaKernels = {{"sm_80", ptxFor(d, "sm_80")}, {"sm_80", ptxFor(d, "sm_80")}};
     },
     "CUDA kernels for sm_80 appear twice"},
    {"PtxOfAnotherArchitecture",
     [](ModuleDesc &d) { d.cudaKernels = {{"sm_80", ".target sm_90"}}; },
     "the PTX for sm_80 does not target it"},
    {"PtxLackingAKernelThePlanNames",
     [](ModuleDesc &d) {
       d.body[1].kernel = "tweedie_affine_xy";
       d.cudaKernels = {{"sm_90", ptxFor(d, "sm_90", ".visible .entry other(\n")}};
     },
     "the PTX for sm_90 lacks kernel 'tweedie_affine_xy'"},
    {"PtxLackingALayerKernel", // the dense layer's bias
     [](ModuleDesc &d) {
       std::string ptx = ptxFor(d, "sm_90");
       d.cudaKernels = {{"sm_90", ptx.substr(0, ptx.find(".visible .entry tweedie_epilogue"))}};
     },
     "the PTX for sm_90 lacks the layers' kernel 'tweedie_epilogue_none_bias' (a module from "
     "an older tweedie-compile? compile it again with --target cuda)"},
    {"PtxLackingTheNoiseKernel",
     [](ModuleDesc &d) { d.cudaKernels = {{"sm_90", ".target sm_90\n"}}; },
     "the PTX for sm_90 lacks the ops' kernel 'tweedie_randn'"},
    {"ConstantReadChannelsLast",
     [](ModuleDesc &d) {
       d.constants[0].shape = d.values[1].shape = {2, 2, 4}; // stored as written
       d.values[1].channelsLast = true;
     },
     "value #1 reads constant 'w' [2, 2, 4] channels last"},
    {"RandnWithOperands",
     [](ModuleDesc &d) {
       d.body[0] = OpDesc{OpKind::Randn, {0}, 2, {0}, {}, Activation::None, ""};
     },
     "takes no operands"},
};

INSTANTIATE_TEST_SUITE_P(Breakages, ModuleVerifierRejects, ::testing::ValuesIn(kBreakages),
                         [](const auto &info) { return std::string(info.param.name); });

/// An adaptive module: velocity = state x time, integrated from 1 to 0.
ModuleDesc integratedModule() {
  ModuleDesc d;
  d.producer = "test";
  d.entry = "sample";
  d.sampleShape = {4};
  d.steps = 100;
  d.arenaBytesPerSample = 64;
  d.constants.push_back({"w", {4, 4}, std::vector<float>(16, 0.25f)});
  d.values = {
      {ValueKind::Arena, {4}, 0},  // #0 state
      {ValueKind::Arena, {}, 16},  // #1 time, one float per sample
      {ValueKind::Arena, {4}, 32}, // #2 velocity
      {ValueKind::Arena, {1}, 16}, // #3 time as [B, 1]
  };
  d.body = {OpDesc{OpKind::Mul, {0, 3}, 2, {}, {}, Activation::None, ""}};
  d.state = 0;
  d.nextState = 2;
  d.integrator = IntegratorDesc{1, 1.0, 0.0, 1e-5, 1e-6};
  return d;
}

TEST(ModuleVerifier, AcceptsAnIntegratedModuleAndItRoundTrips) {
  ModuleDesc d = integratedModule();
  EXPECT_EQ(rejection(d), "");
  ModuleDesc parsed = parseModule(serializeModule(d), "m.tweedie");
  ASSERT_TRUE(parsed.integrator.has_value());
  EXPECT_EQ(parsed.integrator->time, 1);
  EXPECT_EQ(parsed.integrator->tStart, 1.0);
  EXPECT_EQ(parsed.integrator->tEnd, 0.0);
  EXPECT_EQ(parsed.integrator->rtol, 1e-5);
  EXPECT_EQ(parsed.integrator->atol, 1e-6);
  EXPECT_FALSE(parseModule(serializeModule(validModule()), "m").integrator.has_value());
}

class IntegratedModuleRejects : public ::testing::TestWithParam<Breakage> {};

TEST_P(IntegratedModuleRejects, WithAMessageNamingTheProblem) {
  ModuleDesc d = integratedModule();
  GetParam().apply(d);
  std::string message = rejection(d);
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
}

const Breakage kIntegratorBreakages[] = {
    {"TimeIsAConstant",
     [](ModuleDesc &d) {
       d.values.push_back({ValueKind::Constant, {4, 4}, 0});
       d.integrator->time = 4;
     },
     "the integrator's time must be an arena value of one float per sample"},
    {"TimeOfFourFloats", [](ModuleDesc &d) { d.integrator->time = 0; },
     "one float per sample"},
    {"EmptyInterval", [](ModuleDesc &d) { d.integrator->tEnd = 1.0; },
     "finite t_start != t_end"},
    {"InfiniteStart", [](ModuleDesc &d) { d.integrator->tStart = INFINITY; },
     "finite t_start != t_end"},
    {"ZeroRtol", [](ModuleDesc &d) { d.integrator->rtol = 0; },
     "rtol and atol must be positive"},
    {"NaNAtol", [](ModuleDesc &d) { d.integrator->atol = std::nan(""); },
     "rtol and atol must be positive"},
    {"ExtraStates",
     [](ModuleDesc &d) {
       d.extraStates = {2};
       d.nextExtraStates = {2};
     },
     "carries no extra states"},
    // Randn is allowed (drawn at step 0, fixed along the trajectory); a
    // per-step uniform is not.
    {"StepKeyedDrawInTheVelocity",
     [](ModuleDesc &d) {
       d.body.push_back(OpDesc{OpKind::RandUniform, {}, 2, {0}, {}, Activation::None, ""});
     },
     "has no step index for its rand_uniform op"},
};

INSTANTIATE_TEST_SUITE_P(Breakages, IntegratedModuleRejects,
                         ::testing::ValuesIn(kIntegratorBreakages),
                         [](const auto &info) { return std::string(info.param.name); });

} // namespace
