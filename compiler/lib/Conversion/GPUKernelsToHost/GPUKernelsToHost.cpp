//===- GPUKernelsToHost.cpp - gpu.func kernels as host functions, for tests ===//
//
// The host function of kernel K runs K's threads [begin, end) one after the
// other with K's own body: what the GPU would compute, parameters read as
// cuLaunchKernel passes them, so an emulated driver (tests/unit) runs the
// exact kernels and launch code of the CUDA backend without a GPU.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Target/CUDA/HostEmulation.h"

#include "mlir/IR/IRMapping.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEGPUKERNELSTOHOST
#include "tweedie/Conversion/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

/// The LLVM equivalent of an NVVM intrinsic --tweedie-kernels-to-gpu wrote,
/// or null. Both compute the correctly rounded result.
Value hostIntrinsic(OpBuilder &b, LLVM::CallIntrinsicOp call) {
  StringRef name = call.getIntrin();
  Location loc = call.getLoc();
  Type type = call.getResult(0).getType();
  ValueRange in = call.getArgs();
  if (name.starts_with("llvm.nvvm.sqrt.rn."))
    return b.create<LLVM::SqrtOp>(loc, type, in);
  if (name.starts_with("llvm.nvvm.floor."))
    return b.create<LLVM::FFloorOp>(loc, type, in);
  if (name.starts_with("llvm.nvvm.ceil."))
    return b.create<LLVM::FCeilOp>(loc, type, in);
  return Value();
}

/// func.func @tweedie_host_<name>(%params: !llvm.ptr, %begin: index,
/// %end: index): parameter k is *(T *)params[k]; thread i of [begin, end)
/// runs the kernel's body with blockIdx 0, blockDim 1 and threadIdx i.
LogicalResult addHostFunction(OpBuilder &b, gpu::GPUFuncOp kernel) {
  MLIRContext *ctx = b.getContext();
  Location loc = kernel.getLoc();
  auto pointer = LLVM::LLVMPointerType::get(ctx);
  Type index = b.getIndexType();
  auto fn = b.create<func::FuncOp>(
      loc, (kHostKernelPrefix + kernel.getName()).str(),
      FunctionType::get(ctx, {pointer, index, index}, {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  Value params = entry->getArgument(0);
  IRMapping map;
  for (BlockArgument arg : kernel.getArguments()) {
    Value slot = body.create<LLVM::GEPOp>(
        loc, pointer, pointer, params,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(arg.getArgNumber())});
    Value at = body.create<LLVM::LoadOp>(loc, pointer, slot);
    map.map(arg, body.create<LLVM::LoadOp>(loc, arg.getType(), at));
  }
  Value one = body.create<arith::ConstantIndexOp>(loc, 1);
  Value zero = body.create<arith::ConstantIndexOp>(loc, 0);
  auto loop = body.create<scf::ForOp>(loc, entry->getArgument(1), entry->getArgument(2), one);
  OpBuilder thread = OpBuilder::atBlockBegin(loop.getBody());
  Region &region = kernel.getBody();
  if (!region.hasOneBlock())
    return kernel.emitError("a kernel of more than one block (lower SCF after this pass)");
  for (Operation &op : region.front()) {
    if (isa<gpu::ReturnOp>(op))
      continue;
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      map.map(id.getResult(), loop.getInductionVar());
    else if (isa<gpu::BlockIdOp>(op))
      map.map(op.getResult(0), zero);
    else if (isa<gpu::BlockDimOp>(op))
      map.map(op.getResult(0), one);
    else
      thread.clone(op, map);
  }
  SmallVector<LLVM::CallIntrinsicOp> calls;
  loop.getBody()->walk([&](LLVM::CallIntrinsicOp call) { calls.push_back(call); });
  for (LLVM::CallIntrinsicOp call : calls) {
    OpBuilder at(call);
    Value replacement = hostIntrinsic(at, call);
    if (!replacement)
      return kernel.emitError("no host equivalent of ") << call.getIntrin();
    call.getResult(0).replaceAllUsesWith(replacement);
    call.erase();
  }
  WalkResult foreign = loop.getBody()->walk([&](Operation *op) {
    return isa<gpu::GPUDialect>(op->getDialect()) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
  });
  if (foreign.wasInterrupted())
    return kernel.emitError("a kernel uses a GPU op besides the thread and block ids");
  body.create<func::ReturnOp>(loc);
  return success();
}

struct GPUKernelsToHostPass
    : tweedie::impl::TweedieGPUKernelsToHostBase<GPUKernelsToHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    for (gpu::GPUModuleOp gpuModule : gpuModules) {
      for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>())
        if (kernel.isKernel() && failed(addHostFunction(b, kernel)))
          return signalPassFailure();
      gpuModule.erase();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
