//===- SolveExpansion.h - pieces the solve expansions share -----*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H
#define TWEEDIE_TRANSFORMS_SOLVEEXPANSION_H

#include "tweedie/Dialect/Sampler/IR/SamplerAttrs.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"

#include "tweedie/Dialect/Score/IR/ScoreOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <optional>
#include <string>
#include <vector>

namespace tweedie {

/// The prior: standard normal `noise` times `std` (a score.mul by a scalar
/// constant, the form the CPU backend reads as the module's prior scale), or
/// `noise` itself when std is 1.
mlir::Value scalePrior(mlir::OpBuilder &b, mlir::Location loc, mlir::Value noise, double std);

/// The training steps, noisiest first, that the `steps` steps of a solve on a
/// DDPM schedule of T steps start from: its spacing (linspace, leading or
/// trailing) shifted by its steps_offset.
std::vector<int64_t> solveTimesteps(sampler::SolveOp op, int64_t T);

/// Scalar functions of the per-sample time, as [B, 1, ..., 1] tensors that
/// broadcast against the state.
class TimeExpr {
public:
  TimeExpr(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type)
      : b(b), loc(loc), type(type) {}

  mlir::Value scale(mlir::Value x, double c) {
    return b.create<score::MulOp>(loc, type, x, constant(c));
  }
  mlir::Value shift(mlir::Value x, double c) {
    return b.create<score::AddOp>(loc, type, x, constant(c));
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) { return b.create<score::MulOp>(loc, type, x, y); }
  mlir::Value add(mlir::Value x, mlir::Value y) { return b.create<score::AddOp>(loc, type, x, y); }
  mlir::Value act(score::ActKind kind, mlir::Value x) {
    return b.create<score::ActOp>(loc, kind, x);
  }
  mlir::Value reciprocal(mlir::Value x) { return act(score::ActKind::reciprocal, x); }

private:
  mlir::Value constant(double c) {
    auto scalar = mlir::RankedTensorType::get({1}, b.getF32Type());
    return b.create<mlir::arith::ConstantOp>(
        loc, mlir::DenseElementsAttr::get(scalar, b.getF32FloatAttr(c).getValue()));
  }

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::RankedTensorType type;
};

/// A process's coefficients at time t. Null values are known constants:
/// alpha = 1, drift = 0.
struct Coefficients {
  mlir::Value alpha, sigma, sigmaSq, drift, diffusionSq;
};

/// alpha, sigma, sigma^2, f and g^2 of a continuous schedule (vp, subvp, ve;
/// a sigma schedule's t is sigma itself) at the per-sample times `t`, as IR
/// from the schedule's process.
Coefficients coefficientsOf(sampler::ScheduleAttrInterface schedule, mlir::Value t, TimeExpr &e);

/// The probability-flow ODE's interval (the schedule's), or why the adaptive
/// solvers cannot integrate this schedule (DDPM tables; a sigma of 0).
mlir::FailureOr<numerics::TimeInterval>
flowIntervalOf(sampler::ScheduleAttrInterface schedule, std::string &why);

/// The probability-flow velocity dy/dt = f y - g^2/2 score at y, written
/// through the network's prediction p at (y, t) and the coefficients at t.
mlir::Value probabilityFlowVelocity(sampler::Parameterization prediction,
                                    const Coefficients &c, mlir::Value y, mlir::Value p,
                                    TimeExpr &e, mlir::OpBuilder &b, mlir::Location loc);

/// The network's output at (x, t) with its body cloned in at the builder's
/// point rather than called: for functions the autodiff differentiates,
/// which takes no calls.
inline mlir::Value cloneNetworkAt(mlir::OpBuilder &b, mlir::func::FuncOp network, mlir::Value x,
                                  mlir::Value t) {
  mlir::IRMapping map;
  map.map(network.getArgument(0), x);
  map.map(network.getArgument(1), t);
  mlir::Block &source = network.getBody().front();
  for (mlir::Operation &op : source.without_terminator())
    b.clone(op, map);
  return map.lookup(source.getTerminator()->getOperand(0));
}

/// The attribute that marks `@<net>_score` as an energy's score (its value
/// names the energy network).
inline constexpr llvm::StringLiteral kEnergyScoreAttr = "sampler.energy_score";

/// `@<net>_grad`, returning (E, grad_x E), made by the autodiff on first use
/// and shared by every later one; an error at `user` when the name is taken.
mlir::FailureOr<mlir::func::FuncOp> energyInputGradient(mlir::func::FuncOp network,
                                                        mlir::Operation *user);

/// `@<net>_score(x, t) = -grad_x E(x, t)`: an energy network as a score
/// network, which every sampler takes.
mlir::FailureOr<mlir::func::FuncOp> energyScoreFunction(mlir::func::FuncOp network,
                                                        mlir::Operation *user);

/// The conditioning input of a Langevin chain at the schedule's smallest
/// noise level (what `langevin` and `mala` run at); failure with `why` set
/// when the schedule has none.
mlir::FailureOr<double> langevinConditioning(sampler::SolveOp op, std::string &why);

} // namespace tweedie

#endif
