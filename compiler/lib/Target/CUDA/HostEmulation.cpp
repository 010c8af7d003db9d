//===- HostEmulation.cpp - the CUDA kernels' GPU form, run on the host ----===//
#include "tweedie/Target/CUDA/HostEmulation.h"
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CUDA/Ptx.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace tweedie {

bool emitHostEmulatedKernels(ModuleOp module, ArrayRef<module::LayerKernel> layerKernels,
                             StringRef cpu, std::vector<std::byte> &sharedObject,
                             std::string &error) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> kernels = deviceKernelModule(module, layerKernels);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  auto failed = [&](const char *what) {
    error = diagnostics.empty() ? what : diagnostics;
    return false;
  };
  PassManager toGpu(context, ModuleOp::getOperationName());
  toGpu.addPass(createTweedieKernelsToGPU());
  if (mlir::failed(toGpu.run(*kernels)))
    return failed("the GPU form of the kernels failed");
  // Only the GPU form runs here: the CPU form's functions go.
  for (auto fn : llvm::make_early_inc_range(kernels->getOps<func::FuncOp>()))
    fn.erase();
  PassManager toHost(context, ModuleOp::getOperationName());
  toHost.addPass(createTweedieGPUKernelsToHost());
  toHost.addPass(createConvertSCFToCFPass());
  toHost.addPass(createArithToLLVMConversionPass());
  toHost.addPass(createConvertControlFlowToLLVMPass());
  toHost.addPass(createConvertFuncToLLVMPass());
  toHost.addPass(createReconcileUnrealizedCastsPass());
  if (mlir::failed(toHost.run(*kernels)))
    return failed("the host form of the GPU kernels failed");
  return emitKernelLibrary(*kernels, cpu, sharedObject, error);
}

} // namespace tweedie
