//===- SamplerInterfaces.td - schedule and method interfaces -*- tablegen -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERINTERFACES_TD
#define TWEEDIE_DIALECT_SAMPLER_IR_SAMPLERINTERFACES_TD

include "mlir/IR/OpBase.td"

def Sampler_ScheduleAttrInterface : AttrInterface<"ScheduleAttrInterface"> {
  let cppNamespace = "::tweedie::sampler";
  let description = [{
    A noise schedule: the forward process x_t = alpha(t) x_0 + sigma(t) eps.
    Later passes ask it for float64 coefficient tables.
  }];
  let methods = [
    InterfaceMethod<"The forward process family.",
      "::tweedie::sampler::ProcessKind", "getProcessKind">,
    InterfaceMethod<[{
        Number of discrete training timesteps or noise levels; 0 when the
        schedule is continuous in t or sigma.
      }], "int64_t", "getNumLevels">,
  ];
  let extraSharedClassDeclaration = [{
    bool isDiscrete() { return $_attr.getNumLevels() > 0; }
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
