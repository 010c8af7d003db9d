//===- KernelCodegen.cpp - kernel functions -> LLVM -> a shared object ----===//
//
// The runtime never links LLVM, so generated kernels reach it as machine
// code: LLVM compiles them here (-O3, its loop vectoriser using AVX-512 when
// the target level has it) and the system compiler driver links the object
// into a shared object, whose bytes the module stores.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Target/CPU/Kernels.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace mlir;

namespace tweedie {

std::string resolveTargetCpu(llvm::StringRef requested) {
  if (requested != "native")
    return requested.str();
  llvm::StringMap<bool> f = llvm::sys::getHostCPUFeatures();
  auto has = [&](const char *name) { return f.lookup(name); };
  if (has("avx512f") && has("avx512bw") && has("avx512cd") && has("avx512dq") &&
      has("avx512vl"))
    return "x86-64-v4";
  if (has("avx2") && has("fma") && has("bmi2"))
    return "x86-64-v3";
  if (has("sse4.2") && has("popcnt"))
    return "x86-64-v2";
  return "x86-64";
}

OwningOpRef<ModuleOp> lowerKernelsToLLVM(ModuleOp module) {
  OpBuilder b(module.getContext());
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc(), "tweedie_kernels");
  b.setInsertionPointToEnd(kernels->getBody());
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kKernelMarkerAttr))
      b.clone(*fn);
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(*kernels)))
    return nullptr;
  return kernels;
}

namespace {

/// A scratch directory removed when this goes out of scope.
struct ScratchDir {
  llvm::SmallString<128> path;
  ~ScratchDir() {
    if (!path.empty())
      (void)llvm::sys::fs::remove_directories(path);
  }
};

} // namespace

bool emitKernelLibrary(ModuleOp llvmModule, llvm::StringRef cpu,
                       std::vector<std::byte> &sharedObject, std::string &error) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  llvmModule.getContext()->appendDialectRegistry(registry);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  const std::string triple = "x86_64-pc-linux-gnu";
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, "", llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    error = "LLVM cannot target CPU '" + cpu.str() + "'";
    return false;
  }

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> ir = translateModuleToLLVMIR(llvmModule, context);
  if (!ir) {
    error = "translation of the kernels to LLVM IR failed";
    return false;
  }
  ir->setTargetTriple(triple);
  ir->setDataLayout(machine->createDataLayout());
  // Every kernel function gets the target's CPU so the vectoriser sees its
  // vector width (the module default alone is not consulted per function).
  for (llvm::Function &fn : *ir)
    if (!fn.isDeclaration())
      fn.addFnAttr("target-cpu", cpu);
  if (llvm::Error e = makeOptimizingTransformer(3, 0, machine.get())(ir.get())) {
    error = "LLVM optimisation failed: " + llvm::toString(std::move(e));
    return false;
  }

  ScratchDir scratch;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("tweedie-kernels", scratch.path)) {
    error = "cannot create a scratch directory: " + ec.message();
    return false;
  }
  llvm::SmallString<128> object(scratch.path), library(scratch.path);
  llvm::sys::path::append(object, "kernels.o");
  llvm::sys::path::append(library, "kernels.so");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(object, ec);
    if (ec) {
      error = "cannot write " + object.str().str() + ": " + ec.message();
      return false;
    }
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      error = "LLVM cannot emit an object file for this target";
      return false;
    }
    codegen.run(*ir);
  }

  const char *driverName = std::getenv("CC");
  auto driver = llvm::sys::findProgramByName(driverName && *driverName ? driverName : "cc");
  if (!driver) {
    error = "no C compiler driver ('cc', or $CC) to link the kernel library; install "
            "gcc or clang, or compile with --kernels=builtin";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> args = {*driver, "-shared", "-nostdlib", "-Wl,-z,noexecstack",
                                             "-o", library, object};
  std::string message;
  if (llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, {}, 0, 0, &message) != 0) {
    error = "linking the kernel library with " + *driver + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  auto bytes = llvm::MemoryBuffer::getFile(library);
  if (!bytes) {
    error = "cannot read the linked kernel library: " + bytes.getError().message();
    return false;
  }
  auto data = (*bytes)->getBuffer();
  sharedObject.assign(reinterpret_cast<const std::byte *>(data.begin()),
                      reinterpret_cast<const std::byte *>(data.end()));
  return true;
}

} // namespace tweedie
