//===- KernelsToGPU.cpp - generated kernels -> gpu.func, one thread each --===//
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Target/CPU/Kernels.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEKERNELSTOGPU
#include "tweedie/Conversion/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

constexpr llvm::StringLiteral kGpuModuleName = "tweedie_cuda";

/// The one elementwise generic a kernel's body holds, checked: 1-D, every map
/// the identity, every iterator parallel, f32 buffers.
FailureOr<linalg::GenericOp> elementwiseBody(func::FuncOp fn) {
  linalg::GenericOp generic;
  for (Operation &op : fn.getBody().front()) {
    if (auto g = dyn_cast<linalg::GenericOp>(op)) {
      if (generic)
        return fn.emitError("a generated kernel with two linalg.generic ops");
      generic = g;
    } else if (!isa<func::ReturnOp>(op)) {
      return fn.emitError("a generated kernel holds '")
             << op.getName() << "' besides its generic";
    }
  }
  if (!generic || generic.getNumDpsInits() != 1 || generic.getNumLoops() != 1 ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return fn.emitError("only 1-D elementwise kernels map onto GPU threads");
  for (Value buffer : generic->getOperands()) {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type || type.getRank() != 1 || !type.getElementType().isF32() ||
        !isa<BlockArgument>(buffer))
      return fn.emitError("a kernel buffer must be a memref<?xf32> argument");
  }
  return generic;
}

/// sqrt.rn: the correctly rounded square root the CPU computes. The NVVM
/// lowering would call libdevice's __nv_sqrt for math.sqrt, which a PTX
/// module cannot resolve without linking libdevice.
Value roundedSqrt(OpBuilder &b, math::SqrtOp op, Value operand) {
  const bool f64 = operand.getType().isF64();
  return b
      .create<LLVM::CallIntrinsicOp>(op.getLoc(), operand.getType(),
                                     f64 ? "llvm.nvvm.sqrt.rn.d" : "llvm.nvvm.sqrt.rn.f",
                                     ValueRange{operand})
      .getResult(0);
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
  auto address = [&](Value buffer) {
    return then.create<LLVM::GEPOp>(loc, global, then.getF32Type(), argOf(buffer),
                                    ValueRange{i});
  };
  IRMapping map;
  Block &region = generic->getRegion().front();
  for (auto [operand, arg] : llvm::zip(generic->getOperands(), region.getArguments()))
    if (!arg.use_empty())
      map.map(arg, then.create<LLVM::LoadOp>(loc, then.getF32Type(), address(operand)));
  for (BlockArgument arg : fn.getArguments())
    if (!isa<MemRefType>(arg.getType()))
      map.map(arg, argOf(arg));
  for (Operation &op : region.without_terminator()) {
    if (auto position = dyn_cast<linalg::IndexOp>(op)) // the element's index
      map.map(position.getResult(), index);
    else if (auto sqrt = dyn_cast<math::SqrtOp>(op))
      map.map(sqrt.getResult(), roundedSqrt(then, sqrt, map.lookup(sqrt.getOperand())));
    else
      then.clone(op, map);
  }
  auto yield = cast<linalg::YieldOp>(region.getTerminator());
  then.create<LLVM::StoreOp>(loc, map.lookup(yield.getOperand(0)),
                             address(generic->getDpsInitOperand(0)->get()));
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
