//===- KernelsToGPU.cpp - generated kernels -> gpu.func, one thread each --===//
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Target/CPU/Kernels.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEKERNELSTOGPU
#include "tweedie/Conversion/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

constexpr llvm::StringLiteral kGpuModuleName = "tweedie_cuda";

/// The one elementwise generic a kernel's body holds, checked: 1-D, every map
/// the identity, every iterator parallel, f32 (or f64: a table) buffers that
/// are the kernel's arguments. Its body may read further argument buffers anywhere
/// (memref.load), in loops of its own.
FailureOr<linalg::GenericOp> elementwiseBody(func::FuncOp fn) {
  linalg::GenericOp generic;
  for (Operation &op : fn.getBody().front()) {
    if (auto g = dyn_cast<linalg::GenericOp>(op)) {
      if (generic)
        return fn.emitError("a generated kernel with two linalg.generic ops");
      generic = g;
    } else if (!isa<func::ReturnOp, arith::ConstantOp>(op)) {
      // (constants: the folder hoists a body's constants to the function)
      return fn.emitError("a generated kernel holds '")
             << op.getName() << "' besides its generic";
    }
  }
  if (!generic || generic.getNumDpsInits() < 1 || generic.getNumLoops() != 1 ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return fn.emitError("only 1-D elementwise kernels map onto GPU threads");
  for (BlockArgument arg : fn.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (type && (type.getRank() != 1 ||
                 !(type.getElementType().isF32() || type.getElementType().isF64())))
      return fn.emitError("a kernel buffer must be a memref<?xf32> or memref<?xf64> argument");
  }
  for (Value buffer : generic->getOperands())
    if (!isa<BlockArgument>(buffer))
      return fn.emitError("a kernel buffer must be a memref<?xf32> or memref<?xf64> argument");
  return generic;
}

/// The NVVM intrinsic `name` (.f or .d by the operand's type) of x. Square
/// roots are sqrt.rn, the correctly rounded root the CPU computes; floor and
/// ceil are cvt.rmi/rpi. The NVVM lowering would call libdevice for these
/// (__nv_sqrtf, __nv_floorf), which a PTX module cannot resolve without
/// linking libdevice.
Value nvvmIntrinsic(OpBuilder &b, Location loc, StringRef name, Value x) {
  const bool f64 = x.getType().isF64();
  return b
      .create<LLVM::CallIntrinsicOp>(loc, x.getType(),
                                     ("llvm.nvvm." + name + (f64 ? ".d" : ".f")).str(),
                                     ValueRange{x})
      .getResult(0);
}

/// |x| and copysign(x, y) as the sign bit's integer operations: exact, and
/// lowered alike everywhere (the NVVM lowering would call libdevice).
Value withSignOf(OpBuilder &b, Location loc, Value x, Value sign) {
  const unsigned width = x.getType().getIntOrFloatBitWidth();
  Type bits = b.getIntegerType(width);
  auto mask = [&](bool signBit) {
    llvm::APInt m = llvm::APInt::getSignMask(width);
    return b.create<arith::ConstantIntOp>(loc, (signBit ? m : ~m).getZExtValue(), width);
  };
  Value magnitude = b.create<arith::AndIOp>(loc, b.create<arith::BitcastOp>(loc, bits, x),
                                            mask(false));
  if (sign)
    magnitude = b.create<arith::OrIOp>(
        loc, magnitude,
        b.create<arith::AndIOp>(loc, b.create<arith::BitcastOp>(loc, bits, sign), mask(true)));
  return b.create<arith::BitcastOp>(loc, x.getType(), magnitude);
}

/// A math op as what NVPTX makes one exact instruction of (sqrt.rn, fma.rn,
/// cvt.rmi/rpi, integer and/or), or null when there is none. Kernels
/// approximate the transcendental functions before (LayerKernels.cpp).
Value exactIntrinsic(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  ValueRange in = op->getOperands();
  Type type = op->getResult(0).getType();
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](math::SqrtOp) { return nvvmIntrinsic(b, loc, "sqrt.rn", in[0]); })
      .Case([&](math::FloorOp) { return nvvmIntrinsic(b, loc, "floor", in[0]); })
      .Case([&](math::CeilOp) { return nvvmIntrinsic(b, loc, "ceil", in[0]); })
      .Case([&](math::FmaOp) { return b.create<LLVM::FMAOp>(loc, type, in); })
      .Case([&](math::AbsFOp) { return withSignOf(b, loc, in[0], Value()); })
      .Case([&](math::CopySignOp) { return withSignOf(b, loc, in[0], in[1]); })
      .Default([](Operation *) { return Value(); });
}

/// gpu.func @name(buffers as !llvm.ptr<1>..., n: i64, scalars...): element
/// i = blockIdx.x * blockDim.x + threadIdx.x, if i < n.
LogicalResult addGpuKernel(OpBuilder &b, func::FuncOp fn) {
  FailureOr<linalg::GenericOp> generic = elementwiseBody(fn);
  if (failed(generic))
    return failure();
  Location loc = fn.getLoc();
  MLIRContext *ctx = b.getContext();
  auto global = LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/1);
  SmallVector<Type> types;
  SmallVector<int64_t> slot(fn.getNumArguments(), -1); // fn arg -> gpu.func arg
  for (BlockArgument arg : fn.getArguments())
    if (isa<MemRefType>(arg.getType())) {
      slot[arg.getArgNumber()] = static_cast<int64_t>(types.size());
      types.push_back(global);
    }
  const unsigned count = types.size();
  types.push_back(b.getI64Type());
  for (BlockArgument arg : fn.getArguments())
    if (!isa<MemRefType>(arg.getType())) {
      if (!arg.getType().isIntOrFloat())
        return fn.emitError("a kernel's scalar arguments must be numbers");
      slot[arg.getArgNumber()] = static_cast<int64_t>(types.size());
      types.push_back(arg.getType());
    }
  auto kernel = b.create<gpu::GPUFuncOp>(loc, fn.getSymName(), b.getFunctionType(types, {}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  Block &entry = kernel.getBody().front();
  OpBuilder body = OpBuilder::atBlockBegin(&entry);
  auto argOf = [&](Value v) {
    return entry.getArgument(slot[cast<BlockArgument>(v).getArgNumber()]);
  };
  Value block = body.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  Value size = body.create<gpu::BlockDimOp>(loc, gpu::Dimension::x);
  Value thread = body.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value index = body.create<arith::AddIOp>(
      loc, body.create<arith::MulIOp>(loc, block, size), thread);
  Value i = body.create<arith::IndexCastOp>(loc, body.getI64Type(), index);
  Value inside = body.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i,
                                            entry.getArgument(count));
  auto guard = body.create<scf::IfOp>(loc, inside, /*withElseRegion=*/false);
  OpBuilder then = guard.getThenBodyBuilder();
  auto elementOf = [](Value buffer) {
    return cast<MemRefType>(buffer.getType()).getElementType();
  };
  auto address = [&](OpBuilder &at, Value buffer, Value element) {
    if (isa<IndexType>(element.getType()))
      element = at.create<arith::IndexCastOp>(loc, at.getI64Type(), element);
    return at.create<LLVM::GEPOp>(loc, global, elementOf(buffer), argOf(buffer),
                                  ValueRange{element});
  };
  IRMapping map;
  for (auto constant : fn.getBody().front().getOps<arith::ConstantOp>())
    then.clone(*constant.getOperation(), map);
  Block &region = generic->getRegion().front();
  for (auto [operand, arg] : llvm::zip(generic->getOperands(), region.getArguments()))
    if (!arg.use_empty())
      map.map(arg, then.create<LLVM::LoadOp>(loc, elementOf(operand), address(then, operand, i)));
  for (BlockArgument arg : fn.getArguments())
    if (!isa<MemRefType>(arg.getType()))
      map.map(arg, argOf(arg));
  for (Operation &op : region.without_terminator())
    then.clone(op, map);
  auto yield = cast<linalg::YieldOp>(region.getTerminator());
  for (auto [value, init] : llvm::zip(yield.getOperands(), generic->getDpsInits()))
    then.create<LLVM::StoreOp>(loc, map.lookup(value), address(then, init, i));
  // The clones, loops' bodies included, in GPU terms: the element's index,
  // loads through the buffers' pointers, exact intrinsics for math.
  SmallVector<Operation *> rewrite;
  guard.getThenRegion().walk([&](Operation *op) {
    if (isa<linalg::IndexOp, memref::LoadOp>(op) || isa<math::MathDialect>(op->getDialect()))
      rewrite.push_back(op);
  });
  for (Operation *op : rewrite) {
    OpBuilder at(op);
    Value replacement;
    if (isa<linalg::IndexOp>(op)) {
      replacement = index;
    } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
      auto memref = dyn_cast<BlockArgument>(load.getMemRef());
      if (!memref || memref.getOwner() != &fn.getBody().front() || load.getIndices().size() != 1)
        return fn.emitError("a kernel loads from a buffer that is not its argument");
      replacement = at.create<LLVM::LoadOp>(loc, elementOf(memref),
                                            address(at, memref, load.getIndices()[0]));
    } else if (!(replacement = exactIntrinsic(at, op))) {
      return fn.emitError("'") << op->getName()
                               << "' has no exact GPU instruction; approximate it first";
    }
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }
  body.create<gpu::ReturnOp>(loc);
  return success();
}

struct KernelsToGPUPass : tweedie::impl::TweedieKernelsToGPUBase<KernelsToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(kKernelMarkerAttr))
        kernels.push_back(fn);
    if (kernels.empty())
      return;
    OpBuilder b(module.getContext());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
    auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(kGpuModuleName);
    if (!gpuModule) {
      b.setInsertionPointToEnd(module.getBody());
      gpuModule = b.create<gpu::GPUModuleOp>(module.getLoc(), kGpuModuleName);
    }
    Block *body = gpuModule.getBody();
    if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
      b.setInsertionPoint(&body->back()); // before gpu.module_end
    else
      b.setInsertionPointToEnd(body);
    for (func::FuncOp fn : kernels)
      if (failed(addGpuKernel(b, fn)))
        return signalPassFailure();
  }
};

} // namespace
