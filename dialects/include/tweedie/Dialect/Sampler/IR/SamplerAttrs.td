//===- SamplerAttrs.td - schedules and sampling methods ------*- tablegen -*-===//
//
// Defaults are the values of the papers that introduced each schedule/method,
// so `#sampler.vp<>` is Song et al. (2021)'s VP SDE.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERATTRS_TD
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERATTRS_TD

include "tweedie/Dialect/Sampler/IR/SamplerBase.td"
include "tweedie/Dialect/Sampler/IR/SamplerInterfaces.td"

class Sampler_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Sampler_Dialect, name, traits> {
  let attrName = "sampler." # attrMnemonic;
  let mnemonic = attrMnemonic;
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

class Sampler_ScheduleAttr<string name, string mnemonic>
    : Sampler_Attr<name, mnemonic, [DeclareAttrInterfaceMethods<
          Sampler_ScheduleAttrInterface>]>;

class Sampler_MethodAttr<string name, string mnemonic>
    : Sampler_Attr<name, mnemonic, [DeclareAttrInterfaceMethods<
          Sampler_MethodAttrInterface>]>;

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

def Sampler_DDPMLinearAttr : Sampler_ScheduleAttr<"DDPMLinear", "ddpm_linear"> {
  let summary = "DDPM discrete schedule, beta linear in t (Ho et al. 2020)";
  let parameters = (ins
    Sampler_I64Parameter<"training timesteps T", "1000">:$timesteps,
    Sampler_F64Parameter<"beta_1", "1.0e-4">:$beta_start,
    Sampler_F64Parameter<"beta_T", "0.02">:$beta_end);
}

def Sampler_DDPMScaledLinearAttr
    : Sampler_ScheduleAttr<"DDPMScaledLinear", "ddpm_scaled_linear"> {
  let summary = "DDPM discrete schedule, sqrt(beta) linear in t (Stable Diffusion's)";
  let description = [{
    beta_t = (sqrt(beta_1) + t/(T-1) (sqrt(beta_T) - sqrt(beta_1)))^2: diffusers'
    `beta_schedule = "scaled_linear"`, with Stable Diffusion's defaults.
  }];
  let parameters = (ins
    Sampler_I64Parameter<"training timesteps T", "1000">:$timesteps,
    Sampler_F64Parameter<"beta_1", "8.5e-4">:$beta_start,
    Sampler_F64Parameter<"beta_T", "0.012">:$beta_end);
}

def Sampler_DDPMCosineAttr : Sampler_ScheduleAttr<"DDPMCosine", "ddpm_cosine"> {
  let summary = "DDPM discrete schedule, abar_t = cos^2 (Nichol & Dhariwal 2021)";
  let description = [{
    abar_t = f(t)/f(0), f(t) = cos((t/T + s)/(1 + s) * pi/2)^2, betas clipped
    at `max_beta`.
  }];
  let parameters = (ins
    Sampler_I64Parameter<"training timesteps T", "1000">:$timesteps,
    Sampler_F64Parameter<"offset s", "0.008">:$s,
    Sampler_F64Parameter<"clip of beta_t", "0.999">:$max_beta);
}

def Sampler_VPAttr : Sampler_ScheduleAttr<"VP", "vp"> {
  let summary = "variance-preserving SDE, beta(t) linear on [0, 1] (Song et al. 2021)";
  let parameters = (ins
    Sampler_F64Parameter<"beta(0)", "0.1">:$beta_min,
    Sampler_F64Parameter<"beta(1)", "20.0">:$beta_max,
    Sampler_F64Parameter<"last time sampled (t = eps)", "1.0e-3">:$t_min);
}

def Sampler_SubVPAttr : Sampler_ScheduleAttr<"SubVP", "subvp"> {
  let summary = "sub-variance-preserving SDE (Song et al. 2021, eq. 29)";
  let parameters = (ins
    Sampler_F64Parameter<"beta(0)", "0.1">:$beta_min,
    Sampler_F64Parameter<"beta(1)", "20.0">:$beta_max,
    Sampler_F64Parameter<"last time sampled (t = eps)", "1.0e-3">:$t_min);
}

def Sampler_VEAttr : Sampler_ScheduleAttr<"VE", "ve"> {
  let summary = "variance-exploding SDE, sigma(t) = sigma_min (sigma_max/sigma_min)^t";
  let parameters = (ins
    Sampler_F64Parameter<"sigma(0)", "0.01">:$sigma_min,
    Sampler_F64Parameter<"sigma(1)", "50.0">:$sigma_max,
    Sampler_F64Parameter<"last time sampled", "1.0e-5">:$t_min);
}

def Sampler_NCSNAttr : Sampler_ScheduleAttr<"NCSN", "ncsn"> {
  let summary = "NCSN geometric noise levels (Song & Ermon 2019)";
  let parameters = (ins
    Sampler_F64Parameter<"smallest sigma", "0.01">:$sigma_min,
    Sampler_F64Parameter<"largest sigma", "1.0">:$sigma_max,
    Sampler_I64Parameter<"number of levels L", "10">:$levels);
}

def Sampler_KarrasAttr : Sampler_ScheduleAttr<"Karras", "karras"> {
  let summary = "EDM sigma spacing with exponent rho (Karras et al. 2022, eq. 5)";
  let parameters = (ins
    Sampler_F64Parameter<"smallest sigma", "0.002">:$sigma_min,
    Sampler_F64Parameter<"largest sigma", "80.0">:$sigma_max,
    Sampler_F64Parameter<"rho", "7.0">:$rho);
}

def Sampler_SigmasAttr : Sampler_ScheduleAttr<"Sigmas", "sigmas"> {
  let summary = "explicit noise levels, strictly decreasing and positive";
  let parameters = (ins AttrParameter<"::mlir::DenseF64ArrayAttr",
                                     "sigma levels">:$values);
  let assemblyFormat = "`<` custom<F64Array>($values) `>`";
}

//===----------------------------------------------------------------------===//
// Methods
//===----------------------------------------------------------------------===//

def Sampler_LangevinAttr : Sampler_MethodAttr<"Langevin", "langevin"> {
  let summary = "unadjusted Langevin: x <- x + eta s(x) + sqrt(2 eta) z";
  let parameters = (ins Sampler_F64Parameter<"step size eta", "1.0e-3">:$step_size);
}

def Sampler_MALAAttr : Sampler_MethodAttr<"MALA", "mala"> {
  let summary = "Metropolis-adjusted Langevin for energy models";
  let parameters = (ins Sampler_F64Parameter<"step size eta", "1.0e-3">:$step_size);
}

def Sampler_AnnealedLangevinAttr
    : Sampler_MethodAttr<"AnnealedLangevin", "annealed_langevin"> {
  let summary = "NCSN annealed Langevin: eta_l = delta sigma_l^2 / sigma_min^2";
  let parameters = (ins
    Sampler_I64Parameter<"Langevin steps per noise level K", "100">:$steps_per_level,
    Sampler_F64Parameter<"base step delta", "2.0e-5">:$delta);
}

def Sampler_DDPMAttr : Sampler_MethodAttr<"DDPM", "ddpm"> {
  let summary = "DDPM ancestral sampling (Ho et al. 2020, alg. 2)";
  let parameters = (ins DefaultValuedParameter<
      "::tweedie::sampler::AncestralVariance",
      "::tweedie::sampler::AncestralVariance::posterior",
      "reverse-step variance">:$variance);
}

def Sampler_DDIMAttr : Sampler_MethodAttr<"DDIM", "ddim"> {
  let summary = "DDIM (Song et al. 2021): eta = 0 deterministic, 1 ancestral";
  let parameters = (ins Sampler_F64Parameter<"eta", "0.0">:$eta);
}

def Sampler_EulerMaruyamaAttr
    : Sampler_MethodAttr<"EulerMaruyama", "euler_maruyama"> {
  let summary = "reverse-time SDE, Euler-Maruyama";
  let parameters = (ins);
  let assemblyFormat = "";
  let genVerifyDecl = 0;
}

def Sampler_PredictorCorrectorAttr
    : Sampler_MethodAttr<"PredictorCorrector", "pc"> {
  let summary = "predictor-corrector with a Langevin corrector (Song et al. 2021, alg. 1)";
  let description = [{
    Corrector step eps = 2 alpha (snr ||z|| / ||s||)^2.
  }];
  let parameters = (ins
    DefaultValuedParameter<"::tweedie::sampler::Predictor",
                           "::tweedie::sampler::Predictor::euler_maruyama",
                           "predictor">:$predictor,
    Sampler_I64Parameter<"corrector steps per step", "1">:$corrector_steps,
    Sampler_F64Parameter<"signal-to-noise ratio r", "0.16">:$snr);
}

def Sampler_ODEAttr : Sampler_MethodAttr<"ODE", "ode"> {
  let summary = "fixed-step probability-flow ODE solver";
  let parameters = (ins
    DefaultValuedParameter<"::tweedie::sampler::OdeSolver",
                           "::tweedie::sampler::OdeSolver::heun",
                           "solver">:$solver,
    Sampler_F64Parameter<"EDM stochastic churn S_churn (euler and heun on sigma "
                         "schedules)", "0.0">:$churn,
    Sampler_I64Parameter<"multistep solvers fall back to first order in the "
                         "last steps (1) or not (0)", "1">:$lower_order_final);
}

def Sampler_RK45Attr : Sampler_MethodAttr<"RK45", "rk45"> {
  let summary = "adaptive Dormand-Prince RK45 on the probability-flow ODE";
  let parameters = (ins
    Sampler_F64Parameter<"relative tolerance", "1.0e-5">:$rtol,
    Sampler_F64Parameter<"absolute tolerance", "1.0e-5">:$atol);
}

#endif // TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERATTRS_TD
