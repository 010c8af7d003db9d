//===- EnergyScore.cpp - an energy network's gradient and score ----------===//
//
// Energy networks E(x, t) enter samplers and objectives through their input
// gradient: the score is -grad_x E. Both are ordinary functions the autodiff
// writes once per network and every user shares (`@<net>_grad` returns
// (E, grad_x E); `@<net>_score` returns -grad_x E).
//
//===----------------------------------------------------------------------===//
#include "SolveExpansion.h"
#include "tweedie/Autodiff/Autodiff.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace tweedie;

FailureOr<func::FuncOp> tweedie::energyInputGradient(func::FuncOp network, Operation *user) {
  auto module = network->getParentOfType<ModuleOp>();
  std::string name = (network.getSymName() + "_grad").str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
    auto args = existing->getAttrOfType<DenseI64ArrayAttr>("score.gradient_args");
    auto params = existing->getAttrOfType<ArrayAttr>("score.gradient_params");
    if (args && args.asArrayRef() == ArrayRef<int64_t>{0} && params && params.empty())
      return existing;
    return user->emitOpError("needs @") << name << " for the energy's input gradient, but "
                                        << "that name is taken by another function";
  }
  return createGradientFunction(network, /*params=*/false, {0});
}

FailureOr<func::FuncOp> tweedie::energyScoreFunction(func::FuncOp network, Operation *user) {
  auto module = network->getParentOfType<ModuleOp>();
  std::string name = (network.getSymName() + "_score").str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
    if (existing->hasAttr(kEnergyScoreAttr))
      return existing;
    return user->emitOpError("needs @") << name << " for the energy's score, but that name "
                                        << "is taken by another function";
  }
  FailureOr<func::FuncOp> gradient = energyInputGradient(network, user);
  if (failed(gradient))
    return failure();

  // @<net>_score(x, t) = -(grad_x E)(x, t), typed like the state.
  Location loc = network.getLoc();
  Type state = network.getArgumentTypes()[0];
  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(*gradient);
  auto score =
      b.create<func::FuncOp>(loc, name, b.getFunctionType(network.getArgumentTypes(), {state}));
  score->setAttr(kEnergyScoreAttr, FlatSymbolRefAttr::get(network.getSymNameAttr()));
  score.setPrivate();
  Block *body = score.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value grad = b.create<func::CallOp>(loc, *gradient, body->getArguments()).getResult(1);
  TimeExpr e(b, loc, cast<RankedTensorType>(state));
  b.create<func::ReturnOp>(loc, e.scale(grad, -1.0));
  return score;
}
