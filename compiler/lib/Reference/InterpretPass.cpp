//===- InterpretPass.cpp - --tweedie-interpret ----------------------------===//
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/Reference/Passes.h"
#include "tweedie/io/SafeTensors.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEINTERPRET
#include "tweedie/Reference/Passes.h.inc"
} // namespace tweedie

using namespace mlir;

namespace {

/// Nested brackets, rows on their own lines, 6 significant digits: enough for
/// FileCheck and for a person.
void printTensor(llvm::raw_ostream &os, const tweedie::reference::Tensor &t) {
  if (t.rank() == 0) {
    os << llvm::format("%.6g", t.numel() ? t[0] : 0.0) << "\n";
    return;
  }
  const int64_t row = t.shape.back();
  const int64_t rows = row ? t.numel() / row : 0;
  for (int64_t r = 0; r < rows; ++r) {
    os << "  [";
    for (int64_t i = 0; i < row; ++i)
      os << (i ? ", " : "") << llvm::format("%.6g", t[r * row + i]);
    os << "]\n";
  }
}

struct InterpretPass : tweedie::impl::TweedieInterpretBase<InterpretPass> {
  using TweedieInterpretBase::TweedieInterpretBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(entry);
    if (!fn) {
      module.emitError("--tweedie-interpret: no func.func @") << entry;
      return signalPassFailure();
    }
    if (batch < 1) {
      module.emitError("--tweedie-interpret: batch must be positive, got ")
          << static_cast<int64_t>(batch);
      return signalPassFailure();
    }
    tweedie::reference::ParamProvider params = tweedie::reference::syntheticParams(seed);
    if (!weights.empty()) {
      std::string error;
      auto file = tweedie::io::tryReadSafeTensors(weights.getValue(), error);
      if (!file) {
        module.emitError("--tweedie-interpret: ") << error;
        return signalPassFailure();
      }
      params = tweedie::reference::checkpointParams(
          std::make_shared<const tweedie::io::SafeTensorsFile>(std::move(*file)),
          weights.getValue());
    }
    tweedie::reference::Interpreter interpreter(module, std::move(params));
    auto results =
        interpreter.run(fn, tweedie::reference::syntheticInputs(fn, batch, seed));
    if (failed(results))
      return signalPassFailure();
    llvm::raw_ostream &os = llvm::outs();
    for (auto [index, tensor] : llvm::enumerate(*results)) {
      os << "@" << entry << " result #" << index << " "
         << tweedie::reference::formatShape(tensor.shape) << "\n";
      printTensor(os, tensor);
    }
    os.flush();
    markAllAnalysesPreserved();
  }
};

} // namespace
