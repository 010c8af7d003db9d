//===- Passes.td - Tweedie's passes ---------------------------*- tablegen -*-===//
#ifndef TWEEDIE_TRANSFORMS_PASSES_TD
#define TWEEDIE_TRANSFORMS_PASSES_TD

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

def TweedieExpandSolve : Pass<"tweedie-expand-solve", "::mlir::ModuleOp"> {
  let summary = "Expand sampler.solve into a sampler.loop of step ops";
  let description = [{
    Replaces each `sampler.solve` by a `sampler.loop` over its sampling steps.
    The loop body conditions the network on the step's timestep, converts its
    output to the parameterisation the step needs (`sampler.reparameterize`),
    draws noise (`sampler.randn`, step = loop index) where the method is
    stochastic, and applies the method's step op. Coefficient tables (timesteps,
    abar) are computed in float64 at compile time and folded into attributes.

    Expanded so far: `ddpm` and `ddim` on `ddpm_linear` / `ddpm_cosine`
    schedules; on the continuous processes (vp, subvp, ve: t from 1 to t_min)
    and sigma schedules (karras with EDM's final sigma = 0, ncsn and sigmas
    levels): `euler_maruyama`, `langevin`, `annealed_langevin` and `ode` with
    the fixed-step solvers of Numerics/OdeSolvers.def. These are linear stage
    schemes (numerics/StageSchemes.h): every network input and every update is
    a chain of `sampler.affine_step` over the state, the network outputs and
    noise, with float64 coefficient tables; wide priors (ve, sigma schedules)
    scale the noise before the loop. Any pointwise parameterisation (eps, x0,
    v, score). Other methods are reported as not expandable yet.
  }];
  let dependentDialects = ["::tweedie::sampler::SamplerDialect",
                           "::tweedie::score::ScoreDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

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

def TweedieExpandObjective : Pass<"tweedie-expand-objective", "::mlir::ModuleOp"> {
  let summary = "Expand sampler.dsm_loss (and cross_entropy_loss) into score ops";
  let description = [{
    Each `sampler.dsm_loss` becomes score ops: a uniform draw per example
    picks its noise level (a DDPM training step, an NCSN level, a continuous
    time, or EDM's log-normal sigma), Philox noise perturbs the data, the
    network is called (an energy network through @<network>_grad, its input
    gradient), and the loss is the batch mean of (1/2) ||eps_hat - z||^2 --
    DSM with lambda = sigma^2. Each `sampler.cross_entropy_loss` becomes the
    classifier's call and the batch mean of logsumexp(logits) - labels . logits.
    Run --inline and --tweedie-autodiff after it.
  }];
  let dependentDialects = ["::tweedie::score::ScoreDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def TweedieFuseSteps : Pass<"tweedie-fuse-steps", "::mlir::ModuleOp"> {
  let summary = "Fuse sampler step arithmetic into sampler.affine_step";
  let description = [{
    Every linear step op (ancestral_step, ddim_step, langevin_step,
    euler_maruyama_step) becomes `sampler.affine_step` x <- a_i x + b_i y +
    c_i z, one elementwise kernel. A `sampler.reparameterize` whose only user is
    such a step folds into its coefficients, so the network output feeds the
    fused kernel directly. The tables are computed in float64 by evaluating the
    reference semantics of the ops on unit inputs (each step is exactly linear
    in x, y and z), so fusion cannot drift from what the ops mean.
  }];
  let dependentDialects = ["::tweedie::sampler::SamplerDialect"];
}

def TweedieFuseEpilogues : Pass<"tweedie-fuse-epilogues", "::mlir::ModuleOp"> {
  let summary = "Fold activations and residual adds into dense, conv2d and group_norm";
  let description = [{
    `act(dense(x))` and `act(conv2d(x))` become the op with `act`; a following
    elementwise add of a same-shaped tensor becomes its `residual`, so
    y = act(op(x) + b) + r is one library call (oneDNN post-ops on the CPU).
    `act(group_norm(x))` folds the activation into the normalisation. Folds only
    when the producer has no other user, and only same-shape (non-broadcast)
    residuals.
  }];
  let dependentDialects = ["::tweedie::score::ScoreDialect"];
}

def TweedieHoistTimeInvariant : Pass<"tweedie-hoist-time-invariant", "::mlir::ModuleOp"> {
  let summary = "Move work that depends only on the time grid out of sampler loops";
  let description = [{
    In each `sampler.loop`, the ops that depend on the step but not on the
    state (the timestep, the time embedding, the time MLP, per-block time
    projections) move into a `sampler.precompute` before the loop, retyped to
    batch 1. Inside the loop, `sampler.table_row` reads one step's row, which
    the broadcasting consumers (`score.add`, `score.mul`) take as is. A row
    added to a dense or conv2d output without epilogue becomes that op's
    per-step bias (bias + row), so the add disappears. A hoisted value with a
    consumer that cannot broadcast stays in the loop.
  }];
  let dependentDialects = ["::tweedie::sampler::SamplerDialect",
                           "::tweedie::score::ScoreDialect"];
}

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

#endif
