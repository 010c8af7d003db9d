//===- Autodiff.cpp - reverse-mode differentiation of score functions -----===//
//
// @f_grad is a copy of @f (the forward pass) followed by the backward pass:
// the ops in reverse order, each asked for its operands' cotangents through
// VJPOpInterface, cotangents of a value used twice summed. The seed is a
// tensor of ones shaped like the result, so the gradient is that of the sum
// of the result's elements. Nothing here knows any op: the rules live with
// the ops (dialects/lib/Score/ScoreVJPs.cpp). A fused op a rule emitted (a
// DecomposableOpInterface) is written as primitive ops before it is
// differentiated again.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Autodiff/Autodiff.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Autodiff/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <map>

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEAUTODIFF
#include "tweedie/Autodiff/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;

namespace {

/// A tensor of `value` shaped like `like` (a broadcast constant, so it works
/// for a dynamic batch too).
Value filledLike(OpBuilder &b, Location loc, Value like, double value) {
  auto scalar = RankedTensorType::get({1}, getElementTypeOrSelf(like.getType()));
  Value c = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(scalar, b.getFloatAttr(scalar.getElementType(), value)));
  return b.create<score::BroadcastOp>(loc, c, like);
}

/// A zero tensor of a static type.
Value zerosOf(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 0.0)));
}

struct AutodiffPass : tweedie::impl::TweedieAutodiffBase<AutodiffPass> {
  using TweedieAutodiffBase::TweedieAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(function);
    if (!fn) {
      module.emitError("--tweedie-autodiff: no func.func @") << function;
      return signalPassFailure();
    }
    bool params = wrt.empty();
    SmallVector<int64_t> args;
    for (const std::string &w : wrt) {
      // argN: N parsed without exceptions (this code is built without them).
      StringRef entry(w);
      unsigned index = 0;
      if (entry == "params") {
        params = true;
      } else if (entry.consume_front("arg") && !entry.getAsInteger(10, index) &&
                 index < fn.getNumArguments()) {
        args.push_back(index);
      } else {
        fn.emitError("--tweedie-autodiff: wrt entry '")
            << w << "' is neither 'params' nor argN with N < " << fn.getNumArguments();
        return signalPassFailure();
      }
    }
    if (failed(createGradientFunction(fn, params, args)))
      signalPassFailure();
  }
};

} // namespace

FailureOr<func::FuncOp> tweedie::createGradientFunction(func::FuncOp fn, bool params,
                                                     ArrayRef<int64_t> args) {
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("autodiff: @") << fn.getSymName() << " must have one block";
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1 || !isa<RankedTensorType>(ret.getOperand(0).getType()) ||
      cast<RankedTensorType>(ret.getOperand(0).getType()).getRank() < 1)
    return fn.emitError("autodiff: @")
           << fn.getSymName() << " must return one tensor of rank >= 1 (the loss)";

  OpBuilder b(fn);
  b.setInsertionPointAfter(fn);
  auto grad = cast<func::FuncOp>(b.clone(*fn));
  grad.setSymName((fn.getSymName() + "_grad").str());
  grad->removeAttr("sampler.schedule");
  grad->removeAttr("sampler.prediction");
  Block &body = grad.getBody().front();
  auto gradReturn = cast<func::ReturnOp>(body.getTerminator());
  Value loss = gradReturn.getOperand(0);
  Location loc = gradReturn.getLoc();

  // Fused backward kernels (a first-order gradient being differentiated
  // again) have no rule of their own: written as primitive ops first.
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
    if (auto composite = dyn_cast<score::DecomposableOpInterface>(op)) {
      b.setInsertionPoint(&op);
      op.replaceAllUsesWith(composite.decompose(b));
      op.erase();
    }

  // Forward ops in program order, collected before the backward pass adds any.
  SmallVector<Operation *> forward;
  for (Operation &op : body.without_terminator()) {
    if (isa<func::CallOp>(op))
      return op.emitError("autodiff: inline calls first (--inline)");
    forward.push_back(&op);
  }

  // Activity: the values that depend on a param (with `params`) or on a
  // differentiated argument. Only they take cotangents, so inactive inputs
  // (noise, table reads, the conditioning) need no rule and cost nothing.
  llvm::DenseSet<Value> active;
  for (int64_t index : args)
    active.insert(body.getArgument(index));
  for (Operation *op : forward) {
    bool depends = params && isa<score::ParamOp>(op);
    for (Value operand : op->getOperands())
      depends |= active.contains(operand);
    if (depends)
      active.insert(op->result_begin(), op->result_end());
  }

  b.setInsertionPoint(gradReturn);
  llvm::DenseMap<Value, Value> cotangent;
  auto accumulate = [&](Value v, Value g) {
    if (!active.contains(v))
      return;
    auto [it, inserted] = cotangent.try_emplace(v, g);
    if (!inserted)
      it->second = b.create<score::AddOp>(loc, it->second, g);
  };
  cotangent[loss] = filledLike(b, loc, loss, 1.0);

  for (Operation *op : llvm::reverse(forward)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(cotangent.lookup(r));
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any || isa<arith::ConstantOp>(op))
      continue;
    auto rule = dyn_cast<score::VJPOpInterface>(op);
    if (!rule)
      return op->emitError("autodiff: no reverse-mode rule for '")
             << op->getName() << "' yet";
    SmallVector<Value> operandGrads;
    if (failed(rule.emitVJP(b, resultGrads, operandGrads)))
      return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitError("autodiff: the rule of '")
             << op->getName() << "' gave " << operandGrads.size() << " cotangents for "
             << op->getNumOperands() << " operands";
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      if (g)
        accumulate(operand, g);
  }

  // The results: the loss, then the weights' gradients (summed over every
  // param op of a name), then the arguments'.
  SmallVector<Value> results{loss};
  SmallVector<Attribute> names;
  if (params) {
    std::map<std::string, size_t> slot;
    for (Operation *op : forward) {
      auto param = dyn_cast<score::ParamOp>(op);
      if (!param)
        continue;
      Value g = cotangent.lookup(param.getResult());
      if (!g)
        g = zerosOf(b, loc, param.getType());
      auto [it, inserted] = slot.try_emplace(param.getName().str(), results.size());
      if (inserted) {
        results.push_back(g);
        names.push_back(param.getNameAttr());
      } else {
        results[it->second] = b.create<score::AddOp>(loc, results[it->second], g);
      }
    }
  }
  for (int64_t index : args) {
    Value arg = body.getArgument(index);
    Value g = cotangent.lookup(arg);
    results.push_back(g ? g : filledLike(b, loc, arg, 0.0));
  }
  b.create<func::ReturnOp>(loc, results);
  gradReturn.erase();
  // A rule emits every operand's cotangent; those nobody reads (a weight's
  // when only the input gradient is asked for) are dropped here, users first.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  grad.setType(FunctionType::get(grad.getContext(), grad.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  grad->setAttr("score.gradient_params", b.getArrayAttr(names));
  grad->setAttr("score.gradient_args", b.getDenseI64ArrayAttr(args));
  return grad;
}
