//===- GradientKernels.cpp - the training step's kernels ------------------===//
//
// What the CUDA backend's whole-batch driver runs besides library calls:
// the noise levels' table, time embeddings, reductions and the gradients of
// group normalisation (module/DeviceKernels.h says what each computes;
// attention's, forward and gradient, are AttentionKernels.cpp's). Sums are
// float64 where the CPU's are.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"

#include <array>

namespace tweedie::kernelgen {

using module::LayerKernel;

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

} // namespace tweedie::kernelgen
