//===- Passes.td - the CPU target's passes: the memory plan -*- tablegen -*-===//
#ifndef TWEEDIE_TARGET_CPU_PASSES_TD
#define TWEEDIE_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweediePlanMemory : Pass<"tweedie-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Give every per-sample tensor of a sampler loop a static arena offset";
  let description = [{
    Every tensor of a `sampler.loop` body whose leading dim is the batch lives
    in one arena. Its offset is static and counted per sample: at batch B the
    value occupies bytes [B*offset, B*(offset+size)), so one plan serves every
    batch size. Offsets are assigned first-fit in program order, reusing the
    space of values whose last use has passed (a result never shares space with
    the op's own operands); `score.reshape` aliases its operand. Results are
    annotated with `sampler.slots` (one offset per result, -1 when not in the
    arena), the loop with `sampler.iter_slots`, the function with
    `sampler.arena_bytes_per_sample` and `sampler.unplanned_bytes_per_sample`
    (the sum of all sizes: what no reuse would take).
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark with the arena size at each loop">,
  ];
  let dependentDialects = ["::tweedie::sampler::SamplerDialect"];
}

#endif // TWEEDIE_TARGET_CPU_PASSES_TD
