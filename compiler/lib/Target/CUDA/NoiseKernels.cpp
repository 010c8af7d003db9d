//===- NoiseKernels.cpp - Noise.h's draws as generated kernels -----------===//
//
// The GPU's noise is the CPU's bit for bit because both evaluate the same
// IEEE operations in the same order: this file mirrors Philox.h, Noise.h and
// NoiseMath.h operation by operation (same constants, same coefficient
// tables, same association), using only integer ops, + - * / and sqrt, which
// are correctly rounded on x86-64 and in PTX (add.rn, mul.rn, div.rn, sqrt.rn;
// --tweedie-kernels-to-gpu writes math.sqrt as sqrt.rn). A change to either
// side must be made to both; NoiseKernelTest compiles
// these functions for the host and compares them with Noise.h bit for bit.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Target/CUDA/NoiseKernels.h"
#include "tweedie/NoiseMath.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/module/DeviceKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <array>

using namespace mlir;

namespace tweedie {

namespace {

/// Builds scalar arithmetic at one insertion point.
struct Arith {
  OpBuilder &b;
  Location loc;

  Value i32(uint32_t v) { return b.create<arith::ConstantIntOp>(loc, v, 32); }
  Value i64(int64_t v) { return b.create<arith::ConstantIntOp>(loc, v, 64); }
  Value f64(double v) { return b.create<arith::ConstantFloatOp>(loc, llvm::APFloat(v),
                                                                 b.getF64Type()); }
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value neg(Value x) { return b.create<arith::NegFOp>(loc, x); }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  Value lowBit(Value x) { // x & 1 as i1
    return b.create<arith::TruncIOp>(loc, b.getI1Type(), x);
  }

  /// Philox4x32-10 (Philox.h's philox4x32).
  std::array<Value, 4> philox(std::array<Value, 4> counter, std::array<Value, 2> key) {
    Value mul0 = i32(0xD2511F53u), mul1 = i32(0xCD9E8D57u);
    Value weyl0 = i32(0x9E3779B9u), weyl1 = i32(0xBB67AE85u);
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        key[0] = b.create<arith::AddIOp>(loc, key[0], weyl0);
        key[1] = b.create<arith::AddIOp>(loc, key[1], weyl1);
      }
      auto p0 = b.create<arith::MulUIExtendedOp>(loc, mul0, counter[0]);
      auto p1 = b.create<arith::MulUIExtendedOp>(loc, mul1, counter[2]);
      Value c1 = counter[1], c3 = counter[3];
      counter = {b.create<arith::XOrIOp>(loc, b.create<arith::XOrIOp>(loc, p1.getHigh(), c1),
                                         key[0]),
                 p1.getLow(),
                 b.create<arith::XOrIOp>(loc, b.create<arith::XOrIOp>(loc, p0.getHigh(), c3),
                                         key[1]),
                 p0.getLow()};
    }
    return counter;
  }

  /// Philox.h's uniformOpen01: (bits + 1/2) 2^-32.
  Value uniformOpen01(Value bits) {
    Value u = b.create<arith::UIToFPOp>(loc, b.getF64Type(), bits);
    return mul(add(u, f64(0.5)), f64(1.0 / 4294967296.0));
  }

  template <size_t N> Value series(const std::array<double, N> &c, Value z) {
    Value p = f64(c[N - 1]);
    for (size_t k = N - 1; k-- > 0;)
      p = add(mul(p, z), f64(c[k]));
    return p;
  }

  /// NoiseMath.h's logOfPositive.
  Value logOfPositive(Value x) {
    namespace nm = noisemath;
    Value bits = b.create<arith::BitcastOp>(loc, b.getI64Type(), x);
    Value exponent =
        b.create<arith::SubIOp>(loc, b.create<arith::ShRUIOp>(loc, bits, i64(52)), i64(1023));
    Value mantissa = b.create<arith::OrIOp>(
        loc, b.create<arith::AndIOp>(loc, bits, i64(0x000FFFFFFFFFFFFFll)),
        i64(0x3FF0000000000000ll));
    Value m = b.create<arith::BitcastOp>(loc, b.getF64Type(), mantissa);
    Value big = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, m, f64(nm::kSqrt2));
    m = select(big, mul(m, f64(0.5)), m);
    exponent = select(big, b.create<arith::AddIOp>(loc, exponent, i64(1)), exponent);
    Value one = f64(1.0);
    Value s = div(sub(m, one), add(m, one));
    Value twoS = add(s, s);
    Value z = mul(s, s);
    Value logM = add(twoS, mul(twoS, mul(z, series(nm::kLogSeries, z))));
    Value e = b.create<arith::SIToFPOp>(loc, b.getF64Type(), exponent);
    return add(mul(e, f64(nm::kLn2Hi)), add(mul(e, f64(nm::kLn2Lo)), logM));
  }

  /// NoiseMath.h's cosSinTurns.
  std::array<Value, 2> cosSinTurns(Value t) {
    namespace nm = noisemath;
    Value quadrant =
        b.create<arith::FPToSIOp>(loc, b.getI64Type(), add(mul(f64(4.0), t), f64(0.5)));
    Value q = b.create<arith::SIToFPOp>(loc, b.getF64Type(), quadrant);
    Value x = mul(sub(t, mul(f64(0.25), q)), f64(nm::kTwoPi));
    Value z = mul(x, x);
    Value s = add(x, mul(x, mul(z, series(nm::kSinSeries, z))));
    Value c = add(f64(1.0), mul(z, series(nm::kCosSeries, z)));
    quadrant = b.create<arith::AndIOp>(loc, quadrant, i64(3));
    auto is = [&](int64_t k) {
      return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, quadrant, i64(k));
    };
    // 0: (c, s)  1: (-s, c)  2: (-c, -s)  3: (s, -c)
    Value cosine = select(is(0), c, select(is(1), neg(s), select(is(2), neg(c), s)));
    Value sine = select(is(0), s, select(is(1), c, select(is(2), neg(s), neg(c))));
    return {cosine, sine};
  }

  /// Noise.h's key: (seed & 0xffffffff, seed >> 32).
  std::array<Value, 2> key(Value seed) {
    Type i32Type = b.getI32Type();
    return {b.create<arith::TruncIOp>(loc, i32Type, seed),
            b.create<arith::TruncIOp>(loc, i32Type,
                                      b.create<arith::ShRUIOp>(loc, seed, i64(32)))};
  }

  /// Noise.h's noiseAt, as float64.
  Value noiseAt(Value seed, Value sample, Value step, Value draw, Value element) {
    Type i32Type = b.getI32Type();
    Value block = b.create<arith::TruncIOp>(loc, i32Type,
                                            b.create<arith::ShRUIOp>(loc, element, i64(2)));
    std::array<Value, 4> words = philox({block, sample, step, draw}, key(seed));
    Value pair = lowBit(b.create<arith::ShRUIOp>(loc, element, i64(1))); // (e % 4) / 2
    Value u1 = uniformOpen01(select(pair, words[2], words[0]));
    Value u2 = uniformOpen01(select(pair, words[3], words[1]));
    Value radius = b.create<math::SqrtOp>(loc, mul(f64(-2.0), logOfPositive(u1)));
    auto [c, s] = cosSinTurns(u2);
    return select(lowBit(element), mul(radius, s), mul(radius, c));
  }
};

enum class Draw { Normal, Sign, Uniform };

/// func @name(out: memref<?xf32> (float64: f64), seed: i64, firstSample: i64, step: i32,
/// draw: i32[, width: i64]): one elementwise generic over out, its element
/// index the stream position.
void buildDrawKernel(OpBuilder &b, Location loc, StringRef name, Draw draw, bool float64) {
  MLIRContext *ctx = b.getContext();
  Type element = float64 ? b.getF64Type() : b.getF32Type();
  auto buffer = MemRefType::get({ShapedType::kDynamic}, element);
  SmallVector<Type> args = {buffer, b.getI64Type(), b.getI64Type(), b.getI32Type(),
                            b.getI32Type()};
  if (draw != Draw::Uniform)
    args.push_back(b.getI64Type());
  auto fn = b.create<func::FuncOp>(loc, name, FunctionType::get(ctx, args, {}));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  fn->setAttr(kKernelMarkerAttr, UnitAttr::get(ctx));
  Block *entry = fn.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  Value out = entry->getArgument(0), seed = entry->getArgument(1);
  Value firstSample = entry->getArgument(2), step = entry->getArgument(3);
  Value drawIndex = entry->getArgument(4);
  body.create<linalg::GenericOp>(
      loc, TypeRange{}, ValueRange{}, ValueRange{out},
      SmallVector<AffineMap>{body.getMultiDimIdentityMap(1)},
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nl, ValueRange) {
        Arith a{nb, nl};
        Value i = nb.create<arith::IndexCastOp>(nl, nb.getI64Type(),
                                                nb.create<linalg::IndexOp>(nl, 0));
        Value row = i, element;
        if (draw != Draw::Uniform) {
          Value width = entry->getArgument(5);
          row = nb.create<arith::DivSIOp>(nl, i, width);
          element = nb.create<arith::RemSIOp>(nl, i, width);
        }
        Value sample = nb.create<arith::TruncIOp>(
            nl, nb.getI32Type(), nb.create<arith::AddIOp>(nl, firstSample, row));
        Value value;
        if (draw == Draw::Uniform) {
          value = a.uniformOpen01(a.philox({a.i32(0), sample, step, drawIndex}, a.key(seed))[0]);
        } else {
          value = a.noiseAt(seed, sample, step, drawIndex, element);
          if (draw == Draw::Sign)
            value = a.select(
                nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::OLT, value, a.f64(0.0)),
                a.f64(-1.0), a.f64(1.0));
        }
        if (!float64)
          value = nb.create<arith::TruncFOp>(nl, nb.getF32Type(), value);
        nb.create<linalg::YieldOp>(nl, value);
      });
  body.create<func::ReturnOp>(loc);
}

} // namespace

std::array<Value, 2> buildCosSinTurns(OpBuilder &b, Location loc, Value t) {
  return Arith{b, loc}.cosSinTurns(t);
}

Value buildLogOfPositive(OpBuilder &b, Location loc, Value x) {
  return Arith{b, loc}.logOfPositive(x);
}

void addNoiseKernels(ModuleOp module, bool float64) {
  MLIRContext *context = module.getContext();
  context->loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                       math::MathDialect>();
  OpBuilder b(context);
  b.setInsertionPointToEnd(module.getBody());
  const std::array<std::pair<const char *, Draw>, 3> kernels = {
      std::pair{module::kNoiseKernel, Draw::Normal},
      std::pair{module::kSignsKernel, Draw::Sign},
      std::pair{module::kUniformKernel, Draw::Uniform}};
  for (auto [name, draw] : kernels)
    if (!module.lookupSymbol(name))
      buildDrawKernel(b, module.getLoc(), name, draw, float64);
}

} // namespace tweedie
