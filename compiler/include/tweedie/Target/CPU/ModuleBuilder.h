//===- ModuleBuilder.h - planned IR + weights -> a runtime module -*- C++ -*-===//
#ifndef TWEEDIE_TARGET_MODULEBUILDER_H
#define TWEEDIE_TARGET_MODULEBUILDER_H

#include "tweedie/Reference/Interpreter.h"
#include "tweedie/module/ModuleDesc.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace tweedie {

/// Translates a planned sampler function (phase `cpu`: hoisted, fused, memory
/// planned, kernels outlined) into the runtime's module description. Weights
/// come from `params`; the precomputed time tables are evaluated here, in
/// float64, and rounded once. The function must have the form
/// `precompute* ; sampler.loop (init = the noise argument) ; return`.
/// Failures are diagnostics at the offending op. With `channelsLast`, values
/// that meet convolutions are stored channels last where every kernel that
/// touches them can read it (Target/CPU/ChannelsLast.h); without, all plain.
mlir::FailureOr<module::ModuleDesc> buildModuleDesc(mlir::func::FuncOp entry,
                                                    reference::ParamProvider params,
                                                    bool channelsLast = true);

/// Translates a gradient function (--tweedie-autodiff of a loss over (data,
/// seed, step)) into a training step: loss and weight gradients, the weights'
/// initial values from `params`. The result lives in memory (a module file
/// holds samplers only).
mlir::FailureOr<module::ModuleDesc> buildTrainingDesc(mlir::func::FuncOp entry,
                                                      reference::ParamProvider params,
                                                      bool channelsLast = true);

/// A batch evaluation of a network (x [B, ...]) -> [B, ...]: the training
/// step's executor runs it once, no loss and no gradients (TrainingDesc's
/// `output` names the result).
mlir::FailureOr<module::ModuleDesc> buildEvaluationDesc(mlir::func::FuncOp entry,
                                                        reference::ParamProvider params,
                                                        bool channelsLast = true);

} // namespace tweedie

#endif
