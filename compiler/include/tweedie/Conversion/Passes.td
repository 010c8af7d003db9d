//===- Passes.td - conversions between levels: fused steps to linalg kernels -*- tablegen -*-===//
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

#endif // TWEEDIE_CONVERSION_PASSES_TD
