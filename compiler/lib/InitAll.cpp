//===- InitAll.cpp - dialects and passes of Tweedie's MLIR tools ---------===//
#include "tweedie/InitAll.h"
#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"
#include "tweedie/Pipelines/Pipelines.h"
#include "tweedie/Autodiff/Passes.h"
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"
#include "tweedie/Dialect/Score/Transforms/Passes.h"
#include "tweedie/Reference/Passes.h"
#include "tweedie/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace tweedie {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<score::ScoreDialect, sampler::SamplerDialect>();
  // The levels the CPU pipeline lowers through: tensors -> linalg -> buffers
  // (bufferization, memref) -> loops (scf, vector, math) -> the LLVM dialect.
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect, mlir::linalg::LinalgDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect, mlir::math::MathDialect,
                  mlir::LLVM::LLVMDialect>();
  // The CUDA target's generated kernels (--tweedie-kernels-to-gpu).
  registry.insert<mlir::gpu::GPUDialect>();
  mlir::func::registerInlinerExtension(registry);
}

void registerAllPasses() {
  // Each folder's passes, as upstream registers them per dialect/conversion.
  registerTweedieSamplerTransformsPasses();
  registerTweedieScoreTransformsPasses();
  registerTweedieAutodiffPasses();
  registerTweedieConversionPasses();
  registerTweedieTargetCPUPasses();
  registerTweedieReferencePasses();
  registerTweediePipelines();
  // Upstream cleanups the pipeline relies on (canonicalize, cse, inline, ...).
  mlir::registerTransformsPasses();
}

} // namespace tweedie
