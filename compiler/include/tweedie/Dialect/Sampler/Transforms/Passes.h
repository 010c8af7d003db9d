//===- Passes.h - the sampler dialect's passes ---*- C++ -*-===//
#ifndef TWEEDIE_DIALECT_SAMPLER_TRANSFORMS_PASSES_H
#define TWEEDIE_DIALECT_SAMPLER_TRANSFORMS_PASSES_H

#include "tweedie/Dialect/Sampler/IR/SamplerDialect.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace tweedie {

/// sampler.solve -> sampler.loop of step ops (see --tweedie-expand-solve).
void populateExpandSolvePatterns(mlir::RewritePatternSet &patterns);
/// Solves of continuous processes whose steps are linear stage schemes
/// (ODE solvers, Euler-Maruyama, Langevin); part of populateExpandSolvePatterns.
void populateExpandStageSchemePatterns(mlir::RewritePatternSet &patterns);
/// Why a solve of a stage-scheme method cannot be expanded (e.g. churn on a
/// VP schedule); empty when it can, or when it is not a stage scheme at all.
std::string whyStageSchemeFails(sampler::SolveOp op);
/// rk45 solves -> sampler.ode_integrate with the probability-flow velocity as
/// IR; part of populateExpandSolvePatterns.
void populateExpandAdaptiveSolvePatterns(mlir::RewritePatternSet &patterns);
/// Why an rk45 solve cannot be expanded; empty when it can or is not rk45.
std::string whyAdaptiveSolveFails(sampler::SolveOp op);
/// sampler.likelihood -> sampler.ode_integrate of the augmented flow [x, l];
/// part of populateExpandSolvePatterns.
void populateExpandLikelihoodPatterns(mlir::RewritePatternSet &patterns);
/// Makes @<net>_flow_probe and its input gradient, which the expansion of
/// `op` calls (before the patterns run: patterns add no functions).
mlir::LogicalResult prepareLikelihoodProbe(sampler::LikelihoodOp op);
/// Why a likelihood cannot be expanded; empty when it can.
std::string whyLikelihoodFails(sampler::LikelihoodOp op);
/// mala solves of energy networks -> a Metropolis-adjusted Langevin loop;
/// part of populateExpandSolvePatterns.
void populateExpandMALAPatterns(mlir::RewritePatternSet &patterns);
/// Why a mala solve cannot be expanded; empty when it can or is not mala.
std::string whyMALAFails(sampler::SolveOp op);

/// Linear step ops -> sampler.affine_step, folding parameterisation
/// conversions in (see --tweedie-fuse-steps).
void populateFuseStepPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_DECL
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"

} // namespace tweedie

#endif
