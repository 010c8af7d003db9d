//===- KernelBuilder.cpp - the layer kernels' shared skeleton -------------===//
#include "KernelBuilder.h"
#include "tweedie/Target/CPU/Kernels.h"

#include <cmath>

namespace tweedie::kernelgen {

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

} // namespace tweedie::kernelgen
