//===- AttentionKernels.cpp - multi-head attention and its gradient -------===//
//
// Attention on CUDA as generated kernels over [B, heads, len, sources]
// planes in the scratch: the max-subtracted softmax's row statistics, the
// probabilities, then contractions (out = p v forward; dq = ds k, dk = ds^T q,
// dv = p^T g for the gradient, with dp = g v^T and ds between). Every
// element costs O(features) or O(sources); module/DeviceKernels.h says what
// each computes.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

#include <array>
#include <cmath>

namespace tweedie::kernelgen {

using module::LayerKernel;

namespace {

/// The digits (b, h, l, s) of a [batch, heads, len, sources] index.
std::array<Value, 4> probabilityDigits(Arith &a, Value i, Value heads, Value len,
                                       Value sources) {
  Value s = a.rem(i, sources), rest = a.div(i, sources);
  Value l = a.rem(rest, len), bh = a.div(rest, len);
  return {a.div(bh, heads), a.rem(bh, heads), l, s};
}

/// Where head `head` of row r of sample `batch` starts in a [B, rows, width]
/// tensor whose heads are `perHead` wide.
Value headStart(Arith &a, Value batch, Value rows, Value r, Value width, Value head,
                Value perHead) {
  return a.add(a.mul(a.add(a.mul(batch, rows), r), width), a.mul(head, perHead));
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

} // namespace

void buildAttentionRowStats(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 2, 4, {i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value qWidth = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value scale = args.scalars[4];
        Value q = args.buffers[2], key = args.buffers[3];
        // the row (b, h, l): the digits of a plane index with s = 0
        auto [batch, head, l, s] =
            probabilityDigits(a, a.mul(args.index, sources), heads, len, sources);
        (void)s;
        Value dh = a.div(qWidth, heads);
        Value qBase = headStart(a, batch, len, l, qWidth, head, dh);
        auto score = [&](Arith &o, Value t) {
          Value kBase = headStart(o, batch, sources, t, qWidth, head, dh);
          return attentionScore(o, q, key, qBase, kBase, dh, scale);
        };
        Value peak = peakScore(a, sources, score);
        auto denominator = a.b.create<scf::ForOp>(
            a.loc, a.index(0), sources, a.index(1), ValueRange{a.f32(0.0f)},
            [&](OpBuilder &lb, Location ll, Value t, ValueRange acc) {
              Arith o{lb, ll};
              lb.create<scf::YieldOp>(ll, o.add(acc[0], o.exp(o.sub(score(o, t), peak))));
            });
        return {peak, denominator.getResult(0)};
      });
}

void buildAttentionProbs(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type();
  buildKernel(
      b, loc, k.name(), 1, 5, {i64, i64, i64, i64, b.getF32Type()},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value qWidth = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value q = args.buffers[1], key = args.buffers[2];
        auto [batch, head, l, s] = probabilityDigits(a, args.index, heads, len, sources);
        Value dh = a.div(qWidth, heads);
        Value qBase = headStart(a, batch, len, l, qWidth, head, dh);
        Value kBase = headStart(a, batch, sources, s, qWidth, head, dh);
        Value row = a.div(args.index, sources);
        Value score = attentionScore(a, q, key, qBase, kBase, dh, args.scalars[4]);
        return {a.div(a.exp(a.sub(score, a.load(args.buffers[3], row))),
                      a.load(args.buffers[4], row))};
      });
}

void buildAttentionProbGrad(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  buildKernel(
      b, loc, k.name(), 1, {b.getF64Type(), f32, f32}, {i64, i64, i64, i64},
      [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
        Value len = a.asIndex(args.scalars[0]), sources = a.asIndex(args.scalars[1]);
        Value vWidth = a.asIndex(args.scalars[2]), heads = a.asIndex(args.scalars[3]);
        Value g = args.buffers[1], v = args.buffers[2];
        auto [batch, head, l, s] = probabilityDigits(a, args.index, heads, len, sources);
        Value eh = a.div(vWidth, heads);
        Value gBase = headStart(a, batch, len, l, vWidth, head, eh);
        Value vBase = headStart(a, batch, sources, s, vWidth, head, eh);
        return {loopSum(a, eh, [&](Arith &d, Value j) {
          return d.mul(d.widen(d.load(g, d.add(gBase, j))), d.widen(d.load(v, d.add(vBase, j))));
        })};
      });
}

void buildAttentionRowWeighted(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f64 = b.getF64Type();
  buildKernel(b, loc, k.name(), 1, {f64, b.getF32Type(), f64}, {b.getI64Type()},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value sources = a.asIndex(args.scalars[0]);
                Value first = a.mul(args.index, sources);
                return {loopSum(a, sources, [&](Arith &o, Value t) {
                  Value at = o.add(first, t);
                  return o.mul(o.widen(o.load(args.buffers[1], at)), o.load(args.buffers[2], at));
                })};
              });
}

void buildAttentionScoreGrad(OpBuilder &b, Location loc, const LayerKernel &k) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  buildKernel(b, loc, k.name(), 1, {f32, f32, f64, f64}, {b.getI64Type(), f32},
              [&](Arith &a, const KernelArgs &args) -> SmallVector<Value> {
                Value i = args.index, sources = a.asIndex(args.scalars[0]);
                Value p = a.widen(a.load(args.buffers[1], i));
                Value dp = a.load(args.buffers[2], i);
                Value weighted = a.load(args.buffers[3], a.div(i, sources));
                return {a.narrow(a.mul(a.mul(p, a.sub(dp, weighted)), a.widen(args.scalars[1])))};
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

} // namespace tweedie::kernelgen
