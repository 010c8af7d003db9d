//===- Passes.td - fused steps to linalg, linalg kernels to GPU -*- tablegen -*-===//
#ifndef TWEEDIE_CONVERSION_PASSES_TD
#define TWEEDIE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweedieOutlineKernels : Pass<"tweedie-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline fused elementwise step arithmetic into linalg kernels";
  let description = [{
    Each `sampler.affine_step` names (`sampler.kernel`) a generated kernel:
    a `func.func` over flat `memref<?xf32>` buffers whose body is one
    `linalg.generic` computing out = a x + b y (+ c z), with the step's
    coefficients as scalar arguments. One kernel per variant (with / without
    z) serves every step. The kernels carry `llvm.emit_c_interface`, the ABI
    the runtime calls them through, and lower through loops to the LLVM
    dialect and on to machine code.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def TweedieKernelsToGPU : Pass<"tweedie-kernels-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Write each generated elementwise kernel as a GPU kernel";
  let description = [{
    For every generated kernel (a `func.func` marked `sampler.generated_kernel`
    whose body is one elementwise `linalg.generic` over flat `memref<?xf32>`
    buffers), adds to `gpu.module @tweedie_cuda` a `gpu.func` of the same name
    taking global pointers (`!llvm.ptr<1>`) for the buffers, the element count
    `n : i64` and the scalar arguments: thread `blockIdx.x * blockDim.x +
    threadIdx.x` computes element i < n with the generic's own body (no other
    reassociation, no contraction into FMA the CPU kernel did not make;
    `linalg.index 0` is i). The body may also read argument buffers at
    computed indices (`memref.load`, inside loops too) and yield several
    outputs; math ops become the NVVM instructions that compute them exactly
    (`sqrt.rn`, `fma.rn`, `cvt.rmi`, the sign bit's integer ops), and one without such an
    instruction is an error (kernels approximate exp and its kin first). The
    CPU functions stay; the GPU module lowers through NVVM to PTX.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def TweedieGPUKernelsToHost : Pass<"tweedie-gpu-kernels-to-host", "::mlir::ModuleOp"> {
  let summary = "Run the GPU kernels' exact form on the host, for tests";
  let description = [{
    For every kernel of `gpu.module @tweedie_cuda` (as --tweedie-kernels-to-gpu
    writes them), adds a host function `tweedie_host_<name>(params: !llvm.ptr,
    begin: index, end: index)` that runs threads [begin, end) of the kernel
    with the driver's launch convention: `params` is cuLaunchKernel's array
    of pointers to each parameter. Thread ids become the loop index, the
    NVVM intrinsics their LLVM equivalents (sqrt.rn is llvm.sqrt, both
    correctly rounded). The GPU module is removed. With this, an emulated
    driver runs the very kernels, parameter packing included, that the GPU
    would: the CUDA backend is tested on machines without one.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // TWEEDIE_CONVERSION_PASSES_TD
