//===- Passes.td - the sampler dialect's passes: solve and objective expansion, step fusion, hoisting -*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_TRANSFORMS_PASSES_TD
#define TWEEDIE_DIALECT_SAMPLER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TweedieAdaptNetworkSchedule : Pass<"tweedie-adapt-network-schedule", "::mlir::ModuleOp"> {
  let summary = "Sample a network on a schedule other than the one it was trained on";
  let description = [{
    A `sampler.solve` or `sampler.likelihood` whose schedule conditions the
    network differently from the network's `sampler.schedule` (a Karras or
    VP sampler on a DDPM step-index network, a DDPM sampler on a sigma
    network) calls `@<net>_on_<schedule>` instead: at equal noise-to-signal
    ratio sigma/alpha it reads the network's conditioning (a DDPM network's
    fractional step, linear in log sigma between its training steps, as
    k-diffusion's discrete denoiser) and the input scale alpha_n / alpha_s
    from float64 tables (`sampler.interpolate`), calls the network, and
    returns eps, x0 or the score in the sampler's coordinates (v becomes
    eps). A schedule whose noise leaves the network's trained span, and an
    energy network, are errors. Equal processes (another t_min, other levels
    of the same sigmas) need nothing.
  }];
  let dependentDialects = ["::tweedie::sampler::SamplerDialect",
                           "::tweedie::score::ScoreDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
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

#endif // TWEEDIE_DIALECT_SAMPLER_TRANSFORMS_PASSES_TD
