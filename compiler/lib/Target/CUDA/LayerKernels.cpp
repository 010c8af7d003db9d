//===- LayerKernels.cpp - the ops' non-library parts as generated kernels ===//
//
// What each kernel computes, and its parameters, is module/DeviceKernels.h's
// LayerKernel; the float64 reference (compiler/lib/Reference) is the oracle
// LayerKernelTest compares them with, compiled for the host. This file holds
// the forward layers' and the sampler steps' kernels and adds any of them to
// a module; attention's, the training step's and the integrator's are in
// AttentionKernels.cpp, GradientKernels.cpp and IntegratorKernels.cpp.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Target/CUDA/LayerKernels.h"
#include "KernelBuilder.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace tweedie {

using namespace kernelgen;
using module::LayerKernel;
using Kind = LayerKernel::Kind;

namespace {

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
        // log u in float64 (NoiseMath's log, within 2 ulp of the CPU's
        // std::log): a decision differs only within 1e-16 of the boundary.
        Value logU = buildLogOfPositive(a.b, a.loc, a.widen(a.load(args.buffers[7], row)));
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
    case Kind::AttentionRowStats:
      buildAttentionRowStats(b, module.getLoc(), k);
      break;
    case Kind::AttentionProbs:
      buildAttentionProbs(b, module.getLoc(), k);
      break;
    case Kind::AttentionProbGrad:
      buildAttentionProbGrad(b, module.getLoc(), k);
      break;
    case Kind::AttentionRowWeighted:
      buildAttentionRowWeighted(b, module.getLoc(), k);
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
