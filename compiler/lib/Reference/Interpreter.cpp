//===- Interpreter.cpp - the float64 reference interpreter ----------------===//
#include "tweedie/Reference/Interpreter.h"
#include "tweedie/io/SafeTensors.h"
#include "tweedie/Reference/FromDialects.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Reference/SamplerSteps.h"

#include "tweedie/Dialect/Common/ShapeUtils.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Noise.h"
#include "tweedie/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace tweedie::reference {

namespace {

/// FNV-1a: turns a weight name into Philox key material.
uint64_t hashName(llvm::StringRef name) {
  uint64_t h = 1469598103934665603ull;
  for (char c : name)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

/// Uniforms in (0, 1) numbered by `index` under a 64-bit key.
double uniformAt(uint64_t key, uint64_t index) {
  PhiloxCounter counter = {static_cast<uint32_t>(index),
                           static_cast<uint32_t>(index >> 32), 0, 0};
  PhiloxKey k = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)};
  return uniformOpen01(philox4x32(counter, k)[0]);
}

double normalAt(uint64_t key, uint64_t index) {
  PhiloxCounter counter = {static_cast<uint32_t>(index),
                           static_cast<uint32_t>(index >> 32), 1, 0};
  PhiloxKey k = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)};
  PhiloxCounter bits = philox4x32(counter, k);
  return boxMuller(uniformOpen01(bits[0]), uniformOpen01(bits[1]))[0];
}

std::array<int64_t, 2> pair(ArrayRef<int64_t> values) { return {values[0], values[1]}; }

/// y = act(y) + residual: the epilogue fused into dense, conv2d and group_norm.
Result withEpilogue(Result y, std::optional<score::ActKind> activation,
                    const Tensor *residual) {
  if (!y.ok())
    return y;
  Tensor value = std::move(y.value());
  if (activation)
    value = activate(value, toActivation(*activation));
  if (residual)
    return add(value, *residual);
  return value;
}

} // namespace

ParamProvider syntheticParams(uint64_t seed) {
  return [seed](llvm::StringRef name, const Shape &shape) -> std::optional<Tensor> {
    Tensor t(shape);
    double fanIn = 1;
    if (shape.size() == 2)
      fanIn = static_cast<double>(shape[0]);
    else if (shape.size() == 4)
      fanIn = static_cast<double>(shape[1] * shape[2] * shape[3]);
    const double bound = shape.size() >= 2 ? 1.0 / std::sqrt(fanIn) : 0.1;
    const uint64_t key = hashName(name) ^ (seed * 0x9E3779B97F4A7C15ull);
    for (int64_t i = 0; i < t.numel(); ++i)
      t[i] = bound * (2.0 * uniformAt(key, i) - 1.0);
    return t;
  };
}

std::vector<Argument> syntheticInputs(func::FuncOp fn, int64_t batch, uint64_t seed) {
  std::vector<Argument> inputs;
  for (auto [index, type] : llvm::enumerate(fn.getArgumentTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor) { // i64 seed or index of the first sample
      inputs.push_back(type.isIndex() ? int64_t{0} : static_cast<int64_t>(seed));
      continue;
    }
    Shape shape;
    for (int64_t d : tensor.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? batch : d);
    Tensor t(shape);
    const uint64_t key = seed * 0x9E3779B97F4A7C15ull + index + 1;
    for (int64_t i = 0; i < t.numel(); ++i)
      t[i] = shape.size() == 1 ? uniformAt(key, i) : normalAt(key, i);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// Values of one function activation: tensors in float64, integer scalars
/// (seeds, step and sample indices) exactly.
/// A region (a loop body) sees the values of the regions around it through
/// `parent`; nothing is copied per iteration.
struct Interpreter::Env {
  llvm::DenseMap<Value, Tensor> tensors;
  llvm::DenseMap<Value, int64_t> integers;
  const Env *parent = nullptr;

  const Tensor &tensor(Value v) const {
    auto it = tensors.find(v);
    return it != tensors.end() ? it->second : parent->tensor(v);
  }
  const Tensor *optional(Value v) const { return v ? &tensor(v) : nullptr; }
  int64_t integer(Value v) const {
    auto it = integers.find(v);
    return it != integers.end() ? it->second : parent->integer(v);
  }
};

ParamProvider checkpointParams(std::shared_ptr<const io::SafeTensorsFile> file,
                               std::string source) {
  return [file, source](llvm::StringRef name, const Shape &) -> std::optional<Tensor> {
    auto it = file->tensors.find(name.str());
    if (it == file->tensors.end())
      return std::nullopt;
    // Integers are counters or indices, never weights: converting them would
    // compile a network nobody trained, without a word.
    const io::DType dtype = it->second.dtype;
    if (dtype != io::DType::F64 && dtype != io::DType::F32 && dtype != io::DType::F16 &&
        dtype != io::DType::BF16) {
      llvm::errs() << source << ": tensor '" << name << "' holds " << io::dtypeName(dtype)
                   << " integers; weights must be floating point (F64, F32, F16 or BF16)\n";
      return std::nullopt;
    }
    return Tensor(it->second.shape, it->second.toDouble());
  };
}

Interpreter::Interpreter(ModuleOp module, ParamProvider params)
    : module(module), params(std::move(params)) {}

FailureOr<Tensor> Interpreter::param(Operation *op, llvm::StringRef name,
                                     const Shape &shape) {
  auto cached = paramCache.find(name);
  if (cached != paramCache.end()) {
    if (cached->second.shape != shape)
      return op->emitError("weight '")
             << name << "' is used with shapes " << formatShape(cached->second.shape)
             << " and " << formatShape(shape);
    return cached->second;
  }
  std::optional<Tensor> value = params(name, shape);
  if (!value)
    return op->emitError("no value for weight '") << name << "'";
  if (value->shape != shape)
    return op->emitError("weight '")
           << name << "' has shape " << formatShape(value->shape) << " but the IR "
           << "declares " << formatShape(shape);
  return paramCache.insert({name, std::move(*value)}).first->second;
}

FailureOr<std::vector<Tensor>> Interpreter::run(func::FuncOp fn,
                                                const std::vector<Argument> &inputs) {
  if (fn.isExternal())
    return fn.emitError("cannot interpret external function @") << fn.getSymName();
  if (inputs.size() != fn.getNumArguments())
    return fn.emitError("@") << fn.getSymName() << " takes " << fn.getNumArguments()
                             << " arguments, got " << inputs.size() << " inputs";
  if (depth >= 64)
    return fn.emitError("call depth exceeds 64 (recursive network?)");
  Env env;
  for (auto [index, arg] : llvm::enumerate(fn.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type) {
      if (!std::holds_alternative<int64_t>(inputs[index]))
        return fn.emitError("input #") << index << " of @" << fn.getSymName()
                                       << " must be an integer (" << arg.getType() << ")";
      env.integers[arg] = std::get<int64_t>(inputs[index]);
      continue;
    }
    if (!std::holds_alternative<Tensor>(inputs[index]))
      return fn.emitError("input #") << index << " of @" << fn.getSymName()
                                     << " must be a tensor (" << type << ")";
    const Tensor &input = std::get<Tensor>(inputs[index]);
    bool matches = input.rank() == type.getRank();
    for (int64_t d = 0; matches && d < type.getRank(); ++d)
      matches = type.isDynamicDim(d) || type.getDimSize(d) == input.shape[d];
    if (!matches)
      return fn.emitError("input #")
             << index << " has shape " << formatShape(input.shape) << " but @"
             << fn.getSymName() << " expects " << tweedie::formatShape(type.getShape());
    env.tensors[arg] = input;
  }
  ++depth;
  auto results = execute(fn.getBody().front(), env);
  --depth;
  return results;
}

FailureOr<std::vector<Tensor>> Interpreter::precompute(sampler::PrecomputeOp pre,
                                                       Env *outer) {
  Block &body = pre.getBody().front();
  std::vector<Tensor> tables;
  for (int64_t i = 0; i < static_cast<int64_t>(pre.getSteps()); ++i) {
    Env inner;
    inner.parent = outer;
    inner.integers[body.getArgument(0)] = i;
    auto rows = execute(body, inner);
    if (failed(rows))
      return failure();
    if (i == 0)
      for (const Tensor &row : *rows) {
        Shape shape = {static_cast<int64_t>(pre.getSteps())};
        shape.insert(shape.end(), row.shape.begin(), row.shape.end());
        tables.emplace_back(shape);
        tables.back().data.clear();
      }
    for (auto [table, row] : llvm::zip(tables, *rows))
      table.data.insert(table.data.end(), row.data.begin(), row.data.end());
  }
  return tables;
}

FailureOr<std::vector<Tensor>> Interpreter::tables(sampler::PrecomputeOp pre) {
  return precompute(pre, nullptr);
}

FailureOr<std::vector<Tensor>> Interpreter::execute(Block &block, Env &env) {
  for (Operation &op : block) {
    if (isa<func::ReturnOp, sampler::YieldOp>(op)) {
      std::vector<Tensor> values;
      for (Value v : op.getOperands())
        values.push_back(env.tensor(v));
      return values;
    }
    if (failed(execute(op, env)))
      return failure();
  }
  return block.getParentOp()->emitError("block has no terminator");
}

LogicalResult Interpreter::execute(Operation &op, Env &env) {
  // Each case yields the op's single tensor result, or fails with a diagnostic.
  std::optional<Result> out;
  LogicalResult status = success();
  auto get = [&](Value v) -> const Tensor & { return env.tensor(v); };
  auto optional = [&](Value v) { return env.optional(v); };
  auto step = [&](Value index) { return static_cast<size_t>(env.integer(index)); };

  llvm::TypeSwitch<Operation *>(&op)
      // ---- score ----------------------------------------------------------
      .Case([&](score::ParamOp p) {
        auto value = param(p, p.getName(),
                           Shape(p.getType().getShape().begin(), p.getType().getShape().end()));
        if (failed(value))
          status = failure();
        else
          out = Result(*value);
      })
      .Case([&](score::DenseOp o) {
        out = withEpilogue(
            dense(get(o.getInput()), get(o.getWeight()), optional(o.getBias())),
            o.getActivation(), optional(o.getResidual()));
      })
      .Case([&](score::Conv2DOp o) {
        out = withEpilogue(conv2d(get(o.getInput()), get(o.getWeight()),
                                  optional(o.getBias()), pair(o.getStride()),
                                  pair(o.getPadding()), o.getGroups()),
                           o.getActivation(), optional(o.getResidual()));
      })
      .Case([&](score::AttentionOp o) {
        out = attention(get(o.getQuery()), get(o.getKey()), get(o.getValue()),
                        o.getHeads());
      })
      .Case([&](score::GroupNormOp o) {
        out = withEpilogue(groupNorm(get(o.getInput()), get(o.getGamma()),
                                     get(o.getBeta()), o.getGroups(),
                                     o.getEpsilon().convertToDouble()),
                           o.getActivation(), nullptr);
      })
      .Case([&](score::LayerNormOp o) {
        out = layerNorm(get(o.getInput()), get(o.getGamma()), get(o.getBeta()),
                        o.getEpsilon().convertToDouble());
      })
      .Case([&](score::ActOp o) {
        out = Result(activate(get(o.getInput()), toActivation(o.getKind())));
      })
      .Case([&](score::ScaleOp o) {
        Tensor y = get(o.getInput());
        const double a = o.getFactor().convertToDouble(), c = o.getShift().convertToDouble();
        for (double &v : y.data)
          v = a * v + c;
        out = Result(std::move(y));
      })
      .Case([&](score::AddOp o) { out = add(get(o.getLhs()), get(o.getRhs())); })
      .Case([&](score::MulOp o) { out = mul(get(o.getLhs()), get(o.getRhs())); })
      .Case([&](score::ConcatOp o) {
        std::vector<const Tensor *> inputs;
        for (Value v : o.getInputs())
          inputs.push_back(&get(v));
        out = concat(inputs, o.getAxis());
      })
      .Case([&](score::UpsampleOp o) {
        out = upsampleNearest(get(o.getInput()), o.getScale());
      })
      .Case([&](score::AvgPoolOp o) {
        out = avgPool2d(get(o.getInput()), pair(o.getKernel()), pair(o.getStride()));
      })
      .Case([&](score::ReshapeOp o) {
        // The one dynamic dim (if any) takes whatever the element count leaves.
        const Tensor &x = get(o.getInput());
        Shape shape(o.getType().getShape().begin(), o.getType().getShape().end());
        int64_t known = 1;
        for (int64_t d : shape)
          known *= ShapedType::isDynamic(d) ? 1 : d;
        for (int64_t &d : shape)
          if (ShapedType::isDynamic(d))
            d = known ? x.numel() / known : 0;
        out = reshape(x, shape);
      })
      .Case([&](score::TransposeOp o) {
        out = transpose(get(o.getInput()),
                        Shape(o.getPermutation().begin(), o.getPermutation().end()));
      })
      .Case([&](score::TimeEmbeddingOp o) {
        if (o.getKind() == score::EmbeddingKind::sinusoidal)
          out = sinusoidalEmbedding(get(o.getTime()), o.getDim(),
                                    o.getMaxPeriod().convertToDouble());
        else
          out = fourierEmbedding(get(o.getTime()), get(o.getFrequencies()));
      })
      // ---- score gradients -------------------------------------------------
      .Case([&](score::ActGradOp o) {
        out = activationGrad(get(o.getInput()), get(o.getGrad()), toActivation(o.getKind()),
                             static_cast<int>(o.getOrder()));
      })
      .Case([&](score::ReduceSumOp o) {
        out = reduceSum(get(o.getInput()), Shape(o.getAxes().begin(), o.getAxes().end()));
      })
      .Case([&](score::BroadcastOp o) {
        out = broadcastTo(get(o.getInput()), get(o.getLike()).shape);
      })
      .Case([&](score::OuterSumOp o) { out = outerSum(get(o.getLhs()), get(o.getRhs())); })
      .Case([&](score::SliceOp o) {
        out = slice(get(o.getInput()), o.getAxis(), o.getOffset(), o.getSize());
      })
      .Case([&](score::PadOp o) {
        out = pad(get(o.getInput()), o.getAxis(), o.getBefore(), o.getAfter());
      })
      .Case([&](score::Conv2DBackwardDataOp o) {
        out = conv2dBackwardData(get(o.getGrad()), get(o.getWeight()), get(o.getLike()).shape,
                                 pair(o.getStride()), pair(o.getPadding()), o.getGroups());
      })
      .Case([&](score::Conv2DBackwardWeightOp o) {
        out = conv2dBackwardWeight(get(o.getInput()), get(o.getGrad()), pair(o.getKernel()),
                                   pair(o.getStride()), pair(o.getPadding()), o.getGroups());
      })
      .Case([&](score::AttentionGradOp o) {
        std::array<Tensor, 3> grads = attentionGrad(get(o.getQuery()), get(o.getKey()),
                                                    get(o.getValue()), get(o.getGrad()),
                                                    o.getHeads());
        for (int i = 0; i < 3; ++i)
          env.tensors[o->getResult(i)] = std::move(grads[i]);
      })
      .Case([&](score::GroupNormGradOp o) {
        std::array<Tensor, 3> grads =
            groupNormGrad(get(o.getInput()), get(o.getGamma()), get(o.getGrad()), o.getGroups(),
                          o.getEpsilon().convertToDouble());
        for (int i = 0; i < 3; ++i)
          env.tensors[o->getResult(i)] = std::move(grads[i]);
      })
      // ---- sampler ----------------------------------------------------------
      .Case([&](sampler::LoopOp loop) {
        Block &body = loop.getBody().front();
        std::vector<Tensor> carried;
        for (Value init : loop.getInits())
          carried.push_back(get(init));
        for (int64_t i = 0; i < static_cast<int64_t>(loop.getSteps()); ++i) {
          Env inner;
          inner.parent = &env;
          inner.integers[body.getArgument(0)] = i;
          for (auto [arg, value] : llvm::zip(body.getArguments().drop_front(), carried))
            inner.tensors[arg] = std::move(value);
          auto next = execute(body, inner);
          if (failed(next)) {
            status = failure();
            return;
          }
          carried = std::move(*next);
        }
        for (auto [result, value] : llvm::zip(loop.getResults(), carried))
          env.tensors[result] = std::move(value);
      })
      .Case([&](sampler::PrecomputeOp pre) {
        auto tables = precompute(pre, &env);
        if (failed(tables)) {
          status = failure();
          return;
        }
        for (auto [result, value] : llvm::zip(pre.getResults(), *tables))
          env.tensors[result] = std::move(value);
      })
      .Case([&](sampler::TableRowOp o) {
        const Tensor &table = get(o.getTable());
        Shape shape(table.shape.begin() + 1, table.shape.end());
        size_t i = step(o.getStep());
        if (table.shape.empty() || static_cast<int64_t>(i) >= table.shape[0]) {
          status = o.emitError("step ") << i << " is outside the table";
          return;
        }
        int64_t rowSize = table.shape[0] ? table.numel() / table.shape[0] : 0;
        out = Result(Tensor(shape, std::vector<double>(table.data.begin() + i * rowSize,
                                                        table.data.begin() + (i + 1) * rowSize)));
      })
      .Case([&](sampler::TimeValueOp o) {
        out = Result(Tensor({1}, o.getValues()[step(o.getStep())]));
      })
      .Case([&](sampler::TimestepOp o) {
        const Tensor &like = get(o.getLike());
        out = Result(Tensor({like.shape[0]}, o.getValues()[step(o.getStep())]));
      })
      .Case([&](sampler::RandnOp o) {
        out = Result(standardNormal(get(o.getLike()).shape,
                                    static_cast<uint64_t>(env.integer(o.getSeed())),
                                    env.integer(o.getFirstSample()),
                                    env.integer(o.getStep()), o.getDrawAttr().getInt(),
                                    o.getRademacher()));
      })
      .Case([&](sampler::RandUniformOp o) {
        const int64_t rows = get(o.getLike()).shape[0];
        Tensor u({rows});
        const auto seed = static_cast<uint64_t>(env.integer(o.getSeed()));
        for (int64_t r = 0; r < rows; ++r)
          u[r] = static_cast<float>(
              tweedie::uniformAt(seed, static_cast<uint32_t>(env.integer(o.getFirstSample()) + r),
                        static_cast<uint32_t>(env.integer(o.getStep())),
                        static_cast<uint32_t>(o.getDrawAttr().getInt())));
        out = Result(std::move(u));
      })
      .Case([&](sampler::InterpolateOp o) {
        Tensor values = get(o.getU());
        ArrayRef<double> table = o.getTable();
        for (int64_t r = 0; r < values.numel(); ++r)
          values[r] = tableAt(table.data(), table.size(), values[r], o.getDiscrete());
        out = Result(std::move(values));
      })
      .Case([&](sampler::AncestralStepOp o) {
        size_t i = step(o.getStep());
        out = ancestralStep(get(o.getX()), get(o.getEps()), get(o.getNoise()),
                            o.getAlphaBar()[i], o.getAlphaBarPrev()[i],
                            o.getVariance() == sampler::AncestralVariance::posterior);
      })
      .Case([&](sampler::DDIMStepOp o) {
        size_t i = step(o.getStep());
        out = ddimStep(get(o.getX()), get(o.getEps()), optional(o.getNoise()),
                       o.getAlphaBar()[i], o.getAlphaBarPrev()[i],
                       o.getEta().convertToDouble());
      })
      .Case([&](sampler::AffineStepOp o) {
        size_t i = step(o.getStep());
        out = affineStep(get(o.getX()), get(o.getY()), optional(o.getZ()), o.getA()[i],
                         o.getB()[i], o.getC()[i]);
      })
      .Case([&](sampler::LangevinStepOp o) {
        out = langevinStep(get(o.getX()), get(o.getScore()), get(o.getNoise()),
                           o.getStepSize()[step(o.getStep())]);
      })
      .Case([&](sampler::MALAStepOp o) {
        out = malaStep(get(o.getX()), get(o.getProposal()), get(o.getEnergy()),
                       get(o.getProposalEnergy()), get(o.getScore()), get(o.getProposalScore()),
                       get(o.getUniform()), o.getStepSize()[step(o.getStep())]);
      })
      .Case([&](sampler::EulerMaruyamaStepOp o) {
        size_t i = step(o.getStep());
        out = eulerMaruyamaStep(get(o.getX()), get(o.getScore()), get(o.getNoise()),
                                o.getDrift()[i], o.getDiffusionSq()[i], o.getDt()[i]);
      })
      .Case([&](sampler::LangevinCorrectorOp o) {
        out = langevinCorrector(get(o.getX()), get(o.getScore()), get(o.getNoise()),
                                o.getAlpha()[step(o.getStep())],
                                o.getSnr().convertToDouble());
      })
      .Case([&](sampler::ReparameterizeOp o) {
        size_t i = step(o.getStep());
        out = reparameterize(get(o.getOutput()), get(o.getX()), toPrediction(o.getFrom()),
                             toPrediction(o.getTo()), o.getAlpha()[i], o.getSigma()[i]);
      })
      // ---- upstream ---------------------------------------------------------
      .Case([&](arith::ConstantOp o) {
        if (auto integer = dyn_cast<IntegerAttr>(o.getValue())) {
          env.integers[o.getResult()] = integer.getInt();
          return;
        }
        auto dense = dyn_cast<DenseFPElementsAttr>(o.getValue());
        if (!dense) {
          status = o.emitError("reference interpreter supports only dense float "
                               "tensor and integer scalar constants");
          return;
        }
        std::vector<double> values;
        for (const APFloat &v : dense.getValues<APFloat>())
          values.push_back(v.convertToDouble());
        auto shape = dense.getType().getShape();
        out = Result(Tensor(Shape(shape.begin(), shape.end()), std::move(values)));
      })
      .Case([&](func::CallOp call) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee) {
          status = call.emitError("unknown callee @") << call.getCallee();
          return;
        }
        std::vector<Argument> args;
        for (Value v : call.getOperands()) {
          if (isa<RankedTensorType>(v.getType()))
            args.push_back(get(v));
          else
            args.push_back(env.integer(v));
        }
        auto values = run(callee, args);
        if (failed(values)) {
          status = failure();
          return;
        }
        for (auto [result, value] : llvm::zip(call.getResults(), *values))
          env.tensors[result] = std::move(value);
      })
      .Default([&](Operation *other) {
        status = other->emitError("reference interpreter does not support '")
                 << other->getName() << "'";
      });

  if (failed(status))
    return failure();
  if (out) {
    if (!out->ok())
      return op.emitError("at run time: ") << out->error();
    env.tensors[op.getResult(0)] = std::move(out->value());
  }
  return success();
}

} // namespace tweedie::reference
