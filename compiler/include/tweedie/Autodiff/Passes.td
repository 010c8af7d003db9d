//===- Passes.td - reverse-mode autodiff over the VJP interface -*- tablegen -*-===//
#ifndef TWEEDIE_AUTODIFF_PASSES_TD
#define TWEEDIE_AUTODIFF_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweedieAutodiff : Pass<"tweedie-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode autodiff: a function's gradient as score ops";
  let description = [{
    For `function` (one block of score ops, calls inlined, one tensor result
    L) adds `@<function>_grad` returning L followed by the gradient of the
    sum of L's elements with respect to every `score.param` (in order of
    first use, by name; listed in the `score.gradient_params` attribute) and,
    with `wrt` entries argN, with respect to those arguments. Each op's rule
    is its VJPOpInterface. The result is ordinary IR: it prints, compiles and
    can be differentiated again (an energy network's -grad_x E trained by
    DSM). With a per-sample L ([B] energies) the argument gradients are the
    per-sample gradients, since samples do not interact.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"loss\"",
           "The function to differentiate">,
    ListOption<"wrt", "wrt", "std::string",
               "What to differentiate with respect to: params, argN (default: params)">,
  ];
  let dependentDialects = ["::tweedie::score::ScoreDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // TWEEDIE_AUTODIFF_PASSES_TD
