//===- SamplerBase.td - the sampler dialect and its enums ----*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERBASE_TD
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Sampler_Dialect : Dialect {
  let name = "sampler";
  let cppNamespace = "::tweedie::sampler";
  let summary = "Diffusion samplers: noise schedules, solvers and their steps";
  let description = [{
    A user writes one `sampler.solve`: a score network (a `func.func`), a noise
    schedule, a parameterisation of the network's output, a sampling method with
    its options and a step count. The compiler expands it into a
    `sampler.loop` of step ops whose coefficient tables are computed in float64.
  }];
  let useDefaultAttributePrinterParser = 1;
  // A network says how it was trained: `sampler.schedule` (a schedule) and
  // `sampler.prediction` ("eps", "x0", "v", "score" or "energy") on its
  // func.func are the defaults of `tweedie-compile --sampler`.
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

/// A float64 attribute parameter that prints exactly (shortest round-trip form)
/// and may be omitted when equal to `default`.
class Sampler_F64Parameter<string desc, string default = "">
    : AttrOrTypeParameter<"::tweedie::F64", desc, "double"> {
  let parser = "::tweedie::parseF64($_parser)";
  let printer = "::tweedie::printF64($_printer, $_self)";
  let defaultValue = default;
}

class Sampler_I64Parameter<string desc, string default = "">
    : AttrOrTypeParameter<"int64_t", desc> {
  let defaultValue = default;
}

def Sampler_Parameterization : I32EnumAttr<"Parameterization",
    "what the network predicts", [
    I32EnumAttrCase<"eps", 0>,     // the noise: x_t = alpha x_0 + sigma eps
    I32EnumAttrCase<"x0", 1>,      // the clean sample (a denoiser D(x, sigma))
    I32EnumAttrCase<"v", 2>,       // v = alpha eps - sigma x_0 (Salimans & Ho 2022)
    I32EnumAttrCase<"score", 3>,   // grad_x log p_t(x) directly
    I32EnumAttrCase<"energy", 4>]> // E(x, t) with score = -grad_x E
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_NoiseLevelSampling : I32EnumAttr<"NoiseLevelSampling",
    "how a training objective draws each example's noise level", [
    I32EnumAttrCase<"uniform", 0>,    // uniform over the schedule's levels or time
    I32EnumAttrCase<"lognormal", 1>]> // log sigma ~ N(p_mean, p_std^2) (Karras et al. 2022)
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_ProbeDistribution : I32EnumAttr<"ProbeDistribution",
    "the law of the probe vectors of sliced score matching", [
    I32EnumAttrCase<"rademacher", 0>, // +-1 per element
    I32EnumAttrCase<"gaussian", 1>]>  // standard normal per element
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_TimeSpacing : I32EnumAttr<"TimeSpacing",
    "how sampling steps pick timesteps of a discrete schedule", [
    I32EnumAttrCase<"linspace", 0>,   // evenly spaced including both ends
    I32EnumAttrCase<"leading", 1>,    // 0, k, 2k, ... (DDIM's original)
    I32EnumAttrCase<"trailing", 2>,   // T, T-k, ... (Lin et al. 2024)
    I32EnumAttrCase<"logsnr", 3>]>    // vp/subvp/ve: uniform in log(alpha/sigma)
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_FinalSigma : I32EnumAttr<"FinalSigma",
    "where a DDPM-schedule or Karras sampler's last step ends", [
    I32EnumAttrCase<"zero", 0>,   // at the data: the last step returns the x0 estimate
    I32EnumAttrCase<"min", 1>]>   // at the smallest noise level (training step 0, sigma_min)
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_ProcessKind : I32EnumAttr<"ProcessKind",
    "the forward noising process a schedule belongs to", [
    I32EnumAttrCase<"variance_preserving", 0>,
    I32EnumAttrCase<"sub_variance_preserving", 1>,
    I32EnumAttrCase<"variance_exploding", 2>]> {
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_AncestralVariance : I32EnumAttr<"AncestralVariance",
    "the reverse-step variance of DDPM ancestral sampling", [
    I32EnumAttrCase<"posterior", 0>,  // beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t)
    I32EnumAttrCase<"beta", 1>]>      // beta_t
{
  let cppNamespace = "::tweedie::sampler";
}

def Sampler_Predictor : I32EnumAttr<"Predictor",
    "the predictor of a predictor-corrector sampler", [
    I32EnumAttrCase<"euler_maruyama", 0>,
    I32EnumAttrCase<"reverse_diffusion", 1>,
    I32EnumAttrCase<"ancestral", 2>]> {
  let cppNamespace = "::tweedie::sampler";
}

// Case for case numerics/include/tweedie/Numerics/OdeSolvers.def, in its
// order (asserted where the expansion maps one onto the other).
def Sampler_OdeSolver : I32EnumAttr<"OdeSolver",
    "fixed-step probability-flow ODE solvers", [
    I32EnumAttrCase<"euler", 0>,
    I32EnumAttrCase<"heun", 1>,             // EDM (Karras et al. 2022, alg. 2)
    I32EnumAttrCase<"rk4", 2>,
    I32EnumAttrCase<"dpm_solver_2", 3>,     // singlestep (Lu et al. 2022)
    I32EnumAttrCase<"dpm_solver_3", 4>,
    I32EnumAttrCase<"dpm_solver_pp_2m", 5>,  // multistep data prediction
    I32EnumAttrCase<"dpm_solver_pp_2s", 6>]> // singlestep data prediction
{
  let cppNamespace = "::tweedie::sampler";
}

#endif // TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERBASE_TD
