//===- Passes.td - the float64 reference interpreter as a pass -*- tablegen -*-===//
#ifndef TWEEDIE_REFERENCE_PASSES_TD
#define TWEEDIE_REFERENCE_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweedieInterpret : Pass<"tweedie-interpret", "::mlir::ModuleOp"> {
  let summary = "Run a function through the float64 reference interpreter";
  let description = [{
    Evaluates `entry` with the reference interpreter (naive float64 loops: the
    definition of what each `score` op computes) and prints each result to
    stdout. Arguments get deterministic inputs: dynamic dims are bound to
    `batch`; rank-1 arguments (times) are uniform in (0, 1), others standard
    normal. Weights come from `weights` (a .safetensors file, any float dtype)
    or else are deterministic synthetic values. The IR is left unchanged.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "Function to run">,
    Option<"batch", "batch", "int64_t", /*default=*/"2",
           "Size given to the dynamic (batch) dims of the inputs">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the synthetic inputs and weights">,
    Option<"weights", "weights", "std::string", /*default=*/"\"\"",
           "A .safetensors file with the weights (default: synthetic ones)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // TWEEDIE_REFERENCE_PASSES_TD
