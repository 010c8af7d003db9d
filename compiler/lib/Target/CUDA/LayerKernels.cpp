//===- LayerKernels.cpp - epilogues and group norm as generated kernels ---===//
//
// What each kernel computes, and its parameters, is module/DeviceKernels.h's
// LayerKernel; the float64 reference (compiler/lib/Reference) is the oracle
// LayerKernelTest compares them with, compiled for the host.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Target/CUDA/LayerKernels.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>
#include <cmath>

using namespace mlir;

namespace tweedie {

namespace {

using tweedie::Activation;
using module::LayerKernel;
using Kind = LayerKernel::Kind;

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
                 ArrayRef<Type> bufferElements, ArrayRef<Type> scalars, KernelBody body) {
  MLIRContext *ctx = b.getContext();
  const unsigned buffers = bufferElements.size();
  SmallVector<Type> args;
  for (Type element : bufferElements)
    args.push_back(MemRefType::get({ShapedType::kDynamic}, element));
  args.append(scalars.begin(), scalars.end());
  auto fn = b.create<func::FuncOp>(loc, name, FunctionType::get(ctx, args, {}));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  fn->setAttr(kKernelMarkerAttr, UnitAttr::get(ctx));
  Block *entry = fn.addEntryBlock();
  OpBuilder top = OpBuilder::atBlockBegin(entry);
  ArrayRef<BlockArgument> all = entry->getArguments();
  KernelArgs kernelArgs{Value(), all.take_front(buffers), all.drop_front(buffers)};
  SmallVector<Value> outs(kernelArgs.buffers.take_front(outputs).begin(),
                          kernelArgs.buffers.take_front(outputs).end());
  top.create<linalg::GenericOp>(
      loc, TypeRange{}, ValueRange{}, outs,
      SmallVector<AffineMap>(outputs, top.getMultiDimIdentityMap(1)),
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nl, ValueRange) {
        Arith a{nb, nl};
        KernelArgs inBody = kernelArgs;
        inBody.index = nb.create<linalg::IndexOp>(nl, 0);
        nb.create<linalg::YieldOp>(nl, body(a, inBody));
      });
  top.create<func::ReturnOp>(loc);
}

/// The same with `buffers` float32 buffers.
void buildKernel(OpBuilder &b, Location loc, StringRef name, unsigned outputs,
                 unsigned buffers, ArrayRef<Type> scalars, KernelBody body) {
  buildKernel(b, loc, name, outputs, SmallVector<Type>(buffers, b.getF32Type()), scalars, body);
}

void buildEpilogue(OpBuilder &b, Location loc, const LayerKernel &k) {
  const unsigned buffers = 2 + k.bias + k.residual;
  buildKernel(b, loc, k.name(), 1, buffers, {b.getI64Type(), b.getI64Type()},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value i = args.index;
                Value v = a.load(args.buffers[1], i);
                if (k.bias) {
                  Value channel = a.rem(a.div(i, a.asIndex(args.scalars[1])),
                                        a.asIndex(args.scalars[0]));
                  v = a.add(v, a.load(args.buffers[2], channel));
                }
                v = a.activate(v, k.act);
                if (k.residual)
                  v = a.add(v, a.load(args.buffers[buffers - 1], i));
                return {v};
              });
}

/// The element index of channel c, position p of one row starting at `base`.
Value groupElement(Arith &a, Value base, Value c, Value p, Value channels, Value inner,
                   Value channelsLast) {
  Value plain = a.add(a.mul(c, inner), p);
  Value last = a.add(a.mul(p, channels), c);
  return a.add(base, a.select(channelsLast, last, plain));
}

void buildGroupStats(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 2, 3, {i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value channels = a.asIndex(args.scalars[0]), inner = a.asIndex(args.scalars[1]);
        Value groups = a.asIndex(args.scalars[2]);
        Value last = a.b.create<arith::TruncIOp>(a.loc, a.b.getI1Type(), args.scalars[3]);
        Value x = args.buffers[2];
        Value row = a.div(args.index, groups), group = a.rem(args.index, groups);
        Value perGroup = a.div(channels, groups);
        Value count = a.mul(perGroup, inner);
        Value base = a.mul(row, a.mul(channels, inner));
        Value first = a.mul(group, perGroup);
        // sum over the group's elements of f(x), in float64, in element order
        auto sumOver = [&](auto f) {
          auto loop = a.b.create<scf::ForOp>(
              a.loc, a.index(0), count, a.index(1), ValueRange{a.f64(0.0)},
              [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
                Arith l{lb, ll};
                Value c = l.add(first, l.div(j, inner)), p = l.rem(j, inner);
                Value at = groupElement(l, base, c, p, channels, inner, last);
                Value term = f(l, l.widen(l.load(x, at)));
                lb.create<scf::YieldOp>(ll, l.add(acc[0], term));
              });
          return loop.getResult(0);
        };
        Value m = a.b.create<arith::UIToFPOp>(
            a.loc, a.b.getF64Type(),
            a.b.create<arith::IndexCastUIOp>(a.loc, a.b.getI64Type(), count));
        Value mean = a.div(sumOver([](Arith &, Value v) { return v; }), m);
        Value var = a.div(sumOver([&](Arith &l, Value v) {
                            Value d = l.sub(v, mean);
                            return l.mul(d, d);
                          }),
                          m);
        Value epsilon = a.widen(args.scalars[4]);
        Value rstd = a.div(a.f64(1.0), a.b.create<math::SqrtOp>(a.loc, a.add(var, epsilon)));
        return {a.narrow(mean), a.narrow(rstd)};
      });
}

void buildGroupNorm(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(b, loc, k.name(), 1, 6, {i64, i64, i64, i64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value channels = a.asIndex(args.scalars[0]);
                Value inner = a.asIndex(args.scalars[1]);
                Value groups = a.asIndex(args.scalars[2]);
                Value last =
                    a.b.create<arith::TruncIOp>(a.loc, a.b.getI1Type(), args.scalars[3]);
                Value i = args.index;
                Value rowSize = a.mul(channels, inner);
                Value row = a.div(i, rowSize), within = a.rem(i, rowSize);
                Value c = a.select(last, a.rem(within, channels), a.div(within, inner));
                Value group = a.add(a.mul(row, groups), a.div(c, a.div(channels, groups)));
                // buffers: out, x, mean, rstd, gamma, beta
                Value x = args.buffers[1], mean = args.buffers[2], rstd = args.buffers[3];
                Value gamma = args.buffers[4], beta = args.buffers[5];
                Value centred = a.sub(a.load(x, i), a.load(mean, group));
                Value y = a.mul(a.mul(centred, a.load(rstd, group)), a.load(gamma, c));
                return {a.activate(a.add(y, a.load(beta, c)), k.act)};
              });
}

/// sum_d digit_d(i) strides[d], the digits of i in `sizes` (the last fastest).
Value stridedIndex(Arith &a, Value i, ArrayRef<BlockArgument> sizes,
                   ArrayRef<BlockArgument> strides) {
  Value rest = i, at = a.index(0);
  for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
    Value size = a.asIndex(sizes[d]);
    at = a.add(at, a.mul(a.rem(rest, size), a.asIndex(strides[d])));
    rest = a.div(rest, size);
  }
  return at;
}

void buildBroadcast(OpBuilder &b, Location loc, const LayerKernel &k) {
  constexpr int r = module::kGatherRank;
  SmallVector<Type> scalars(3 * r, b.getI64Type());
  buildKernel(b, loc, k.name(), 1, 3, scalars,
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                ArrayRef<BlockArgument> sizes = args.scalars.take_front(r);
                Value x = a.load(args.buffers[1], stridedIndex(a, args.index, sizes,
                                                               args.scalars.slice(r, r)));
                Value y = a.load(args.buffers[2], stridedIndex(a, args.index, sizes,
                                                               args.scalars.slice(2 * r, r)));
                return {k.binary == LayerKernel::Binary::Add ? a.add(x, y) : a.mul(x, y)};
              });
}

void buildLangevinCorrector(OpBuilder &b, Location loc, const LayerKernel &k) {
  buildKernel(
      b, loc, k.name(), 1, 4, {b.getI64Type(), b.getF64Type(), b.getF64Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value x = args.buffers[1], score = args.buffers[2], z = args.buffers[3];
        Value width = a.asIndex(args.scalars[0]);
        Value alpha = args.scalars[1], snr = args.scalars[2];
        Value base = a.mul(a.div(args.index, width), width);
        auto norms = a.b.create<scf::ForOp>(
            a.loc, a.index(0), width, a.index(1), ValueRange{a.f64(0.0), a.f64(0.0)},
            [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
              Arith l{lb, ll};
              Value zj = l.widen(l.load(z, l.add(base, j)));
              Value sj = l.widen(l.load(score, l.add(base, j)));
              lb.create<scf::YieldOp>(
                  ll, ValueRange{l.add(acc[0], l.mul(zj, zj)), l.add(acc[1], l.mul(sj, sj))});
            });
        Value zz = norms.getResult(0), ss = norms.getResult(1);
        // eps = 2 alpha ratio^2, ratio = snr sqrt(zz / ss), 0 where ss is 0
        Value ratio = a.select(a.greater(ss, a.f64(0.0)),
                               a.mul(snr, a.b.create<math::SqrtOp>(a.loc, a.div(zz, ss))),
                               a.f64(0.0));
        Value eps = a.mul(a.mul(a.f64(2.0), alpha), a.mul(ratio, ratio));
        Value e = a.narrow(eps);
        Value noise = a.narrow(a.b.create<math::SqrtOp>(a.loc, a.mul(a.f64(2.0), eps)));
        Value i = args.index;
        Value stepped = a.add(a.load(x, i), a.mul(e, a.load(score, i)));
        return {a.add(stepped, a.mul(noise, a.load(z, i)))};
      });
}

void buildActGrad(OpBuilder &b, Location loc, const LayerKernel &k) {
  buildKernel(b, loc, k.name(), 1, 3, {},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value x = a.load(args.buffers[1], args.index);
                Value grad = a.load(args.buffers[2], args.index);
                return {a.mul(grad, a.derivative(x, k.act, k.order == 2))};
              });
}

void buildMALAStep(OpBuilder &b, Location loc, const LayerKernel &k) {
  buildKernel(
      b, loc, k.name(), 1, 8, {b.getI64Type(), b.getF64Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        // buffers: out, x, y, E(x), E(y), s(x), s(y), u
        Value x = args.buffers[1], y = args.buffers[2];
        Value score = args.buffers[5], proposalScore = args.buffers[6];
        Value width = a.asIndex(args.scalars[0]), eta = args.scalars[1];
        Value row = a.div(args.index, width), base = a.mul(row, width);
        auto norms = a.b.create<scf::ForOp>(
            a.loc, a.index(0), width, a.index(1), ValueRange{a.f64(0.0), a.f64(0.0)},
            [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
              Arith l{lb, ll};
              Value at = l.add(base, j);
              Value step = l.sub(l.widen(l.load(y, at)), l.widen(l.load(x, at)));
              Value f = l.sub(step, l.mul(eta, l.widen(l.load(score, at))));
              Value g = l.sub(l.neg(step), l.mul(eta, l.widen(l.load(proposalScore, at))));
              lb.create<scf::YieldOp>(
                  ll, ValueRange{l.add(acc[0], l.mul(f, f)), l.add(acc[1], l.mul(g, g))});
            });
        Value energyGap = a.sub(a.widen(a.load(args.buffers[3], row)),
                                     a.widen(a.load(args.buffers[4], row)));
        Value logRatio = a.add(energyGap, a.div(a.sub(norms.getResult(0), norms.getResult(1)),
                                                a.mul(a.f64(4.0), eta)));
        // log u in float32 (MLIR approximates the float32 log only): a
        // decision differs from the CPU's only within 1e-7 of the boundary.
        Value logU = a.widen(a.b.create<math::LogOp>(a.loc, a.load(args.buffers[7], row)));
        Value finite = a.b.create<arith::CmpFOp>(
            a.loc, arith::CmpFPredicate::OLT, a.b.create<math::AbsFOp>(a.loc, logRatio),
            a.f64(INFINITY));
        Value accept = a.b.create<arith::AndIOp>(
            a.loc, finite,
            a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OLT, logU, logRatio));
        return {a.select(accept, a.load(y, args.index), a.load(x, args.index))};
      });
}

void buildScale(OpBuilder &b, Location loc, const LayerKernel &k) {
  buildKernel(b, loc, k.name(), 1, 2, {b.getF32Type(), b.getF32Type()},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value x = a.load(args.buffers[1], args.index);
                return {a.add(a.mul(args.scalars[0], x), args.scalars[1])};
              });
}

void buildAvgPool(OpBuilder &b, Location loc, const LayerKernel &k) {
  SmallVector<Type> scalars(8, b.getI64Type());
  buildKernel(
      b, loc, k.name(), 1, 2, scalars,
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        auto scalar = [&](int i) { return a.asIndex(args.scalars[i]); };
        Value height = scalar(0), width = scalar(1), outHeight = scalar(2), outWidth = scalar(3);
        Value kh = scalar(4), kw = scalar(5), sh = scalar(6), sw = scalar(7);
        Value i = args.index, x = args.buffers[1];
        Value q = a.rem(i, outWidth), p = a.rem(a.div(i, outWidth), outHeight);
        Value plane = a.div(i, a.mul(outWidth, outHeight));
        Value zero = a.index(0), one = a.index(1);
        auto rowsLoop = a.b.create<scf::ForOp>(
            a.loc, zero, kh, one, ValueRange{a.f32(0.0f)},
            [&](OpBuilder &rb, Location rl, Value r, ValueRange rowAcc) {
              Arith ra{rb, rl};
              Value y = ra.add(ra.mul(p, sh), r);
              Value rowBase = ra.mul(ra.add(ra.mul(plane, height), y), width);
              auto colsLoop = rb.create<scf::ForOp>(
                  rl, zero, kw, one, ValueRange{rowAcc[0]},
                  [&](OpBuilder &cb, Location cl, Value c, ValueRange acc) {
                    Arith ca{cb, cl};
                    Value at = ca.add(rowBase, ca.add(ca.mul(q, sw), c));
                    cb.create<scf::YieldOp>(cl, ca.add(acc[0], ca.load(x, at)));
                  });
              rb.create<scf::YieldOp>(rl, colsLoop.getResult(0));
            });
        // The CPU's 1 / (kh kw), rounded to float once.
        Value count = a.b.create<arith::UIToFPOp>(
            a.loc, a.b.getF32Type(),
            a.b.create<arith::IndexCastUIOp>(a.loc, a.b.getI64Type(), a.mul(kh, kw)));
        return {a.mul(rowsLoop.getResult(0), a.div(a.f32(1.0f), count))};
      });
}

void buildGather(OpBuilder &b, Location loc, const LayerKernel &k) {
  SmallVector<Type> scalars(2 * module::kGatherRank, b.getI64Type());
  buildKernel(b, loc, k.name(), 1, 2, scalars,
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                constexpr int r = module::kGatherRank;
                Value at = stridedIndex(a, args.index, args.scalars.take_front(r),
                                        args.scalars.slice(r, r));
                return {a.load(args.buffers[1], at)};
              });
}

/// The float64 sum over j < count of term(j), in order (an scf.for).
Value loopSum(Arith &a, Value count, function_ref<Value(Arith &, Value)> term) {
  auto loop = a.b.create<scf::ForOp>(
      a.loc, a.index(0), count, a.index(1), ValueRange{a.f64(0.0)},
      [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
        Arith l{lb, ll};
        lb.create<scf::YieldOp>(ll, l.add(acc[0], term(l, j)));
      });
  return loop.getResult(0);
}

Value toF64(Arith &a, Value index) {
  return a.b.create<arith::UIToFPOp>(
      a.loc, a.b.getF64Type(), a.b.create<arith::IndexCastUIOp>(a.loc, a.b.getI64Type(), index));
}

/// scale q[qBase + c] . k[kBase + c] over c < dh, summed in float32 in order.
Value attentionScore(Arith &l, Value q, Value key, Value qBase, Value kBase, Value dh,
                     Value scale) {
  auto dot = l.b.create<scf::ForOp>(
      l.loc, l.index(0), dh, l.index(1), ValueRange{l.f32(0.0f)},
      [&](OpBuilder &db, Location dl, Value c, ValueRange acc) {
        Arith d{db, dl};
        Value product = d.mul(d.load(q, d.add(qBase, c)), d.load(key, d.add(kBase, c)));
        db.create<scf::YieldOp>(dl, d.add(acc[0], product));
      });
  return l.mul(dot.getResult(0), scale);
}

/// The largest of score(t) over t < sources (the softmax's shift).
Value peakScore(Arith &a, Value sources, function_ref<Value(Arith &, Value)> score) {
  auto peakLoop = a.b.create<scf::ForOp>(
      a.loc, a.index(0), sources, a.index(1), ValueRange{a.f32(-INFINITY)},
      [&](OpBuilder &lb, Location ll, Value t, ValueRange acc) {
        Arith l{lb, ll};
        lb.create<scf::YieldOp>(ll,
                                Value(lb.create<arith::MaximumFOp>(ll, acc[0], score(l, t))));
      });
  return peakLoop.getResult(0);
}

void buildAttention(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, 4, {i64, i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value qWidth = a.asIndex(args.scalars[2]), vWidth = a.asIndex(args.scalars[3]);
        Value heads = a.asIndex(args.scalars[4]);
        Value scale = args.scalars[5];
        Value q = args.buffers[1], key = args.buffers[2], v = args.buffers[3];
        Value i = args.index;
        Value j = a.rem(i, vWidth), row = a.div(i, vWidth); // row = b len + l
        Value batch = a.div(row, len);
        Value head = a.div(j, a.div(vWidth, heads));
        Value dh = a.div(qWidth, heads);
        Value qBase = a.add(a.mul(row, qWidth), a.mul(head, dh));
        // score(t) = scale q[row, head] . k[b, t, head]
        auto score = [&](Arith &l, Value t) {
          Value kBase = l.add(l.mul(l.add(l.mul(batch, sources), t), qWidth), l.mul(head, dh));
          return attentionScore(l, q, key, qBase, kBase, dh, scale);
        };
        Value peak = peakScore(a, sources, score);
        auto sums = a.b.create<scf::ForOp>(
            a.loc, a.index(0), sources, a.index(1), ValueRange{a.f32(0.0f), a.f32(0.0f)},
            [&](OpBuilder &lb, Location ll, Value t, ValueRange acc) {
              Arith l{lb, ll};
              Value p = l.exp(l.sub(score(l, t), peak));
              Value vAt = l.add(l.mul(l.add(l.mul(batch, sources), t), vWidth), j);
              lb.create<scf::YieldOp>(
                  ll, ValueRange{l.add(acc[0], p), l.add(acc[1], l.mul(p, l.load(v, vAt)))});
            });
        return {a.div(sums.getResult(1), sums.getResult(0))};
      });
}

/// The digits (b, h, l, s) of a [batch, heads, len, sources] index.
std::array<Value, 4> probabilityDigits(Arith &a, Value i, Value heads, Value len,
                                       Value sources) {
  Value s = a.rem(i, sources), rest = a.div(i, sources);
  Value l = a.rem(rest, len), bh = a.div(rest, len);
  return {a.div(bh, heads), a.rem(bh, heads), l, s};
}

void buildAttentionProbs(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, 3, {i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value qWidth = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value scale = args.scalars[4];
        Value q = args.buffers[1], key = args.buffers[2];
        auto [batch, head, l, s] = probabilityDigits(a, args.index, heads, len, sources);
        Value dh = a.div(qWidth, heads);
        Value qBase = a.add(a.mul(a.add(a.mul(batch, len), l), qWidth), a.mul(head, dh));
        auto score = [&](Arith &o, Value t) {
          Value kBase = o.add(o.mul(o.add(o.mul(batch, sources), t), qWidth), o.mul(head, dh));
          return attentionScore(o, q, key, qBase, kBase, dh, scale);
        };
        Value peak = peakScore(a, sources, score);
        auto denominator = a.b.create<scf::ForOp>(
            a.loc, a.index(0), sources, a.index(1), ValueRange{a.f32(0.0f)},
            [&](OpBuilder &lb, Location ll, Value t, ValueRange acc) {
              Arith o{lb, ll};
              lb.create<scf::YieldOp>(ll, o.add(acc[0], o.exp(o.sub(score(o, t), peak))));
            });
        return {a.div(a.exp(a.sub(score(a, s), peak)), denominator.getResult(0))};
      });
}

void buildAttentionScoreGrad(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, 4, {i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value vWidth = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value p = args.buffers[1], g = args.buffers[2], v = args.buffers[3];
        auto [batch, head, l, s] = probabilityDigits(a, args.index, heads, len, sources);
        Value eh = a.div(vWidth, heads);
        Value gBase = a.add(a.mul(a.add(a.mul(batch, len), l), vWidth), a.mul(head, eh));
        auto dp = [&](Arith &o, Value t) { // g[b, l, head] . v[b, t, head]
          Value vBase = o.add(o.mul(o.add(o.mul(batch, sources), t), vWidth), o.mul(head, eh));
          return loopSum(o, eh, [&](Arith &d, Value j) {
            return d.mul(d.widen(d.load(g, d.add(gBase, j))), d.widen(d.load(v, d.add(vBase, j))));
          });
        };
        Value pRow = a.sub(args.index, s);
        Value weighted = loopSum(a, sources, [&](Arith &o, Value t) {
          return o.mul(o.widen(o.load(p, o.add(pRow, t))), dp(o, t));
        });
        Value ps = a.widen(a.load(p, args.index));
        return {a.narrow(a.mul(a.mul(ps, a.sub(dp(a, s), weighted)), a.widen(args.scalars[4])))};
      });
}

void buildAttentionContract(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, 3, {i64, i64, i64, i64, i64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value rows = a.asIndex(args.scalars[0]), terms = a.asIndex(args.scalars[1]);
        Value width = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value transposed = a.b.create<arith::TruncIOp>(a.loc, a.b.getI1Type(), args.scalars[4]);
        Value m = args.buffers[1], x = args.buffers[2];
        Value j = a.rem(args.index, width), rest = a.div(args.index, width);
        Value r = a.rem(rest, rows), batch = a.div(rest, rows);
        Value head = a.div(j, a.div(width, heads));
        // m's [len, sources] plane of (batch, head): [rows, terms], or
        // [terms, rows] transposed
        Value plane = a.mul(a.add(a.mul(batch, heads), head), a.mul(rows, terms));
        Value sum = loopSum(a, terms, [&](Arith &o, Value t) {
          Value at = o.select(transposed, o.add(o.mul(t, rows), r), o.add(o.mul(r, terms), t));
          Value xAt = o.add(o.mul(o.add(o.mul(batch, terms), t), width), j);
          return o.mul(o.widen(o.load(m, o.add(plane, at))), o.widen(o.load(x, xAt)));
        });
        return {a.narrow(sum)};
      });
}

void buildGroupNormGradSums(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  buildKernel(b, loc, k.name(), 2, {f64, f64, f32, f32}, {b.getI64Type()},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value inner = a.asIndex(args.scalars[0]);
                Value base = a.mul(args.index, inner);
                Value dz = args.buffers[2], x = args.buffers[3];
                auto at = [&](Arith &l, Value buffer, Value j) {
                  return l.widen(l.load(buffer, l.add(base, j)));
                };
                Value sum = loopSum(a, inner, [&](Arith &l, Value j) { return at(l, dz, j); });
                Value product = loopSum(a, inner, [&](Arith &l, Value j) {
                  return l.mul(at(l, dz, j), at(l, x, j));
                });
                return {sum, product};
              });
}

void buildGroupNormGradMap(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 4, {f64, f64, f64, f64, f32, f64, f64, f32}, {i64, i64, i64, f64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value channels = a.asIndex(args.scalars[0]), inner = a.asIndex(args.scalars[1]);
        Value groups = a.asIndex(args.scalars[2]);
        Value x = args.buffers[4], sums = args.buffers[5], products = args.buffers[6];
        Value gamma = args.buffers[7];
        Value row = a.div(args.index, groups), group = a.rem(args.index, groups);
        Value perGroup = a.div(channels, groups);
        Value count = a.mul(perGroup, inner);
        Value first = a.mul(group, perGroup);
        // The group's elements lie together in a plain row.
        Value base = a.mul(a.add(a.mul(row, channels), first), inner);
        Value m = toF64(a, count);
        auto element = [&](Arith &l, Value j) { return l.widen(l.load(x, l.add(base, j))); };
        Value mean = a.div(loopSum(a, count, element), m);
        Value var = a.div(loopSum(a, count,
                                  [&](Arith &l, Value j) {
                                    Value d = l.sub(element(l, j), mean);
                                    return l.mul(d, d);
                                  }),
                          m);
        Value r = a.div(a.f64(1.0),
                        a.b.create<math::SqrtOp>(a.loc, a.add(var, args.scalars[3])));
        // mean_c(gamma sum) and mean_c(gamma proj) over the group's channels
        Value channelBase = a.add(a.mul(row, channels), first);
        auto gammaOf = [&](Arith &l, Value c) { return l.widen(l.load(gamma, l.add(first, c))); };
        Value meanG = a.div(loopSum(a, perGroup,
                                    [&](Arith &l, Value c) {
                                      return l.mul(gammaOf(l, c),
                                                   l.load(sums, l.add(channelBase, c)));
                                    }),
                            m);
        Value meanGXhat = a.div(
            loopSum(a, perGroup,
                    [&](Arith &l, Value c) {
                      Value at = l.add(channelBase, c);
                      Value projection =
                          l.mul(r, l.sub(l.load(products, at), l.mul(mean, l.load(sums, at))));
                      return l.mul(gammaOf(l, c), projection);
                    }),
            m);
        Value onX = a.neg(a.mul(a.mul(r, r), meanGXhat));
        Value shift = a.mul(r, a.sub(a.mul(a.mul(mean, r), meanGXhat), meanG));
        return {mean, r, onX, shift};
      });
}

void buildGroupNormGradInput(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i64 = b.getI64Type();
  buildKernel(b, loc, k.name(), 1, {f32, f32, f32, f32, f64, f64, f64}, {i64, i64, i64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value channels = a.asIndex(args.scalars[0]);
                Value inner = a.asIndex(args.scalars[1]);
                Value groups = a.asIndex(args.scalars[2]);
                Value i = args.index;
                Value row = a.div(i, a.mul(channels, inner));
                Value c = a.rem(a.div(i, inner), channels);
                Value group = a.add(a.mul(row, groups), a.div(c, a.div(channels, groups)));
                Value onDz = a.narrow(a.mul(a.load(args.buffers[4], group),
                                            a.widen(a.load(args.buffers[3], c))));
                Value onX = a.narrow(a.load(args.buffers[5], group));
                Value shift = a.narrow(a.load(args.buffers[6], group));
                Value dz = a.load(args.buffers[1], i), x = a.load(args.buffers[2], i);
                return {a.add(a.add(a.mul(onDz, dz), a.mul(onX, x)), shift)};
              });
}

void buildGroupNormGradParams(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i64 = b.getI64Type();
  buildKernel(b, loc, k.name(), 2, {f32, f32, f64, f64, f64, f64}, {i64, i64, i64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value rows = a.asIndex(args.scalars[0]), channels = a.asIndex(args.scalars[1]);
                Value groups = a.asIndex(args.scalars[2]);
                Value sums = args.buffers[2], products = args.buffers[3];
                Value means = args.buffers[4], rstds = args.buffers[5];
                Value c = args.index;
                Value group = a.div(c, a.div(channels, groups));
                Value dbeta = loopSum(a, rows, [&](Arith &l, Value n) {
                  return l.load(sums, l.add(l.mul(n, channels), c));
                });
                Value dgamma = loopSum(a, rows, [&](Arith &l, Value n) {
                  Value at = l.add(l.mul(n, channels), c), g = l.add(l.mul(n, groups), group);
                  return l.mul(l.load(rstds, g),
                               l.sub(l.load(products, at), l.mul(l.load(means, g),
                                                                 l.load(sums, at))));
                });
                return {a.narrow(dgamma), a.narrow(dbeta)};
              });
}

void buildInterpolate(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, {f32, f32, b.getF64Type()}, {i64, i64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        // Noise.h's tableAt, operation by operation, in float64.
        Value table = args.buffers[2];
        Value count = a.asIndex(args.scalars[0]);
        Value discrete = a.b.create<arith::TruncIOp>(a.loc, a.b.getI1Type(), args.scalars[1]);
        Value u = a.widen(a.load(args.buffers[1], args.index));
        Value zero = a.f64(0.0), one = a.f64(1.0);
        u = a.select(a.greater(zero, u), zero, a.select(a.greater(u, one), one, u));
        auto toDouble = [&](Value index) { return toF64(a, index); };
        auto toIndex = [&](Value v) { // truncation of a non-negative double
          return a.b.create<arith::IndexCastUIOp>(
              a.loc, a.b.getIndexType(), a.b.create<arith::FPToUIOp>(a.loc, a.b.getI64Type(), v));
        };
        Value last = a.sub(count, a.index(1));
        auto clamped = [&](Value i) { return a.b.create<arith::MinUIOp>(a.loc, i, last); };
        Value picked = a.load(table, clamped(toIndex(a.mul(u, toDouble(count)))));
        Value position = a.mul(u, toDouble(last));
        Value i = toIndex(position);
        Value next = a.add(i, a.index(1));
        Value lo = a.load(table, clamped(i)), hi = a.load(table, clamped(next));
        Value w = a.sub(position, toDouble(i));
        Value between = a.add(lo, a.mul(w, a.sub(hi, lo)));
        Value atEnd = a.b.create<arith::CmpIOp>(a.loc, arith::CmpIPredicate::uge, next, count);
        Value read = a.select(atEnd, a.load(table, last), between);
        return {a.narrow(a.select(discrete, picked, read))};
      });
}

void buildTimeEmbedding(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type();
  buildKernel(
      b, loc, k.name(), 1, {f32, f32, k.fourier ? f32 : b.getF64Type()}, {b.getI64Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value dim = a.asIndex(args.scalars[0]), half = a.div(dim, a.index(2));
        Value row = a.div(args.index, dim), k2 = a.rem(args.index, dim);
        Value f = a.load(args.buffers[2], a.rem(k2, half));
        Value turns = a.mul(a.widen(a.load(args.buffers[1], row)), k.fourier ? a.widen(f) : f);
        // turns - floor(turns), the floor by truncation (|turns| < 2^63)
        Type i64 = a.b.getI64Type(), f64 = a.b.getF64Type();
        Value truncated = a.b.create<arith::SIToFPOp>(
            a.loc, f64, a.b.create<arith::FPToSIOp>(a.loc, i64, turns));
        Value floor = a.select(a.greater(truncated, turns), a.sub(truncated, a.f64(1.0)),
                               truncated);
        auto [cosine, sine] = buildCosSinTurns(a.b, a.loc, a.sub(turns, floor));
        Value first = a.b.create<arith::CmpIOp>(a.loc, arith::CmpIPredicate::ult, k2, half);
        return {a.narrow(a.select(first, sine, cosine))};
      });
}

void buildReduceSum(OpBuilder &b, Location loc, const LayerKernel &k) {
  constexpr int r = module::kGatherRank;
  SmallVector<Type> scalars(4 * r, b.getI64Type());
  buildKernel(
      b, loc, k.name(), 1, 2, scalars,
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        ArrayRef<BlockArgument> reducedSizes = args.scalars.slice(2 * r, r);
        ArrayRef<BlockArgument> reducedStrides = args.scalars.slice(3 * r, r);
        Value base = stridedIndex(a, args.index, args.scalars.take_front(r),
                                  args.scalars.slice(r, r));
        Value terms = a.index(1);
        for (BlockArgument size : reducedSizes)
          terms = a.mul(terms, a.asIndex(size));
        Value x = args.buffers[1];
        return {a.narrow(loopSum(a, terms, [&](Arith &l, Value j) {
          Value at = l.add(base, stridedIndex(l, j, reducedSizes, reducedStrides));
          return l.widen(l.load(x, at));
        }))};
      });
}

// ---- The adaptive integrator (cpu/DormandPrince.cpp's arithmetic) ----

/// e^x in float64 from + - * and bit operations (no libm or libdevice):
/// x = k ln 2 + r with |r| <= ln 2 / 2 (ln 2 split as the noise's log
/// splits it), e^r by its Taylor series to r^17 / 17! (below 2^-60 of
/// the sum), times 2^k built in the exponent bits. |x| is clamped to 700.
Value expF64(Arith &a, Value x) {
  Type i64 = a.b.getI64Type();
  x = a.select(a.greater(x, a.f64(700.0)), a.f64(700.0),
               a.select(a.greater(a.f64(-700.0), x), a.f64(-700.0), x));
  Value scaled = a.mul(x, a.f64(1.4426950408889634074)); // x / ln 2
  Value half = a.select(a.greater(a.f64(0.0), scaled), a.f64(-0.5), a.f64(0.5));
  Value k = a.b.create<arith::FPToSIOp>(a.loc, i64, a.add(scaled, half));
  Value kf = a.b.create<arith::SIToFPOp>(a.loc, a.b.getF64Type(), k);
  Value r = a.sub(a.sub(x, a.mul(kf, a.f64(6.93147180369123816490e-01))),
                  a.mul(kf, a.f64(1.90821492927058770002e-10)));
  double factorial = 1.0;
  std::array<double, 18> coefficients{};
  for (int n = 0; n < 18; ++n) {
    if (n > 0)
      factorial *= n;
    coefficients[n] = 1.0 / factorial;
  }
  Value p = a.f64(coefficients[17]);
  for (int n = 16; n >= 0; --n)
    p = a.add(a.mul(p, r), a.f64(coefficients[n]));
  Value bits = a.b.create<arith::ShLIOp>(
      a.loc, a.b.create<arith::AddIOp>(a.loc, k, a.b.create<arith::ConstantIntOp>(a.loc, 1023, 64)),
      a.b.create<arith::ConstantIntOp>(a.loc, 52, 64));
  return a.mul(p, a.b.create<arith::BitcastOp>(a.loc, a.b.getF64Type(), bits));
}

/// x^p for x > 0 in float64 (x below the smallest normal taken as it).
Value powF64(Arith &a, Value x, double p) {
  const double smallest = 2.2250738585072014e-308;
  x = a.select(a.greater(a.f64(smallest), x), a.f64(smallest), x);
  return expF64(a, a.mul(a.f64(p), buildLogOfPositive(a.b, a.loc, x)));
}

Value minF(Arith &a, Value x, Value y) { return a.select(a.greater(x, y), y, x); }
Value maxF(Arith &a, Value x, Value y) { return a.select(a.greater(y, x), y, x); }
Value absF(Arith &a, Value x) { return a.b.create<math::AbsFOp>(a.loc, x); }
Value isSet(Arith &a, Value flag) { return a.greater(flag, a.f64(0.5)); }
Value flag(Arith &a, Value c) { return a.select(c, a.f64(1.0), a.f64(0.0)); }

// The Dormand-Prince tableau's error weights (fifth minus fourth order).
constexpr std::array<double, 7> kDormandPrinceE = {
    -71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40};

/// sqrt(mean over the row's width of (value(e) / (atol + rtol scale(e)))^2).
Value rowRms(Arith &a, Value base, Value width, Value rtol, Value atol,
             function_ref<Value(Arith &, Value)> value, function_ref<Value(Arith &, Value)> scale) {
  Value sum = loopSum(a, width, [&](Arith &l, Value j) {
    Value e = l.add(base, j);
    Value v = l.div(value(l, e), l.add(atol, l.mul(rtol, scale(l, e))));
    return l.mul(v, v);
  });
  return a.b.create<math::SqrtOp>(a.loc, a.div(sum, toF64(a, width)));
}

void buildRK45Widen(OpBuilder &b, Location loc, const LayerKernel &k) {
  buildKernel(b, loc, k.name(), 1, {b.getF64Type(), b.getF32Type()}, {},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                return {a.widen(a.load(args.buffers[1], args.index))};
              });
}

void buildRK45Stage(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i64 = b.getI64Type();
  SmallVector<Type> scalars = {i64, i64, i64};
  scalars.append(6, f64);
  buildKernel(b, loc, k.name(), 2, {f32, f64, f64, f64, f64}, scalars,
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value y = args.buffers[2], stages = args.buffers[3], h = args.buffers[4];
                Value width = a.asIndex(args.scalars[0]), count = a.asIndex(args.scalars[1]);
                Value m = a.asIndex(args.scalars[2]);
                Value i = args.index;
                // sum_j c_j K_j, j < m, in stage order; a stage past m adds 0.
                Value sum = a.f64(0.0);
                for (int j = 0; j < 6; ++j) {
                  Value term = a.mul(args.scalars[3 + j],
                                     a.load(stages, a.add(a.mul(a.index(j), count), i)));
                  Value within = a.b.create<arith::CmpIOp>(a.loc, arith::CmpIPredicate::ult,
                                                           a.index(j), m);
                  sum = a.select(within, a.add(sum, term), sum);
                }
                Value out = a.add(a.load(y, i), a.mul(a.load(h, a.div(i, width)), sum));
                return {a.narrow(out), out};
              });
}

void buildRK45Time(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type();
  buildKernel(b, loc, k.name(), 1, {b.getF32Type(), f64, f64}, {f64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value i = args.index;
                return {a.narrow(a.add(a.load(args.buffers[1], i),
                                       a.mul(args.scalars[0], a.load(args.buffers[2], i))))};
              });
}

void buildRK45Begin(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type();
  buildKernel(b, loc, k.name(), 3, {f64, f64, f64, f64, f64}, {f64, f64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value i = args.index, tEnd = args.scalars[0], direction = args.scalars[1];
                Value t = a.load(args.buffers[3], i), h = a.load(args.buffers[0], i);
                Value active = isSet(a, a.load(args.buffers[4], i));
                Value last = a.b.create<arith::CmpFOp>(
                    a.loc, arith::CmpFPredicate::OGE,
                    a.mul(direction, a.sub(a.add(t, h), tEnd)), a.f64(0.0));
                Value step = a.select(active, a.select(last, a.sub(tEnd, t), h), a.f64(0.0));
                Value lastStep = a.b.create<arith::AndIOp>(a.loc, active, last);
                Value tNext = a.select(lastStep, tEnd, a.add(t, step));
                return {step, flag(a, lastStep), tNext};
              });
}

void buildRK45Control(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  SmallVector<Type> buffers(12, f64);
  buildKernel(
      b, loc, k.name(), 7, buffers, {i64, i64, f64, f64, f64, f64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        // outputs: t, h, active, rejectedLast, acceptedNow, steps, status
        Value i = args.index;
        ArrayRef<BlockArgument> out = args.buffers;
        Value t = a.load(out[0], i), h = a.load(out[1], i);
        Value active = isSet(a, a.load(out[2], i));
        Value rejectedLast = isSet(a, a.load(out[3], i));
        Value steps = a.load(out[5], i), status = a.load(out[6], i);
        Value y = out[7], yNew = out[8], stages = out[9];
        Value tNext = a.load(out[10], i), lastStep = isSet(a, a.load(out[11], i));
        Value width = a.asIndex(args.scalars[0]), count = a.asIndex(args.scalars[1]);
        Value rtol = args.scalars[2], atol = args.scalars[3], span = args.scalars[4];
        Value maxSteps = args.scalars[5];
        Value base = a.mul(i, width);
        Value error = rowRms(
            a, base, width, rtol, atol,
            [&](Arith &l, Value e) {
              Value sum = l.f64(0.0);
              for (int j = 0; j < 7; ++j)
                sum = l.add(sum, l.mul(l.f64(kDormandPrinceE[j]),
                                       l.load(stages, l.add(l.mul(l.index(j), count), e))));
              return l.mul(h, sum);
            },
            [&](Arith &l, Value e) {
              return maxF(l, absF(l, l.load(y, e)), absF(l, l.load(yNew, e)));
            });
        Value finite = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OLT, absF(a, error),
                                                 a.f64(INFINITY));
        Value factor = a.select(a.greater(error, a.f64(0.0)),
                                a.mul(a.f64(0.9), powF64(a, error, -1.0 / 5)), a.f64(10.0));
        Value accept = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OLT, error,
                                                 a.f64(1.0));
        Value grown = a.mul(h, minF(a, a.select(rejectedLast, a.f64(1.0), a.f64(10.0)), factor));
        Value shrunk = a.mul(h, maxF(a, a.f64(0.2), factor));
        Value newH = a.select(accept, grown, shrunk);
        Value newT = a.select(accept, tNext, t);
        Value done = a.b.create<arith::AndIOp>(a.loc, accept, lastStep);
        Value newSteps = a.add(steps, a.f64(1.0));
        // The failures, in the CPU's order of checks.
        Value tooMany = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OGE, newSteps,
                                                  maxSteps);
        Value limit = a.mul(a.f64(10 * 2.220446049250313e-16), maxF(a, absF(a, newT), absF(a, span)));
        Value underflow = a.greater(limit, absF(a, newH));
        Value notFinite = a.b.create<arith::XOrIOp>(
            a.loc, finite, a.b.create<arith::ConstantIntOp>(a.loc, 1, 1));
        Value failure = a.select(notFinite, a.f64(3.0),
                                 a.select(done, a.f64(0.0),
                                          a.select(tooMany, a.f64(1.0),
                                                   a.select(underflow, a.f64(2.0), a.f64(0.0)))));
        Value stillActive = a.b.create<arith::AndIOp>(
            a.loc, a.b.create<arith::XOrIOp>(a.loc, done,
                                             a.b.create<arith::ConstantIntOp>(a.loc, 1, 1)),
            a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OEQ, failure, a.f64(0.0)));
        auto keep = [&](Value updated, Value old) { return a.select(active, updated, old); };
        Value acceptedNow = a.b.create<arith::AndIOp>(a.loc, active, accept);
        return {keep(newT, t),
                keep(newH, h),
                keep(flag(a, stillActive), a.f64(0.0)),
                keep(flag(a, a.b.create<arith::XOrIOp>(
                                 a.loc, accept, a.b.create<arith::ConstantIntOp>(a.loc, 1, 1))),
                     flag(a, rejectedLast)),
                flag(a, acceptedNow),
                keep(newSteps, steps),
                keep(failure, status)};
      });
}

void buildRK45Accept(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  buildKernel(b, loc, k.name(), 2, {f64, f64, f64, f64, f64}, {i64, i64},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value i = args.index;
                Value width = a.asIndex(args.scalars[0]), count = a.asIndex(args.scalars[1]);
                Value accepted = isSet(a, a.load(args.buffers[4], a.div(i, width)));
                Value last = a.load(args.buffers[3], a.add(a.mul(a.index(6), count), i));
                return {a.select(accepted, a.load(args.buffers[2], i), a.load(args.buffers[0], i)),
                        a.select(accepted, last, a.load(args.buffers[1], i))};
              });
}

void buildRK45Initial(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type();
  buildKernel(
      b, loc, k.name(), 2, {f64, f64, f64, f64, f64}, {b.getI64Type(), f64, f64, f64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value i = args.index, y = args.buffers[2], stages = args.buffers[3];
        Value width = a.asIndex(args.scalars[0]);
        Value rtol = args.scalars[1], atol = args.scalars[2], span = args.scalars[3];
        Value base = a.mul(i, width);
        auto scale = [&](Arith &l, Value e) { return absF(l, l.load(y, e)); };
        Value d0 = rowRms(a, base, width, rtol, atol,
                          [&](Arith &l, Value e) { return l.load(y, e); }, scale);
        Value d1 = rowRms(a, base, width, rtol, atol,
                          [&](Arith &l, Value e) { return l.load(stages, e); }, scale);
        Value small = a.b.create<arith::OrIOp>(a.loc, a.greater(a.f64(1e-5), d0),
                                               a.greater(a.f64(1e-5), d1));
        Value h0 = minF(a, a.select(small, a.f64(1e-6), a.div(a.mul(a.f64(0.01), d0), d1)),
                        absF(a, span));
        Value active = isSet(a, a.load(args.buffers[4], i));
        return {a.select(active, h0, a.f64(0.0)), d1};
      });
}

void buildRK45InitialStep(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, {f64, f64, f64, f64, f64, f64}, {i64, i64, f64, f64, f64, f64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value i = args.index, y = args.buffers[1], stages = args.buffers[2];
        Value h0 = a.load(args.buffers[3], i), d1 = a.load(args.buffers[4], i);
        Value width = a.asIndex(args.scalars[0]), count = a.asIndex(args.scalars[1]);
        Value rtol = args.scalars[2], atol = args.scalars[3], span = args.scalars[4];
        Value direction = args.scalars[5];
        Value base = a.mul(i, width);
        Value d2 = a.div(rowRms(
                             a, base, width, rtol, atol,
                             [&](Arith &l, Value e) {
                               return l.sub(l.load(stages, l.add(count, e)), l.load(stages, e));
                             },
                             [&](Arith &l, Value e) { return absF(l, l.load(y, e)); }),
                         h0);
        Value largest = maxF(a, d1, d2);
        Value h1 = a.select(a.greater(largest, a.f64(1e-15)),
                            powF64(a, a.div(a.f64(0.01), largest), 1.0 / 5),
                            maxF(a, a.f64(1e-6), a.mul(h0, a.f64(1e-3))));
        Value h = a.mul(direction, minF(a, minF(a, a.mul(a.f64(100.0), h0), h1), absF(a, span)));
        return {a.select(isSet(a, a.load(args.buffers[5], i)), h, a.f64(0.0))};
      });
}

void buildRK45Finish(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type();
  buildKernel(b, loc, k.name(), 1, {f32, b.getF64Type(), f32}, {b.getI64Type(), f32, f32},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value x = a.narrow(a.load(args.buffers[1], args.index));
                Value finish = a.b.create<arith::TruncIOp>(a.loc, a.b.getI1Type(), args.scalars[0]);
                Value stepped = a.add(a.mul(args.scalars[1], x),
                                      a.mul(args.scalars[2], a.load(args.buffers[2], args.index)));
                return {a.select(finish, stepped, x)};
              });
}

} // namespace

void addLayerKernels(ModuleOp module, ArrayRef<LayerKernel> kernels) {
  MLIRContext *context = module.getContext();
  context->loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                       math::MathDialect, memref::MemRefDialect, scf::SCFDialect>();
  OpBuilder b(context);
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<func::FuncOp> added;
  for (const LayerKernel &k : kernels) {
    if (module.lookupSymbol(k.name()))
      continue;
    switch (k.kind) {
    case Kind::Epilogue:
      buildEpilogue(b, module.getLoc(), k);
      break;
    case Kind::GroupStats:
      buildGroupStats(b, module.getLoc(), k);
      break;
    case Kind::GroupNorm:
      buildGroupNorm(b, module.getLoc(), k);
      break;
    case Kind::Gather:
      buildGather(b, module.getLoc(), k);
      break;
    case Kind::Attention:
      buildAttention(b, module.getLoc(), k);
      break;
    case Kind::Broadcast:
      buildBroadcast(b, module.getLoc(), k);
      break;
    case Kind::LangevinCorrector:
      buildLangevinCorrector(b, module.getLoc(), k);
      break;
    case Kind::ActGrad:
      buildActGrad(b, module.getLoc(), k);
      break;
    case Kind::MALAStep:
      buildMALAStep(b, module.getLoc(), k);
      break;
    case Kind::Scale:
      buildScale(b, module.getLoc(), k);
      break;
    case Kind::AvgPool:
      buildAvgPool(b, module.getLoc(), k);
      break;
    case Kind::Interpolate:
      buildInterpolate(b, module.getLoc(), k);
      break;
    case Kind::TimeEmbedding:
      buildTimeEmbedding(b, module.getLoc(), k);
      break;
    case Kind::ReduceSum:
      buildReduceSum(b, module.getLoc(), k);
      break;
    case Kind::GroupNormGradSums:
      buildGroupNormGradSums(b, module.getLoc(), k);
      break;
    case Kind::GroupNormGradMap:
      buildGroupNormGradMap(b, module.getLoc(), k);
      break;
    case Kind::GroupNormGradInput:
      buildGroupNormGradInput(b, module.getLoc(), k);
      break;
    case Kind::GroupNormGradParams:
      buildGroupNormGradParams(b, module.getLoc(), k);
      break;
    case Kind::AttentionProbs:
      buildAttentionProbs(b, module.getLoc(), k);
      break;
    case Kind::AttentionScoreGrad:
      buildAttentionScoreGrad(b, module.getLoc(), k);
      break;
    case Kind::AttentionContract:
      buildAttentionContract(b, module.getLoc(), k);
      break;
    case Kind::RK45Widen:
      buildRK45Widen(b, module.getLoc(), k);
      break;
    case Kind::RK45Stage:
      buildRK45Stage(b, module.getLoc(), k);
      break;
    case Kind::RK45Time:
      buildRK45Time(b, module.getLoc(), k);
      break;
    case Kind::RK45Begin:
      buildRK45Begin(b, module.getLoc(), k);
      break;
    case Kind::RK45Control:
      buildRK45Control(b, module.getLoc(), k);
      break;
    case Kind::RK45Accept:
      buildRK45Accept(b, module.getLoc(), k);
      break;
    case Kind::RK45Initial:
      buildRK45Initial(b, module.getLoc(), k);
      break;
    case Kind::RK45InitialStep:
      buildRK45InitialStep(b, module.getLoc(), k);
      break;
    case Kind::RK45Finish:
      buildRK45Finish(b, module.getLoc(), k);
      break;
    }
    added.push_back(cast<func::FuncOp>(module.getBody()->back()));
  }
  // exp, erf, tanh, log, log1p -> polynomials in + - * / and math.fma.
  RewritePatternSet patterns(context);
  populateMathPolynomialApproximationPatterns(patterns);
  FrozenRewritePatternSet frozen(std::move(patterns));
  for (func::FuncOp fn : added)
    (void)applyPatternsAndFoldGreedily(fn, frozen);
}

} // namespace tweedie
