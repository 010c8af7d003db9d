//===- InitAll.cpp - dialects and passes of Tweedie's MLIR tools ---------===//
#include "tweedie/InitAll.h"
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace tweedie {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<score::ScoreDialect, sampler::SamplerDialect,
                  mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
}

void registerAllPasses() {
  registerTweediePasses();
  // Upstream cleanups the pipeline relies on (canonicalize, cse, inline, ...).
  mlir::registerTransformsPasses();
}

} // namespace tweedie
