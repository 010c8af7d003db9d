//===- SamplerOps.td - sampler programs ----------------------*- tablegen -*-===//
//
// Three levels of the same program:
//   1. `sampler.solve`: what a user writes (network, schedule, method, steps);
//   2. `sampler.loop` over the time grid with family step ops whose float64
//      coefficient tables are attributes (one entry per step);
//   3. `sampler.affine_step`: the fused elementwise update every single-
//      evaluation step reduces to, x <- a_i x + b_i y + c_i z.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLEROPS_TD
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLEROPS_TD

include "tweedie/Dialect/Sampler/IR/SamplerAttrs.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

class Sampler_Op<string mnemonic, list<Trait> traits = []>
    : Op<Sampler_Dialect, mnemonic, traits>;

def Sampler_StateTensor : RankedTensorOf<[F32]>;
def Sampler_BatchVector : 1DTensorOf<[F32]>;

def Sampler_ScheduleAttr : Attr<
    CPred<"::llvm::isa<::tweedie::sampler::ScheduleAttrInterface>($_self)">,
    "noise schedule attribute"> {
  let storageType = "::tweedie::sampler::ScheduleAttrInterface";
  let returnType = "::tweedie::sampler::ScheduleAttrInterface";
  let convertFromStorage = "$_self";
}

def Sampler_MethodAttr : Attr<
    CPred<"::llvm::isa<::tweedie::sampler::MethodAttrInterface>($_self)">,
    "sampling method attribute"> {
  let storageType = "::tweedie::sampler::MethodAttrInterface";
  let returnType = "::tweedie::sampler::MethodAttrInterface";
  let convertFromStorage = "$_self";
}

//===----------------------------------------------------------------------===//
// solve
//===----------------------------------------------------------------------===//

def Sampler_SolveOp : Sampler_Op<"solve", [
    AllTypesMatch<["noise", "result"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "draw samples: a whole sampler in one op";
  let description = [{
    `network` names a `func.func` taking the state [B, ...] and the per-sample
    conditioning [B] (time or sigma, per the schedule) and returning what
    `prediction` says: a tensor shaped like the state, or [B] / [B, 1] for an
    energy. `noise` is standard normal noise shaped like the samples; the
    solver scales it by the prior's standard deviation. `seed` keys the
    Philox noise of the stochastic steps, and row r of the batch is sample
    `first_sample + r` of the stream: a sample's noise is the same whatever
    batch it is drawn in.

    ```mlir
    %x = sampler.solve @mlp2d(%noise, %seed, %first)
        schedule #sampler.ddpm_linear<> method #sampler.ddim<eta = 0.0>
        prediction eps steps 20 : tensor<?x2xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$network,
                       Sampler_StateTensor:$noise, I64:$seed,
                       Index:$first_sample,
                       Sampler_ScheduleAttr:$schedule,
                       Sampler_MethodAttr:$method,
                       Sampler_Parameterization:$prediction,
                       ConfinedAttr<I64Attr, [IntPositive]>:$steps,
                       DefaultValuedAttr<Sampler_TimeSpacing,
                           "::tweedie::sampler::TimeSpacing::linspace">:$spacing,
                       UnitAttr:$denoise_final,
                       DefaultValuedAttr<F64Attr, "0.0">:$clip_x0,
                       OptionalAttr<Sampler_FinalSigma>:$final_sigma,
                       DefaultValuedAttr<I64Attr, "0">:$steps_offset,
                       OptionalAttr<DenseI64ArrayAttr>:$timesteps);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $network `(` $noise `,` $seed `,` $first_sample `)` `schedule` $schedule
    `method` $method
    `prediction` $prediction `steps` $steps (`spacing` $spacing^)?
    (`denoise_final` $denoise_final^)? (`clip_x0` $clip_x0^)?
    (`final_sigma` $final_sigma^)? (`steps_offset` $steps_offset^)?
    (`timesteps` $timesteps^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Loop structure
//===----------------------------------------------------------------------===//

def Sampler_LoopOp : Sampler_Op<"loop", [
    RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::tweedie::sampler::YieldOp">]> {
  let summary = "iterate over the steps of a time grid";
  let description = [{
    Runs its body `steps` times with the step index (0 = the noisiest step) and
    the loop-carried values, which `sampler.yield` updates.

    ```mlir
    %r = sampler.loop %i = 0 to 20 iter_args(%x = %init) : tensor<?x2xf32> {
      ...
      sampler.yield %next : tensor<?x2xf32>
    }
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$steps,
                       Variadic<AnyType>:$inits);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Value getStepIndex() { return getBody().front().getArgument(0); }
    ::mlir::Block::BlockArgListType getIterArgs() {
      return getBody().front().getArguments().drop_front();
    }
  }];
}

def Sampler_YieldOp : Sampler_Op<"yield", [
    Pure, Terminator, ReturnLike,
    ParentOneOf<["LoopOp", "PrecomputeOp", "OdeIntegrateOp"]>]> {
  let summary = "ends a sampler region with its values";
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ /* empty yield */ }]>];
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Time-only work, hoisted out of the loop
//===----------------------------------------------------------------------===//

// Isolated from above: the body is evaluated on its own at bind time, and CSE
// must not replace the constants it cloned in by the ones outside.
def Sampler_PrecomputeOp : Sampler_Op<"precompute", [
    IsolatedFromAbove, RecursiveMemoryEffects, SingleBlock,
    SingleBlockImplicitTerminator<"::tweedie::sampler::YieldOp">]> {
  let summary = "per-step tables of values that depend only on the time grid";
  let description = [{
    Its body runs once per step (step index as block argument) at batch 1 and
    yields values that depend only on the step: the network's time embedding
    and time MLP, per-step biases. Result k stacks yield k of every step into a
    table [steps, ...]; `sampler.table_row` reads one step's row inside the
    loop. The compiler evaluates the body when it binds the weights (in float64,
    rounded once), so the sampler loop never runs it.

    ```mlir
    %tab = sampler.precompute %i steps 20 -> (tensor<20x1x64xf32>) {
      %t = sampler.time_value %i values [...] : tensor<1xf32>
      %e = score.time_embedding sinusoidal %t dim(64) : (tensor<1xf32>) -> tensor<1x64xf32>
      sampler.yield %e : tensor<1x64xf32>
    }
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$steps);
  let results = (outs Variadic<RankedTensorOf<[F32]>>:$tables);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Value getStepIndex() { return getBody().front().getArgument(0); }
  }];
}

def Sampler_TableRowOp : Sampler_Op<"table_row", [Pure]> {
  let summary = "one step's row of a precomputed table";
  let arguments = (ins RankedTensorOf<[F32]>:$table, Index:$step);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $table `[` $step `]` attr-dict `:` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Sampler_TimeValueOp : Sampler_Op<"time_value", [Pure]> {
  let summary = "the network's conditioning input at a step, batch 1";
  let description = [{
    `sampler.timestep` for hoisted code: the same `values[step]`, as [1].
  }];
  let arguments = (ins Index:$step, DenseF64ArrayAttr:$values);
  let results = (outs 1DTensorOf<[F32]>:$result);
  let assemblyFormat =
      "$step `values` custom<StepTable>($values) attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Noise and conditioning
//===----------------------------------------------------------------------===//

def Sampler_RandnOp : Sampler_Op<"randn", [Pure, AllTypesMatch<["like", "result"]>]> {
  let summary = "counter-based standard normal noise";
  let description = [{
    Philox4x32-10 keyed by (seed, sample index, step, draw): row r of the
    result is sample `first_sample + r`, so a sample's noise does not depend on
    the batch it is drawn in. `like` only supplies the (possibly dynamic)
    shape. `draw` separates independent draws within one step. With
    `rademacher` each element is the sign of its normal draw: +-1 with equal
    probability (the probes of sliced score matching and Hutchinson's
    estimator).
  }];
  let arguments = (ins Sampler_StateTensor:$like, I64:$seed, Index:$first_sample,
                       Index:$step, DefaultValuedAttr<I64Attr, "0">:$draw,
                       UnitAttr:$rademacher);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $like `,` `seed` $seed `,` `sample` $first_sample `,` `step` $step
    (`draw` $draw^)? (`rademacher` $rademacher^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Sampler_TimestepOp : Sampler_Op<"timestep", [Pure]> {
  let summary = "the network's conditioning input at a step, one per sample";
  let description = [{
    Result [B] filled with `values[step]` (t, a timestep index, or sigma, as the
    network was trained), B being the batch of `like`.
  }];
  let arguments = (ins Index:$step, Sampler_StateTensor:$like,
                       DenseF64ArrayAttr:$values);
  let results = (outs Sampler_BatchVector:$result);
  let assemblyFormat = [{
    $step `for` $like `values` custom<StepTable>($values) attr-dict `:` type($like) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Step ops. Every table holds one float64 entry per loop step.
//===----------------------------------------------------------------------===//

// Step ops print the state type once: the mandatory state operands are tied by
// AllTypesMatch, optional ones take the printed type through custom<SameType>.
class Sampler_StepOp<string mnemonic, list<Trait> traits = []>
    : Sampler_Op<mnemonic, !listconcat([Pure], traits)> {
  let hasVerifier = 1;
}

def Sampler_ReparameterizeOp : Sampler_StepOp<"reparameterize",
    [AllTypesMatch<["output", "x", "result"]>]> {
  let summary = "convert a network output between parameterisations";
  let description = [{
    With x = alpha_i x0 + sigma_i eps at step i: score = -eps / sigma,
    x0 = (x - sigma eps) / alpha, v = alpha eps - sigma x0.
  }];
  let arguments = (ins Sampler_StateTensor:$output, Sampler_StateTensor:$x,
                       Index:$step,
                       Sampler_Parameterization:$from,
                       Sampler_Parameterization:$to,
                       DenseF64ArrayAttr:$alpha, DenseF64ArrayAttr:$sigma);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $output `at` $step `from` $from `to` $to `given` $x attr-dict `:` type($result)
  }];
}

def Sampler_LangevinStepOp : Sampler_StepOp<"langevin_step",
    [AllTypesMatch<["x", "score", "noise", "result"]>]> {
  let summary = "x <- x + eta_i s + sqrt(2 eta_i) z";
  let description = [{
    Unadjusted Langevin; with eta_i repeated K times per level and
    eta = delta sigma_l^2 / sigma_min^2 it is annealed Langevin (NCSN).
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$score,
                       Sampler_StateTensor:$noise, Index:$step,
                       DenseF64ArrayAttr:$step_size);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $score `,` $noise `at` $step attr-dict `:` type($result)
  }];
}

def Sampler_MALAStepOp : Sampler_StepOp<"mala_step", [
    AllTypesMatch<["x", "proposal", "score", "proposal_score", "result"]>,
    AllTypesMatch<["energy", "proposal_energy", "uniform"]>]> {
  let summary = "Metropolis-Hastings accept/reject of a Langevin proposal";
  let description = [{
    For each sample, accepts `proposal` when log(u) < E(x) - E(x') +
    log q(x | x') - log q(x' | x), with q the Langevin proposal density.
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$proposal,
                       Sampler_BatchVector:$energy, Sampler_BatchVector:$proposal_energy,
                       Sampler_StateTensor:$score, Sampler_StateTensor:$proposal_score,
                       Sampler_BatchVector:$uniform, Index:$step,
                       DenseF64ArrayAttr:$step_size);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `->` $proposal `energies` `(` $energy `,` $proposal_energy `)`
    `scores` `(` $score `,` $proposal_score `)` `uniform` $uniform `at` $step
    attr-dict `:` type($x) `,` type($energy)
  }];
}

def Sampler_AncestralStepOp : Sampler_StepOp<"ancestral_step",
    [AllTypesMatch<["x", "eps", "noise", "result"]>]> {
  let summary = "DDPM ancestral step from an eps prediction";
  let description = [{
    With alpha = abar / abar_prev: x <- (x - (1 - alpha) / sqrt(1 - abar) eps)
    / sqrt(alpha) + sigma z, sigma^2 = beta~ (posterior) or 1 - alpha (beta).
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$eps,
                       Sampler_StateTensor:$noise, Index:$step,
                       DenseF64ArrayAttr:$alpha_bar, DenseF64ArrayAttr:$alpha_bar_prev,
                       DefaultValuedAttr<Sampler_AncestralVariance,
                           "::tweedie::sampler::AncestralVariance::posterior">:$variance);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $eps `,` $noise `at` $step attr-dict `:` type($result)
  }];
}

def Sampler_DDIMStepOp : Sampler_StepOp<"ddim_step",
    [AllTypesMatch<["x", "eps", "result"]>]> {
  let summary = "DDIM step (Song et al. 2021, eq. 12)";
  let description = [{
    x0 = (x - sqrt(1 - abar) eps) / sqrt(abar);
    x <- sqrt(abar_prev) x0 + sqrt(1 - abar_prev - s^2) eps + s z with
    s = eta sqrt((1 - abar_prev) / (1 - abar)) sqrt(1 - abar / abar_prev).
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$eps,
                       Optional<Sampler_StateTensor>:$noise, Index:$step,
                       DenseF64ArrayAttr:$alpha_bar, DenseF64ArrayAttr:$alpha_bar_prev,
                       F64Attr:$eta);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $eps (`,` $noise^)? `at` $step attr-dict `:` type($result)
    custom<SameType>(ref($noise), ref(type($result)), type($noise))
  }];
}

def Sampler_EulerMaruyamaStepOp : Sampler_StepOp<"euler_maruyama_step",
    [AllTypesMatch<["x", "score", "noise", "result"]>]> {
  let summary = "reverse-time SDE step, dx = [f x - g^2 s] dt + g dw";
  let description = [{
    Integrating backwards over dt_i > 0:
    x <- x - (f_i x - g2_i s) dt_i + sqrt(g2_i dt_i) z.
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$score,
                       Sampler_StateTensor:$noise, Index:$step,
                       DenseF64ArrayAttr:$drift, DenseF64ArrayAttr:$diffusion_sq,
                       DenseF64ArrayAttr:$dt);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $score `,` $noise `at` $step attr-dict `:` type($result)
  }];
}

def Sampler_LangevinCorrectorOp : Sampler_StepOp<"langevin_corrector",
    [AllTypesMatch<["x", "score", "noise", "result"]>]> {
  let summary = "Langevin corrector with the SNR step rule";
  let description = [{
    eps = 2 alpha_i (snr ||z|| / ||s||)^2 per sample; x <- x + eps s + sqrt(2 eps) z.
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$score,
                       Sampler_StateTensor:$noise, Index:$step,
                       DenseF64ArrayAttr:$alpha, F64Attr:$snr);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $score `,` $noise `at` $step attr-dict `:` type($result)
  }];
}

def Sampler_AffineStepOp : Sampler_StepOp<"affine_step",
    [AllTypesMatch<["x", "y", "result"]>]> {
  let summary = "fused update x <- a_i x + b_i y + c_i z";
  let description = [{
    What every single-evaluation step lowers to; one generated elementwise
    kernel. `z` is optional (deterministic steps).
  }];
  let arguments = (ins Sampler_StateTensor:$x, Sampler_StateTensor:$y,
                       Optional<Sampler_StateTensor>:$z, Index:$step,
                       DenseF64ArrayAttr:$a, DenseF64ArrayAttr:$b,
                       DenseF64ArrayAttr:$c);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $x `,` $y (`,` $z^)? `at` $step attr-dict `:` type($result)
    custom<SameType>(ref($z), ref(type($result)), type($z))
  }];
}

//===----------------------------------------------------------------------===//
// Probability-flow ODE steps. The region computes the ODE's velocity
// dx/dt at (y, t): block arguments (y, t [B]), yielding a tensor like y.
//===----------------------------------------------------------------------===//

def Sampler_OdeIntegrateOp : Sampler_Op<"ode_integrate", [
    RecursiveMemoryEffects, SingleBlock, AllTypesMatch<["x", "result"]>]> {
  let summary = "adaptive Dormand-Prince RK45 integration of a probability-flow ODE";
  let description = [{
    With `finish = [a, b]` the result is a x + b v(x, t_end) for the
    integrated x: one more velocity evaluation, how a final denoising step
    (Tweedie's formula, an affine map of x and the score) is written when
    the velocity is the only thing the body computes.
  }];
  let arguments = (ins Sampler_StateTensor:$x, F64Attr:$t_start, F64Attr:$t_end,
                       F64Attr:$rtol, F64Attr:$atol,
                       ConfinedAttr<I64Attr, [IntPositive]>:$max_steps,
                       OptionalAttr<DenseF64ArrayAttr>:$finish);
  let results = (outs Sampler_StateTensor:$result);
  let regions = (region SizedRegion<1>:$velocity);
  let assemblyFormat = "$x attr-dict `:` type($x) $velocity";
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Sampler_LikelihoodOp : Sampler_Op<"likelihood", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>, AllTypesMatch<["input", "result"]>]> {
  let summary = "log-density change along the probability-flow ODE, data to prior";
  let description = [{
    Rows of `input` are [x, l] with x a data point (the network's state has
    one column less) and l = 0. The expansion integrates the augmented ODE
    dx/dt = v(x, t) (the probability flow), dl/dt = div_x v(x, t) with
    adaptive Dormand-Prince from the schedule's smallest time to its largest;
    rows of the result are [x_T, l_T], and
    log p(x) = log N(x_T; 0, sigma_T^2 I) + l_T. The divergence is exact
    (one reverse-mode pass per dimension: unit probes e_i, e_i . grad(e_i . v)),
    or with `hutchinson K rademacher|gaussian` Hutchinson's estimate
    mean_k v_k . grad(v_k . v) with K probes per point, drawn once and kept
    along the trajectory (FFJORD's estimator; exact in expectation).

    ```mlir
    %r = sampler.likelihood @score(%xl, %seed, %first) schedule #sampler.vp<>
        prediction score : tensor<?x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$network, Sampler_StateTensor:$input, I64:$seed,
                       Index:$first_sample, Sampler_ScheduleAttr:$schedule,
                       Sampler_Parameterization:$prediction,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$rtol,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$atol,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1000">:$max_steps,
                       DefaultValuedAttr<I64Attr, "0">:$probes,
                       DefaultValuedAttr<Sampler_ProbeDistribution,
                           "::tweedie::sampler::ProbeDistribution::rademacher">:$probe);
  let results = (outs Sampler_StateTensor:$result);
  let assemblyFormat = [{
    $network `(` $input `,` $seed `,` $first_sample `)` `schedule` $schedule
    `prediction` $prediction (`hutchinson` $probes^ $probe)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training objectives (expanded by --tweedie-expand-objective)
//===----------------------------------------------------------------------===//

def Sampler_DSMLossOp : Sampler_Op<"dsm_loss", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a denoising score matching loss over a batch of data";
  let description = [{
    Each example x_0 (row r of `data`) gets a noise level and noise z, both
    drawn from Philox keyed by (seed, r, step): x_t = alpha x_0 + sigma z. The
    loss is the batch mean of (lambda / 2) ||s(x_t) + z / sigma||^2 with
    lambda = sigma^2 (the variance of p(x_t | x_0)), written through the
    network's prediction: for eps it is (1/2) ||eps(x_t) - z||^2, for an
    energy s = -grad_x E. The schedule decides the objective:

    - ddpm_linear / ddpm_cosine: DDPM's L_simple, training step uniform in
      {1..T} (the network sees the index 0..T-1);
    - vp / subvp / ve: continuous-time DSM, t uniform in [t_min, 1];
    - ncsn / sigmas / karras: NCSN's multi-level DSM, a level per example
      (one sigma: single-level DSM), or with `levels lognormal` EDM's
      log-normal sigma (p_mean, p_std).

    `sliced K rademacher|gaussian` replaces denoising by sliced score
    matching (Song et al. 2019, the variance-reduced form) at the same noise
    levels: per example sigma^2 (mean over K probes v of v^T (grad_x s) v +
    1/2 ||s||^2), the Jacobian-vector term from the autodiff's gradient of
    v . s. It needs no z to match, so it learns the score of whatever the
    noisy data's law is.

    ```mlir
    %loss = sampler.dsm_loss @mlp2d(%x0, %seed, %step)
        schedule #sampler.ddpm_linear<> prediction eps : tensor<?x2xf32> -> tensor<1xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$network,
                       Sampler_StateTensor:$data, I64:$seed, Index:$step,
                       Sampler_ScheduleAttr:$schedule,
                       Sampler_Parameterization:$prediction,
                       DefaultValuedAttr<Sampler_NoiseLevelSampling,
                           "::tweedie::sampler::NoiseLevelSampling::uniform">:$levels,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$t_min,
                       DefaultValuedAttr<F64Attr, "-1.2">:$p_mean,
                       DefaultValuedAttr<F64Attr, "1.2">:$p_std,
                       DefaultValuedAttr<I64Attr, "0">:$probes,
                       DefaultValuedAttr<Sampler_ProbeDistribution,
                           "::tweedie::sampler::ProbeDistribution::rademacher">:$probe);
  let results = (outs 1DTensorOf<[F32]>:$loss);
  let assemblyFormat = [{
    $network `(` $data `,` $seed `,` $step `)` `schedule` $schedule
    `prediction` $prediction (`levels` $levels^)? (`sliced` $probes^ $probe)?
    attr-dict `:` type($data) `->` type($loss)
  }];
  let hasVerifier = 1;
}

def Sampler_CrossEntropyLossOp : Sampler_Op<"cross_entropy_loss", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a classifier's cross-entropy over a batch of labelled data";
  let description = [{
    `network` maps `data` [B, ...] to logits [B, K]; `labels` [B, K] holds
    one-hot (or any probability) rows. The loss is the batch mean of
    logsumexp(logits) - labels . logits. How Tweedie trains the Fashion-MNIST
    classifier whose features its Fréchet distance reads.

    ```mlir
    %loss = sampler.cross_entropy_loss @classifier(%x, %labels)
        : tensor<?x1x28x28xf32>, tensor<?x10xf32> -> tensor<1xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$network, Sampler_StateTensor:$data,
                       RankedTensorOf<[F32]>:$labels);
  let results = (outs 1DTensorOf<[F32]>:$loss);
  let assemblyFormat = [{
    $network `(` $data `,` $labels `)` attr-dict `:` type($data) `,` type($labels)
    `->` type($loss)
  }];
  let hasVerifier = 1;
}

def Sampler_RandUniformOp : Sampler_Op<"rand_uniform", [Pure]> {
  let summary = "counter-based uniform noise in [0, 1), one number per sample";
  let description = [{
    Philox4x32-10 keyed like `sampler.randn` (seed, sample index, step, draw):
    entry r is sample `first_sample + r`. The batch comes from `like`.
  }];
  let arguments = (ins Sampler_StateTensor:$like, I64:$seed, Index:$first_sample,
                       Index:$step, DefaultValuedAttr<I64Attr, "0">:$draw);
  let results = (outs Sampler_BatchVector:$result);
  let assemblyFormat = [{
    $like `,` `seed` $seed `,` `sample` $first_sample `,` `step` $step
    (`draw` $draw^)? attr-dict `:` type($like) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Sampler_InterpolateOp : Sampler_Op<"interpolate", [Pure, AllTypesMatch<["u", "result"]>]> {
  let summary = "a float64 table read at per-sample positions u in [0, 1)";
  let description = [{
    With K entries: `discrete` reads entry floor(u K) (a level drawn
    uniformly); otherwise the piecewise-linear interpolant at u (K - 1). How
    objectives turn a uniform draw into a noise level and its coefficients.
  }];
  let arguments = (ins Sampler_BatchVector:$u, DenseF64ArrayAttr:$table, UnitAttr:$discrete);
  let results = (outs Sampler_BatchVector:$result);
  let assemblyFormat = [{
    $u `table` custom<StepTable>($table) (`discrete` $discrete^)? attr-dict `:` type($u)
  }];
  let hasVerifier = 1;
}

#endif // TWEEDIE_DIALECT_SAMPLER_IR_SAMPLEROPS_TD
