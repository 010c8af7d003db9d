//===- KernelBuilder.h - how the layer kernels are written ------*- C++ -*-===//
//
// The generated layer kernels (module/DeviceKernels.h) are func.func
// kernels of one elementwise linalg.generic over flat buffers; this is what
// their builders share: scalar arithmetic at an insertion point, the kernel
// skeleton, strided indexing and in-order sums. The builders live by what
// they serve: LayerKernels.cpp (the forward layers and sampler steps),
// AttentionKernels.cpp (attention, forward and gradient), GradientKernels.cpp
// (the training step's others), IntegratorKernels.cpp (the adaptive
// integrator's).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CUDA_KERNELBUILDER_H
#define TWEEDIE_TARGET_CUDA_KERNELBUILDER_H

#include "tweedie/Activation.h"
#include "tweedie/module/DeviceKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace tweedie::kernelgen {

using namespace mlir;

/// Scalar arithmetic at one insertion point, on index and float values.
struct Arith {
  OpBuilder &b;
  Location loc;

  Value f32(float v) { return b.create<arith::ConstantFloatOp>(loc, llvm::APFloat(v),
                                                                b.getF32Type()); }
  Value f64(double v) { return b.create<arith::ConstantFloatOp>(loc, llvm::APFloat(v),
                                                                 b.getF64Type()); }
  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value add(Value x, Value y) {
    return isa<IndexType>(x.getType()) ? Value(b.create<arith::AddIOp>(loc, x, y))
                                       : Value(b.create<arith::AddFOp>(loc, x, y));
  }
  Value sub(Value x, Value y) {
    return isa<IndexType>(x.getType()) ? Value(b.create<arith::SubIOp>(loc, x, y))
                                       : Value(b.create<arith::SubFOp>(loc, x, y));
  }
  Value mul(Value x, Value y) {
    return isa<IndexType>(x.getType()) ? Value(b.create<arith::MulIOp>(loc, x, y))
                                       : Value(b.create<arith::MulFOp>(loc, x, y));
  }
  Value div(Value x, Value y) {
    return isa<IndexType>(x.getType()) ? Value(b.create<arith::DivUIOp>(loc, x, y))
                                       : Value(b.create<arith::DivFOp>(loc, x, y));
  }
  Value rem(Value x, Value y) { return b.create<arith::RemUIOp>(loc, x, y); }
  Value neg(Value x) { return b.create<arith::NegFOp>(loc, x); }
  Value exp(Value x) { return b.create<math::ExpOp>(loc, x); }
  Value log1p(Value x) { return b.create<math::Log1pOp>(loc, x); }
  Value greater(Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  Value asIndex(Value v) { return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v); }
  Value load(Value buffer, Value at) { return b.create<memref::LoadOp>(loc, buffer, at); }
  Value widen(Value x) { return b.create<arith::ExtFOp>(loc, b.getF64Type(), x); }
  Value narrow(Value x) { return b.create<arith::TruncFOp>(loc, b.getF32Type(), x); }

  /// tweedie::activate<float> (Activation.h), the same formula for each.
  Value activate(Value x, Activation act) {
    Value one = f32(1.0f), zero = f32(0.0f);
    switch (act) {
    case Activation::None:
      return x;
    case Activation::SiLU:
      return div(x, add(one, exp(neg(x))));
    case Activation::GELU:
      return mul(mul(f32(0.5f), x),
                 add(one, b.create<math::ErfOp>(loc, mul(x, f32(0.70710678118654752440f)))));
    case Activation::ReLU:
      return select(greater(x, zero), x, zero);
    case Activation::Tanh:
      return b.create<math::TanhOp>(loc, x);
    case Activation::Softplus: // log(1 + e^x) without overflow for large x
      return select(greater(x, zero), add(x, log1p(exp(neg(x)))), log1p(exp(x)));
    case Activation::Exp:
      return exp(x);
    case Activation::Log:
      return b.create<math::LogOp>(loc, x);
    case Activation::Sqrt:
      return b.create<math::SqrtOp>(loc, x);
    case Activation::Square:
      return mul(x, x);
    case Activation::Reciprocal:
      return div(one, x);
    case Activation::Sigmoid:
      return div(one, add(one, exp(neg(x))));
    }
    llvm_unreachable("an activation without a kernel formula");
  }

  /// tweedie::activationDerivative<float>: f'(x), or f''(x) when `second`.
  Value derivative(Value x, Activation act, bool second) {
    Value one = f32(1.0f), two = f32(2.0f), zero = f32(0.0f);
    auto sigmoid = [&](Value v) { return div(one, add(one, exp(neg(v)))); };
    switch (act) {
    case Activation::None:
      return second ? zero : one;
    case Activation::SiLU: { // f = x s(x)
      Value s = sigmoid(x), oneMinus = sub(one, s);
      return second ? mul(mul(s, oneMinus), add(two, mul(x, sub(one, mul(two, s)))))
                    : mul(s, add(one, mul(x, oneMinus)));
    }
    case Activation::GELU: { // f = x Phi(x)
      Value phi = div(exp(mul(f32(-0.5f), mul(x, x))), f32(2.50662827463100050242f));
      return second ? mul(phi, sub(two, mul(x, x)))
                    : add(mul(f32(0.5f), add(one, b.create<math::ErfOp>(
                                                      loc, div(x, f32(1.41421356237309504880f))))),
                          mul(x, phi));
    }
    case Activation::ReLU:
      return second ? zero : select(greater(x, zero), one, zero);
    case Activation::Tanh: {
      Value t = b.create<math::TanhOp>(loc, x), oneMinus = sub(one, mul(t, t));
      return second ? mul(mul(f32(-2.0f), t), oneMinus) : oneMinus;
    }
    case Activation::Softplus: {
      Value s = sigmoid(x);
      return second ? mul(s, sub(one, s)) : s;
    }
    case Activation::Exp:
      return exp(x);
    case Activation::Log:
      return second ? div(f32(-1.0f), mul(x, x)) : div(one, x);
    case Activation::Sqrt:
      return second ? div(f32(-0.25f), mul(x, b.create<math::SqrtOp>(loc, x)))
                    : div(f32(0.5f), b.create<math::SqrtOp>(loc, x));
    case Activation::Square:
      return second ? two : mul(two, x);
    case Activation::Reciprocal:
      return second ? div(two, mul(mul(x, x), x)) : div(f32(-1.0f), mul(x, x));
    case Activation::Sigmoid: {
      Value s = sigmoid(x), ds = mul(s, sub(one, s));
      return second ? mul(ds, sub(one, mul(two, s))) : ds;
    }
    }
    llvm_unreachable("an activation without a derivative formula");
  }
};

/// What a kernel's body sees: the element (thread) index, its buffers (the
/// outputs first) and its scalars.
struct KernelArgs {
  Value index;
  ArrayRef<BlockArgument> buffers, scalars;
};
using KernelBody = function_ref<SmallVector<Value>(Arith &, const KernelArgs &)>;

/// func @name(buffers: memref<?xT>... (T their element types), scalars...)
/// whose one linalg.generic writes element i of each of the first `outputs`
/// buffers.
void buildKernel(OpBuilder &b, Location loc, StringRef name, unsigned outputs,
                 ArrayRef<Type> bufferElements, ArrayRef<Type> scalars, KernelBody body);
/// The same with `buffers` float32 buffers.
void buildKernel(OpBuilder &b, Location loc, StringRef name, unsigned outputs,
                 unsigned buffers, ArrayRef<Type> scalars, KernelBody body);

/// sum_d digit_d(i) strides[d], the digits of i in `sizes` (the last fastest).
Value stridedIndex(Arith &a, Value i, ArrayRef<BlockArgument> sizes,
                   ArrayRef<BlockArgument> strides);
/// The float64 sum over j < count of term(j), in order (an scf.for).
Value loopSum(Arith &a, Value count, function_ref<Value(Arith &, Value)> term);
/// An index as float64.
Value toF64(Arith &a, Value index);

// Attention's kernels, forward and gradient (AttentionKernels.cpp).
void buildAttentionRowStats(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildAttentionProbs(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildAttentionProbGrad(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildAttentionRowWeighted(mlir::OpBuilder &b, mlir::Location loc,
                               const module::LayerKernel &k);
void buildAttentionScoreGrad(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildAttentionContract(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
// The training step's others (GradientKernels.cpp).
void buildGroupNormGradSums(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildGroupNormGradMap(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildGroupNormGradInput(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildGroupNormGradParams(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildInterpolate(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildTimeEmbedding(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildReduceSum(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
// The adaptive integrator's (IntegratorKernels.cpp).
void buildRK45Widen(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Stage(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Time(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Begin(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Control(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Accept(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Initial(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45InitialStep(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);
void buildRK45Finish(mlir::OpBuilder &b, mlir::Location loc, const module::LayerKernel &k);

} // namespace tweedie::kernelgen

#endif
