//===- SamplerInterfaces.td - schedule and method interfaces -*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERINTERFACES_TD
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERINTERFACES_TD

include "mlir/IR/OpBase.td"

def Sampler_ScheduleAttrInterface : AttrInterface<"ScheduleAttrInterface"> {
  let cppNamespace = "::tweedie::sampler";
  let description = [{
    A noise schedule: the forward process x_t = alpha(t) x_0 + sigma(t) eps.
    Each schedule answers, in float64 and once, what the expansions need of
    it: its process, the span a sampler covers, its noise levels and its
    DDPM table. The passes ask the interface, never the concrete attribute,
    so a new schedule is one attribute with these methods.
  }];
  let methods = [
    InterfaceMethod<"The forward process family.",
      "::tweedie::sampler::ProcessKind", "getProcessKind">,
    InterfaceMethod<[{
        Number of discrete training timesteps or noise levels; 0 when the
        schedule is continuous in t or sigma.
      }], "int64_t", "getNumLevels">,
    InterfaceMethod<[{
        The forward process in the schedule's own coordinate t (what the
        network is conditioned on): the SDE of vp, subvp and ve; t = sigma for
        the sigma schedules (ncsn, karras, sigmas); DPM-Solver's continuous
        view of a DDPM schedule, t_n = (n + 1) / T.
      }], "::tweedie::numerics::Process", "getProcess">,
    InterfaceMethod<[{
        The span a sampler covers, from the prior's end to the last time
        sampled, and the prior's standard deviation: [1, t_min] for the SDEs
        (prior std sigma_max for ve, else 1), [1, 1/T] for DDPM schedules,
        [sigma_max, sigma_min] for sigma schedules (prior std sigma_max).
      }], "::tweedie::numerics::TimeInterval", "getInterval">,
    InterfaceMethod<[{
        Noise levels, noisiest first: the schedule's own (ncsn, sigmas), or
        `steps` of them spaced as the schedule says (karras); empty for the
        time schedules.
      }], "std::vector<double>", "getNoiseLevels", (ins "int64_t":$steps)>,
    InterfaceMethod<[{
        abar_n, n = 0 .. T-1, of a DDPM schedule; empty for any other.
      }], "std::vector<double>", "getAlphaBars">,
  ];
  let extraSharedClassDeclaration = [{
    bool isDiscrete() { return $_attr.getNumLevels() > 0; }
    /// t is sigma itself (ncsn, karras, sigmas).
    bool isSigmaTime() {
      return $_attr.getProcess().kind == ::tweedie::numerics::Process::Kind::SigmaTime;
    }
  }];
}

def Sampler_MethodAttrInterface : AttrInterface<"MethodAttrInterface"> {
  let cppNamespace = "::tweedie::sampler";
  let description = [{
    A sampling method with its options (DDIM with eta, Heun with churn, ...).
  }];
  let methods = [
    InterfaceMethod<"The name `tweedie-compile --sampler` uses.",
      "::llvm::StringRef", "getMethodName">,
    InterfaceMethod<[{
        Checks that the method can run on this schedule and parameterisation,
        reporting why not through `emitError`.
      }], "::mlir::LogicalResult", "verifyCompatibility",
      (ins "::tweedie::sampler::ScheduleAttrInterface":$schedule,
           "::tweedie::sampler::Parameterization":$prediction,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
  ];
}

#endif // TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERINTERFACES_TD
