//===- Ptx.cpp - generated kernels -> gpu.module -> NVVM -> PTX -----------===//
#include "tweedie/Target/CUDA/Ptx.h"
#include "tweedie/Conversion/Passes.h"
#include "tweedie/Target/CUDA/LayerKernels.h"
#include "tweedie/Target/CUDA/NoiseKernels.h"
#include "tweedie/Target/CPU/Kernels.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

using namespace mlir;

namespace tweedie {

OwningOpRef<ModuleOp> deviceKernelModule(ModuleOp module,
                                         llvm::ArrayRef<module::LayerKernel> layerKernels) {
  MLIRContext *context = module.getContext();
  DialectRegistry registry;
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect, LLVM::LLVMDialect>();
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();

  // Only the kernels travel: a module of their clones, the noise draws every
  // CUDA module carries and the layer kernels of this module's ops.
  OpBuilder b(context);
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
  b.setInsertionPointToEnd(kernels->getBody());
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kKernelMarkerAttr))
      b.clone(*fn);
  addNoiseKernels(*kernels);
  addLayerKernels(*kernels, layerKernels);
  return kernels;
}

bool emitKernelPtx(ModuleOp module, llvm::ArrayRef<module::LayerKernel> layerKernels,
                   std::vector<module::CudaKernelsDesc> &ptx, std::string &error) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> kernels = deviceKernelModule(module, layerKernels);

  std::string diagnostics;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  PassManager pm(context, ModuleOp::getOperationName());
  pm.addPass(createTweedieKernelsToGPU());
  for (const char *chip : kCudaArchitectures) { // each attaches one more target
    GpuNVVMAttachTargetOptions target;
    target.chip = chip;
    target.optLevel = 3;
    pm.addPass(createGpuNVVMAttachTarget(target));
  }
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertSCFToCFPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX text, not a cubin: no CUDA toolkit needed
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (failed(pm.run(*kernels))) {
    error = diagnostics.empty() ? "the NVPTX lowering failed" : diagnostics;
    return false;
  }
  ptx.clear();
  for (auto binaryOp : kernels->getOps<gpu::BinaryOp>())
    for (Attribute attr : binaryOp.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      std::string text = object.getObject().getValue().str();
      // The assembly ends in the NUL the driver's loader wants; text does not.
      while (!text.empty() && text.back() == '\0')
        text.pop_back();
      ptx.push_back({cast<NVVM::NVVMTargetAttr>(object.getTarget()).getChip().str(),
                     std::move(text)});
    }
  return true;
}

} // namespace tweedie
