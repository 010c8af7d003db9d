//===- IntegratorKernels.cpp - adaptive RK45's per-sample control ---------===//
//
// cpu/DormandPrince.cpp's arithmetic as kernels for cuda/Integrator.h: the
// stage sums per element, the error norm, acceptance and step size per
// sample, all float64 (module/DeviceKernels.h's RK45* kernels).
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"
#include "tweedie/DormandPrinceTableau.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"

#include <array>
#include <cmath>

namespace tweedie::kernelgen {

using module::LayerKernel;
namespace dp = dormandprince;

namespace {

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
Value negation(Arith &a, Value c) {
  return a.b.create<arith::XOrIOp>(a.loc, c, a.b.create<arith::ConstantIntOp>(a.loc, 1, 1));
}

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

} // namespace

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
              for (int j = 0; j < dp::kStages; ++j)
                sum = l.add(sum, l.mul(l.f64(dp::kE[j]),
                                       l.load(stages, l.add(l.mul(l.index(j), count), e))));
              return l.mul(h, sum);
            },
            [&](Arith &l, Value e) {
              return maxF(l, absF(l, l.load(y, e)), absF(l, l.load(yNew, e)));
            });
        Value finite = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OLT, absF(a, error),
                                                 a.f64(INFINITY));
        Value factor = a.select(a.greater(error, a.f64(0.0)),
                                a.mul(a.f64(dp::kSafety), powF64(a, error, dp::kErrorExponent)),
                                a.f64(dp::kMaxFactor));
        Value accept = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OLT, error,
                                                 a.f64(1.0));
        Value grown =
            a.mul(h, minF(a, a.select(rejectedLast, a.f64(1.0), a.f64(dp::kMaxFactor)), factor));
        Value shrunk = a.mul(h, maxF(a, a.f64(dp::kMinFactor), factor));
        Value newH = a.select(accept, grown, shrunk);
        Value newT = a.select(accept, tNext, t);
        Value done = a.b.create<arith::AndIOp>(a.loc, accept, lastStep);
        Value newSteps = a.add(steps, a.f64(1.0));
        // The failures, in the CPU's order of checks.
        Value tooMany = a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OGE, newSteps,
                                                  maxSteps);
        Value limit =
            a.mul(a.f64(10 * 2.220446049250313e-16), maxF(a, absF(a, newT), absF(a, span)));
        Value underflow = a.greater(limit, absF(a, newH));
        Value notFinite = negation(a, finite);
        Value failure = a.select(notFinite, a.f64(3.0),
                                 a.select(done, a.f64(0.0),
                                          a.select(tooMany, a.f64(1.0),
                                                   a.select(underflow, a.f64(2.0), a.f64(0.0)))));
        Value stillActive = a.b.create<arith::AndIOp>(
            a.loc, negation(a, done),
            a.b.create<arith::CmpFOp>(a.loc, arith::CmpFPredicate::OEQ, failure, a.f64(0.0)));
        auto keep = [&](Value updated, Value old) { return a.select(active, updated, old); };
        Value acceptedNow = a.b.create<arith::AndIOp>(a.loc, active, accept);
        return {keep(newT, t),
                keep(newH, h),
                keep(flag(a, stillActive), a.f64(0.0)),
                keep(flag(a, negation(a, accept)), flag(a, rejectedLast)),
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

} // namespace tweedie::kernelgen
