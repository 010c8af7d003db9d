//===- OnnxImportTest.cpp - imported ONNX networks compute what PyTorch did -===//
//
// The fixtures (tests/import/Inputs, written by tests/import/gen/
// export_fixtures.py with Debian's python3-torch) hold PyTorch's outputs for
// fixed inputs. The imported network, run by the float64 reference
// interpreter on the same inputs, must match them to 1e-5 relative; ONNX
// graphs built here by hand check the refusals name the op, node and opset.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Import/OnnxImport.h"
#include "tweedie/InitAll.h"
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/io/NpyFile.h"
#include "tweedie/io/SafeTensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace mlir;
using namespace tweedie;

namespace {

const std::string kInputs = std::string(TWEEDIE_TEST_INPUTS_DIR) + "/import/Inputs/";

/// The largest |a - b| over the largest |b|: relative to the output's scale.
double relativeError(const std::vector<double> &a, const std::vector<float> &b) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return worst / scale;
}

/// Imports fixture `name`, runs it on its inputs in float64 and returns the
/// relative error against PyTorch's outputs.
double importedAgainstPyTorch(const std::string &name) {
  std::string error;
  std::optional<onnx::Model> model = onnx::readModel(kInputs + name + ".onnx", error);
  EXPECT_TRUE(model) << error;
  if (!model)
    return INFINITY;
  OnnxImportResult imported;
  EXPECT_TRUE(importOnnx(*model, {}, imported, error)) << error;
  if (!error.empty())
    return INFINITY;

  MLIRContext context;
  DialectRegistry registry;
  registerAllDialects(registry);
  context.appendDialectRegistry(registry);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(imported.mlir, &context);
  EXPECT_TRUE(module) << imported.mlir;
  if (!module)
    return INFINITY;
  auto weights = std::make_shared<io::SafeTensorsFile>();
  for (const ImportedWeight &w : imported.weights)
    weights->tensors[w.name] = io::NamedTensor::fromFloat32(w.name, w.shape, w.values);
  reference::Interpreter interpreter(*module, reference::checkpointParams(weights, name));

  const io::NpyArray x = io::readNpy(kInputs + name + ".inputs.npy");
  const io::NpyArray t = io::readNpy(kInputs + name + ".timesteps.npy");
  const io::NpyArray expected = io::readNpy(kInputs + name + ".outputs.npy");
  auto fn = module->lookupSymbol<func::FuncOp>("net");
  std::vector<reference::Argument> args = {
      reference::Tensor(x.shape, std::vector<double>(x.data.begin(), x.data.end())),
      reference::Tensor(t.shape, std::vector<double>(t.data.begin(), t.data.end()))};
  FailureOr<std::vector<reference::Tensor>> out = interpreter.run(fn, args);
  EXPECT_TRUE(succeeded(out));
  if (failed(out))
    return INFINITY;
  EXPECT_EQ((*out)[0].shape, expected.shape);
  const double e = relativeError((*out)[0].data, expected.data);
  std::printf("%s: imported network vs PyTorch, relative error %.2e (%zu weights, %lld nodes, "
              "%lld folded)\n",
              name.c_str(), e, imported.weights.size(), static_cast<long long>(imported.nodes),
              static_cast<long long>(imported.folded));
  return e;
}

TEST(OnnxImport, MlpMatchesPyTorch) { EXPECT_LT(importedAgainstPyTorch("mlp"), 1e-5); }

// Convolutions, group norms (InstanceNormalization between reshapes), one-head
// attention, nearest up sampling, average pooling, a flipped time embedding.
TEST(OnnxImport, UNetMatchesPyTorch) { EXPECT_LT(importedAgainstPyTorch("unet"), 1e-5); }

// Two heads split by view/transpose: one score.attention, the splits folded.
TEST(OnnxImport, MultiHeadAttentionMatchesPyTorch) {
  EXPECT_LT(importedAgainstPyTorch("mha"), 1e-5);
}

/// A two-input graph around one node of `op`.
onnx::Model graphWith(const std::string &op) {
  onnx::Model m;
  m.opset = 17;
  m.inputs = {{"x", 1, {-1, 4}}, {"t", 1, {-1}}};
  m.outputs = {{"y", 1, {-1, 4}}};
  onnx::Node n;
  n.opType = op;
  n.name = "the_node";
  n.inputs = {"x"};
  n.outputs = {"y"};
  m.nodes.push_back(n);
  return m;
}

TEST(OnnxImport, UnsupportedOpsAreNamedWithTheirNodeAndOpset) {
  OnnxImportResult result;
  std::string error;
  EXPECT_FALSE(importOnnx(graphWith("Einsum"), {}, result, error));
  EXPECT_EQ(error, "node 'the_node' (Einsum, opset 17): is not supported by tweedie-import");

  // Sin outside a time embedding.
  EXPECT_FALSE(importOnnx(graphWith("Sin"), {}, result, error = ""));
  EXPECT_NE(error.find("node 'the_node' (Sin, opset 17): Sin and Cos are read only in a time "
                       "embedding"),
            std::string::npos)
      << error;

  // A fixed batch: the export needs dynamic axes.
  onnx::Model fixed = graphWith("Relu");
  fixed.inputs[0].dims = {8, 4};
  EXPECT_FALSE(importOnnx(fixed, {}, result, error = ""));
  EXPECT_NE(error.find("has a fixed batch size: export with dynamic_axes"), std::string::npos)
      << error;

  // And the plain op imports.
  EXPECT_TRUE(importOnnx(graphWith("Relu"), {}, result, error = "")) << error;
  EXPECT_NE(result.mlir.find("score.act relu %arg0"), std::string::npos) << result.mlir;
}

TEST(OnnxImport, CorruptFilesAreNamed) {
  std::string error;
  const std::string path = ::testing::TempDir() + "/garbage.onnx";
  std::FILE *f = std::fopen(path.c_str(), "wb");
  std::fputs("\x08\x07 this is not a model", f);
  std::fclose(f);
  EXPECT_FALSE(onnx::readModel(path, error));
  EXPECT_NE(error.find("garbage.onnx: not an ONNX model"), std::string::npos) << error;
}

} // namespace
