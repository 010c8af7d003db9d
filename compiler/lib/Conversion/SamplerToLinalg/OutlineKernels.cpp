//===- OutlineKernels.cpp - affine steps -> linalg kernel functions -------===//
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Conversion/Passes.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEOUTLINEKERNELS
#include "tweedie/Conversion/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

/// func @name(x, y, [z,] out: memref<?xf32>, a, b, [c]: f32): out = a x + b y (+ c z).
func::FuncOp buildAffineKernel(OpBuilder &b, Location loc, StringRef name, bool withNoise) {
  MLIRContext *ctx = b.getContext();
  auto buffer = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
  const unsigned inputs = withNoise ? 3 : 2;
  SmallVector<Type> args(inputs + 1, buffer);
  args.append(inputs, b.getF32Type());
  auto fn = b.create<func::FuncOp>(loc, name, FunctionType::get(ctx, args, {}));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  fn->setAttr(kKernelMarkerAttr, UnitAttr::get(ctx));
  Block *entry = fn.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  SmallVector<Value> ins(entry->getArguments().take_front(inputs));
  Value out = entry->getArgument(inputs);
  auto coefficients = entry->getArguments().drop_front(inputs + 1);
  AffineMap identity = body.getMultiDimIdentityMap(1);
  SmallVector<AffineMap> maps(inputs + 1, identity);
  body.create<linalg::GenericOp>(
      loc, TypeRange{}, ins, ValueRange{out}, maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nl, ValueRange values) {
        Value sum;
        for (unsigned i = 0; i < inputs; ++i) {
          Value term = nb.create<arith::MulFOp>(nl, coefficients[i], values[i]);
          sum = sum ? nb.create<arith::AddFOp>(nl, sum, term).getResult() : term;
        }
        nb.create<linalg::YieldOp>(nl, sum);
      });
  body.create<func::ReturnOp>(loc);
  return fn;
}

struct OutlineKernelsPass
    : public tweedie::impl::TweedieOutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    module.walk([&](sampler::AffineStepOp step) {
      const bool withNoise = static_cast<bool>(step.getZ());
      StringRef name = withNoise ? kAffineKernelXYZ : kAffineKernelXY;
      if (!module.lookupSymbol(name))
        buildAffineKernel(b, module.getLoc(), name, withNoise);
      step->setAttr(kKernelAttr, FlatSymbolRefAttr::get(module.getContext(), name));
    });
  }
};

} // namespace
