//===- Interpreter.h - run score-dialect functions in float64 ------------===//
#ifndef TWEEDIE_REFERENCE_INTERPRETER_H
#define TWEEDIE_REFERENCE_INTERPRETER_H

#include "tweedie/Reference/Tensor.h"

#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <memory>
#include <optional>
#include <variant>

namespace tweedie::io {
struct SafeTensorsFile;
}

namespace tweedie::reference {

/// Supplies the value of `score.param "name"` of the given static shape, or
/// std::nullopt when it has none (reported at the param op).
using ParamProvider =
    std::function<std::optional<Tensor>(llvm::StringRef name, const Shape &shape)>;

/// An argument of an interpreted function: a tensor, or an integer scalar (the
/// i64 seed or the index of the first sample of a sampler program).
using Argument = std::variant<Tensor, int64_t>;

/// Deterministic stand-in weights for a model without a checkpoint: uniform in
/// (-a, a) with a = 1/sqrt(fan_in) ([in, out] dense: in; [out, in, kh, kw]
/// conv: in kh kw), a = 0.1 for vectors; keyed by (seed, name) through Philox.
ParamProvider syntheticParams(uint64_t seed);

/// Weights by name from a checkpoint (any float dtype), as float64.
/// Weights by name from a .safetensors file (read from `source`); a tensor
/// of integers is refused with a message naming it.
ParamProvider checkpointParams(std::shared_ptr<const io::SafeTensorsFile> file,
                               std::string source);

/// Deterministic inputs for `fn`: dynamic dims bound to `batch`; rank-1
/// arguments (times / noise levels) uniform in (0, 1), other tensors standard
/// normal; i64 arguments (seeds) get `seed`, index arguments 0.
std::vector<Argument> syntheticInputs(mlir::func::FuncOp fn, int64_t batch,
                                      uint64_t seed);

/// Walks a function op by op, keeping every tensor as float64. Handles the
/// `score` dialect, sampler programs (sampler.loop, timestep, randn with the
/// runtime's noise stream, and the step ops), func.call/return and
/// arith.constant; anything else is an error at that op.
class Interpreter {
public:
  Interpreter(mlir::ModuleOp module, ParamProvider params);

  /// Runs `fn` on `inputs` (checked against its argument types). Errors are
  /// emitted as diagnostics at the offending op.
  mlir::FailureOr<std::vector<Tensor>> run(mlir::func::FuncOp fn,
                                           const std::vector<Argument> &inputs);

  /// The tables of a `sampler.precompute` (its body reads nothing from
  /// outside), one row per step: how hoisted time-only work gets its values.
  mlir::FailureOr<std::vector<Tensor>> tables(sampler::PrecomputeOp pre);

private:
  struct Env;
  mlir::FailureOr<std::vector<Tensor>> precompute(sampler::PrecomputeOp pre, Env *outer);
  /// Runs the ops of `block` up to its terminator and returns the
  /// terminator's operands (func.return / sampler.yield).
  mlir::FailureOr<std::vector<Tensor>> execute(mlir::Block &block, Env &env);
  mlir::LogicalResult execute(mlir::Operation &op, Env &env);
  mlir::FailureOr<Tensor> param(mlir::Operation *op, llvm::StringRef name,
                                const Shape &shape);

  mlir::ModuleOp module;
  ParamProvider params;
  llvm::StringMap<Tensor> paramCache;
  int depth = 0;
};

} // namespace tweedie::reference

#endif
