//===- ModuleBuilder.cpp - the runtime's view of a planned sampler --------===//
#include "tweedie/Target/CPU/ModuleBuilder.h"
#include "tweedie/Target/CPU/ChannelsLast.h"
#include "tweedie/Target/CPU/WholeBatchMemoryPlan.h"
#include "tweedie/module/OpAttrs.h"
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Dialect/Score/IR/ScoreOps.h"
#include "tweedie/Reference/FromDialects.h"
#include "tweedie/Reference/Kernels.h"
#include "tweedie/Target/CPU/Kernels.h"
#include "tweedie/Target/CPU/MemoryPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace tweedie {

namespace {

std::vector<float> toFloat(const std::vector<double> &values) {
  return std::vector<float>(values.begin(), values.end());
}

class Builder {
public:
  Builder(func::FuncOp entry, reference::ParamProvider params, bool channelsLast)
      : entry(entry), interpreter(entry->getParentOfType<ModuleOp>(), params),
        params(std::move(params)), channelsLast(channelsLast) {}

  FailureOr<module::ModuleDesc> build() {
    Block &body = entry.getBody().front();
    if (entry.getNumArguments() != 3 ||
        !isa<RankedTensorType>(entry.getArgument(0).getType()))
      return entry.emitError("a sampler entry takes (noise, seed, first_sample)");
    auto sampleType = cast<RankedTensorType>(entry.getArgument(0).getType());
    if (!perSampleBytes(sampleType))
      return entry.emitError("the noise must be [B, static dims...], got ") << sampleType;
    desc.sampleShape.assign(sampleType.getShape().begin() + 1, sampleType.getShape().end());
    desc.entry = entry.getSymName().str();
    desc.arenaBytesPerSample = 0;
    if (auto arena = entry->getAttrOfType<IntegerAttr>(kArenaBytesAttr))
      desc.arenaBytesPerSample = arena.getInt();
    if (auto prior = entry->getAttrOfType<FloatAttr>(sampler::kLikelihoodPriorStdAttr))
      desc.likelihoodPriorStd = prior.getValueAsDouble();

    // The one repeated body: a fixed-step loop or an adaptive integrator.
    Operation *loop = nullptr;
    Value prior = entry.getArgument(0);
    for (Operation &op : body) {
      if (isa<arith::ConstantOp>(op)) {
        continue; // materialised where an op reads it
      } else if (auto mul = dyn_cast<score::MulOp>(op); mul && !loop) {
        // The prior's scale: noise x [s] (expand-solve writes it for wide priors).
        std::optional<double> scale = scalarConstant(mul.getRhs());
        if (mul.getLhs() != entry.getArgument(0) || !scale || prior != entry.getArgument(0))
          return op.emitError("the CPU backend scales the prior noise by one scalar "
                              "constant before the loop, nothing else");
        desc.priorScale = *scale;
        prior = mul.getResult();
      } else if (auto pre = dyn_cast<sampler::PrecomputeOp>(op)) {
        if (failed(addTables(pre)))
          return failure();
      } else if (isa<sampler::LoopOp, sampler::OdeIntegrateOp>(op)) {
        if (loop)
          return op.emitError("the CPU backend runs one sampler.loop or "
                              "sampler.ode_integrate per entry");
        loop = &op;
      } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        if (!loop || ret.getNumOperands() != 1 || ret.getOperand(0) != loop->getResult(0))
          return ret.emitError("the entry must return the sampler.loop's result");
      } else {
        return op.emitError("the CPU backend runs entries of the form [noise x scale] "
                            "precompute* ; sampler.loop or sampler.ode_integrate ; return; '")
               << op.getName() << "' is not supported here yet";
      }
    }
    if (!loop)
      return entry.emitError("no sampler.loop in @") << entry.getSymName()
                                                     << " (run --tweedie-expand-solve)";
    if (llvm::any_of(loop->getOperands(), [&](Value init) { return init != prior; }))
      return loop->emitError("the loop must carry the (scaled) noise argument (and copies "
                             "of it), nothing else");
    if (!loop->hasAttr(kIterSlotsAttr))
      return loop->emitError("the loop has no memory plan (run --tweedie-plan-memory)");
    Block::BlockArgListType carried = carriedArguments(loop);
    auto state = valueOf(carried[0]);
    if (failed(state))
      return failure();
    desc.state = *state;
    if (auto integrate = dyn_cast<sampler::OdeIntegrateOp>(loop)) {
      // The body is the velocity; the runtime's integrator steps it.
      desc.steps = static_cast<int64_t>(integrate.getMaxSteps());
      auto time = valueOf(carried[1]);
      if (failed(time))
        return failure();
      desc.integrator = module::IntegratorDesc{
          *time, integrate.getTStart().convertToDouble(), integrate.getTEnd().convertToDouble(),
          integrate.getRtol().convertToDouble(), integrate.getAtol().convertToDouble()};
      if (std::optional<ArrayRef<double>> finish = integrate.getFinish()) {
        desc.integrator->finishX = (*finish)[0];
        desc.integrator->finishV = (*finish)[1];
      }
    } else {
      auto fixed = cast<sampler::LoopOp>(loop);
      desc.steps = static_cast<int64_t>(fixed.getSteps());
      stepIndex = fixed.getStepIndex();
      for (Value extra : carried.drop_front()) {
        auto slot = valueOf(extra);
        if (failed(slot))
          return failure();
        desc.extraStates.push_back(*slot);
      }
    }
    for (Operation &op : *plannedBody(loop))
      if (failed(translate(op)))
        return failure();
    finishLayouts();
    return std::move(desc);
  }

  /// What a training step and an evaluation share: one run over a batch
  /// whose first argument is the data.
  LogicalResult startBatchProgram() {
    training = true;
    auto sampleType = cast<RankedTensorType>(entry.getArgument(0).getType());
    desc.sampleShape.assign(sampleType.getShape().begin() + 1, sampleType.getShape().end());
    desc.entry = entry.getSymName().str();
    desc.steps = 1;
    desc.training.emplace();
    auto data = valueOf(entry.getArgument(0));
    if (failed(data))
      return failure();
    desc.state = desc.nextState = *data;
    return success();
  }

  /// A network on one batch: (x [B, ...]) -> [B, ...], run as a training
  /// step without loss or gradients.
  FailureOr<module::ModuleDesc> buildEvaluation() {
    training = true;
    if (entry.getNumArguments() != 1 || !perSampleBytes(entry.getArgument(0).getType()) ||
        entry.getNumResults() != 1 || !perSampleBytes(entry.getResultTypes()[0]))
      return entry.emitError("an evaluation maps one [B, static dims...] input to one "
                             "[B, static dims...] result");
    if (failed(startBatchProgram()))
      return failure();
    for (Operation &op : entry.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        auto output = valueOf(ret.getOperand(0));
        if (failed(output))
          return failure();
        desc.training->output = *output;
        continue;
      }
      if (failed(translate(op)))
        return failure();
    }
    desc.training->wholeBytes = wholeBytes;
    planWholeBatchMemory(desc);
    finishLayouts();
    return std::move(desc);
  }

  /// A training step: (data [B, ...], seed, step) -> (loss [1], gradients...)
  /// as --tweedie-autodiff writes it. Values are built one slot each, then
  /// placed by liveness (planWholeBatchMemory): the backward pass reads most
  /// forward values, but its cotangents live for a few ops each.
  FailureOr<module::ModuleDesc> buildTraining() {
    training = true;
    Block &body = entry.getBody().front();
    auto names = entry->getAttrOfType<ArrayAttr>("score.gradient_params");
    const unsigned arity = entry.getNumArguments();
    if ((arity != 3 && arity != 4) || !isa<RankedTensorType>(entry.getArgument(0).getType()) ||
        !entry.getArgument(1).getType().isInteger(64) || !entry.getArgument(2).getType().isIndex() ||
        (arity == 4 && !perSampleBytes(entry.getArgument(3).getType())))
      return entry.emitError("a training step takes (data, seed: i64, step: index) and, for a "
                             "classifier, labels [B, K]");
    if (!names || entry.getNumResults() != names.size() + 1)
      return entry.emitError("a training step returns the loss and the gradient of every "
                             "weight in score.gradient_params (run --tweedie-autodiff)");
    auto sampleType = cast<RankedTensorType>(entry.getArgument(0).getType());
    if (!perSampleBytes(sampleType))
      return entry.emitError("the data must be [B, static dims...], got ") << sampleType;
    if (failed(startBatchProgram()))
      return failure();
    if (arity == 4) {
      auto labels = valueOf(entry.getArgument(3));
      if (failed(labels))
        return failure();
      desc.training->labels = *labels;
    }
    for (Operation &op : body) {
      auto ret = dyn_cast<func::ReturnOp>(op);
      if (!ret) {
        if (failed(translate(op)))
          return failure();
        continue;
      }
      auto loss = valueOf(ret.getOperand(0));
      if (failed(loss))
        return failure();
      desc.training->loss = *loss;
      for (auto [name, gradient] : llvm::zip(names, ret.getOperands().drop_front())) {
        auto g = valueOf(gradient);
        if (failed(g))
          return failure();
        auto it = constantByName.find(cast<StringAttr>(name).str());
        if (it == constantByName.end())
          return ret.emitError("no score.param named '") << cast<StringAttr>(name).str() << "'";
        desc.training->parameters.push_back(it->second);
        desc.training->gradients.push_back(*g);
      }
    }
    desc.training->wholeBytes = wholeBytes;
    planWholeBatchMemory(desc);
    finishLayouts();
    return std::move(desc);
  }

private:
  void finishLayouts() {
    if (channelsLast)
      assignChannelsLast(desc, views);
  }

  /// Bytes rounded up to a cache line, so every value starts aligned.
  static int64_t aligned(int64_t bytes) { return (bytes + 63) / 64 * 64; }

  /// The value of a one-element float constant, if `v` is one.
  static std::optional<double> scalarConstant(Value v) {
    auto cst = v.getDefiningOp<arith::ConstantOp>();
    auto dense = cst ? dyn_cast<DenseFPElementsAttr>(cst.getValue()) : nullptr;
    if (!dense || dense.getNumElements() != 1)
      return std::nullopt;
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  }

  LogicalResult addTables(sampler::PrecomputeOp pre) {
    auto tables = interpreter.tables(pre);
    if (failed(tables))
      return failure();
    for (auto [k, table] : llvm::enumerate(*tables)) {
      std::vector<float> data = toFloat(table.data);
      std::vector<int64_t> shape = table.shape;
      // A table whose rows are all equal (a chain on a time that does not
      // change, as MALA's) is one constant row, not a row per step.
      const int64_t rows = shape.empty() ? 0 : shape[0];
      const size_t width = rows ? data.size() / rows : 0;
      bool uniform = rows > 0;
      for (int64_t r = 1; uniform && r < rows; ++r)
        uniform = std::equal(data.begin(), data.begin() + width, data.begin() + r * width);
      if (uniform) {
        data.resize(width);
        shape.erase(shape.begin());
        uniformTables.insert(pre.getResult(k));
      }
      // Equal tables (one hoisted chain, inlined twice) share a constant.
      auto same = llvm::find_if(desc.constants, [&](const module::ConstantDesc &c) {
        return c.name.starts_with("precompute.") && c.shape == shape && c.data == data;
      });
      if (same != desc.constants.end()) {
        tableConstant[pre.getResult(k)] = static_cast<int32_t>(same - desc.constants.begin());
        continue;
      }
      tableConstant[pre.getResult(k)] = static_cast<int32_t>(desc.constants.size());
      desc.constants.push_back({"precompute." + std::to_string(k), shape, std::move(data)});
    }
    return success();
  }

  /// A sampler's transpose of a weight (a dense layer's input gradient
  /// reads W^T) is a constant of the module, not work per step. Weights
  /// enter only here, as the module's constants, so this is the one fold the
  /// IR cannot do itself (a transposed arith.constant folds in
  /// TransposeOp::fold); training transposes its weights every step.
  bool foldsToConstant(score::TransposeOp op) const {
    return !training && isa_and_nonnull<score::ParamOp>(op.getInput().getDefiningOp());
  }

  FailureOr<int32_t> transposedConstant(score::TransposeOp op) {
    auto input = valueOf(op.getInput());
    if (failed(input))
      return failure();
    const module::ConstantDesc &source = desc.constants[desc.values[*input].offset];
    reference::Tensor x(source.shape, std::vector<double>(source.data.begin(), source.data.end()));
    auto permutation = op.getPermutation();
    reference::Result result =
        reference::transpose(x, reference::Shape(permutation.begin(), permutation.end()));
    if (!result.ok())
      return op.emitError(result.error());
    std::string name = source.name + ".transpose";
    for (int64_t p : permutation)
      name += "." + std::to_string(p);
    return constant(name, result.value().shape, std::move(result.value().data));
  }

  int32_t addValue(module::ValueDesc v) {
    desc.values.push_back(std::move(v));
    return static_cast<int32_t>(desc.values.size() - 1);
  }

  FailureOr<int32_t> constant(const std::string &name, const reference::Shape &shape,
                              std::vector<double> data) {
    auto it = constantByName.find(name);
    if (it == constantByName.end()) {
      it = constantByName.insert({name, static_cast<int32_t>(desc.constants.size())}).first;
      desc.constants.push_back({name, shape, toFloat(data)});
    }
    return addValue({module::ValueKind::Constant, shape, it->second});
  }

  /// The module value of an SSA value, created on first use.
  FailureOr<int32_t> valueOf(Value v) {
    if (auto it = values.find(v); it != values.end())
      return it->second;
    FailureOr<int32_t> index = create(v);
    if (succeeded(index))
      values[v] = *index;
    return index;
  }

  FailureOr<int32_t> create(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    Operation *def = v.getDefiningOp();
    if (training && !isa_and_nonnull<score::ParamOp, arith::ConstantOp>(def)) {
      if (std::optional<int64_t> bytes = perSampleBytes(type)) {
        shape.erase(shape.begin());
        const int64_t offset = desc.arenaBytesPerSample;
        desc.arenaBytesPerSample += aligned(*bytes);
        return addValue({module::ValueKind::Arena, shape, offset});
      }
      if (type.hasStaticShape()) {
        const int64_t offset = wholeBytes;
        wholeBytes += aligned(type.getNumElements() * 4);
        return addValue({module::ValueKind::Whole, shape, offset});
      }
    }
    if (auto t = dyn_cast_or_null<score::TransposeOp>(def); t && foldsToConstant(t))
      return transposedConstant(t);
    if (perSampleBytes(type)) {
      int64_t offset = -1;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        // The planner's iteration slots follow carriedArguments' order.
        Operation *owner = arg.getOwner()->getParentOp();
        auto slots = owner->getAttrOfType<DenseI64ArrayAttr>(kIterSlotsAttr);
        if (slots && plannedBody(owner)) {
          Block::BlockArgListType carried = carriedArguments(owner);
          auto it = llvm::find(carried, arg);
          if (it != carried.end() && static_cast<size_t>(it - carried.begin()) < slots.size())
            offset = slots[it - carried.begin()];
        }
      } else if (auto slots = def->getAttrOfType<DenseI64ArrayAttr>(kSlotsAttr)) {
        offset = slots[cast<OpResult>(v).getResultNumber()];
      }
      if (offset < 0) {
        Operation *at = def ? def : entry.getOperation();
        return at->emitError("value has no arena slot (run --tweedie-plan-memory)");
      }
      shape.erase(shape.begin());
      return addValue({module::ValueKind::Arena, shape, offset});
    }
    if (!type.hasStaticShape())
      return (def ? def : entry.getOperation())->emitError("unsupported dynamic shape ") << type;
    if (auto param = dyn_cast_or_null<score::ParamOp>(def)) {
      std::optional<reference::Tensor> value = params(param.getName(), shape);
      if (!value)
        return param.emitError("no value for weight '") << param.getName() << "'";
      if (value->shape != shape)
        return param.emitError("weight '")
               << param.getName() << "' has shape " << reference::formatShape(value->shape)
               << " but the IR declares " << reference::formatShape(shape);
      return constant(param.getName().str(), shape, std::move(value->data));
    }
    if (auto row = dyn_cast_or_null<sampler::TableRowOp>(def)) {
      auto it = tableConstant.find(row.getTable());
      if (it == tableConstant.end() || row.getStep() != stepIndex)
        return row.emitError("reads a table that is not a precompute result at the loop's step");
      if (uniformTables.contains(row.getTable()))
        return addValue({module::ValueKind::Constant, shape, it->second});
      return addValue({module::ValueKind::TableRow, shape, it->second});
    }
    if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def)) {
      auto dense = dyn_cast<DenseFPElementsAttr>(cst.getValue());
      if (!dense)
        return cst.emitError("only dense float constants reach the CPU backend");
      std::vector<double> data;
      for (const APFloat &f : dense.getValues<APFloat>())
        data.push_back(f.convertToDouble());
      std::string name = "constant." + std::to_string(desc.constants.size());
      return constant(name, shape, std::move(data));
    }
    return (def ? def : entry.getOperation())
        ->emitError("the CPU backend cannot place this value: ") << type;
  }

  /// An op's attributes written through their view (tweedie/module/OpAttrs.h).
  template <typename View> static module::OpDesc attrs(const View &view) {
    module::OpDesc d;
    view.write(d);
    return d;
  }

  /// Appends an op of `kind` whose ints and floats are those of `attributes`.
  LogicalResult emit(Operation *op, module::OpKind kind, ValueRange operands,
                     module::OpDesc attributes = {},
                     module::Activation act = module::Activation::None,
                     std::string kernel = {}, Value result = {}) {
    module::OpDesc d = std::move(attributes);
    d.kind = kind;
    d.act = act;
    d.kernel = std::move(kernel);
    for (Value v : operands) {
      if (!v) {
        d.operands.push_back(-1);
        continue;
      }
      auto index = valueOf(v);
      if (failed(index))
        return failure();
      d.operands.push_back(*index);
    }
    auto index = valueOf(result ? result : op->getResult(0));
    if (failed(index))
      return failure();
    d.result = *index;
    desc.body.push_back(std::move(d));
    return success();
  }

  /// The values of a multi-result op's results that something reads, -1 for
  /// the others, and the first one read (null when none is: the op is dead).
  FailureOr<Value> readResults(Operation *op, std::array<int64_t, 3> &indices) {
    Value first;
    for (auto [k, result] : llvm::enumerate(op->getResults())) {
      if (result.use_empty())
        continue;
      auto index = valueOf(result);
      if (failed(index))
        return failure();
      indices[k] = *index;
      if (!first)
        first = result;
    }
    return first;
  }

  static module::OpDesc intAttr(int64_t value) { return attrs(module::IntAttr{value}); }

  static module::OpDesc intList(llvm::ArrayRef<int64_t> values) {
    module::OpDesc d;
    d.ints.assign(values.begin(), values.end());
    return d;
  }

  /// conv2d and its gradients share stride, padding and groups.
  template <typename ConvOp> static module::Conv2DAttrs conv2dAttrs(ConvOp o) {
    auto stride = o.getStride(), padding = o.getPadding();
    return {{stride[0], stride[1]}, {padding[0], padding[1]}, static_cast<int64_t>(o.getGroups())};
  }

  LogicalResult translate(Operation &op) {
    using K = module::OpKind;
    return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
        .Case<score::ParamOp, arith::ConstantOp, sampler::TableRowOp>(
            [](Operation *) { return success(); }) // values, placed on use
        .Case([&](score::DenseOp o) {
          return emit(o, K::Dense, {o.getInput(), o.getWeight(), o.getBias(), o.getResidual()},
                      {}, reference::toActivation(o.getActivation()));
        })
        .Case([&](score::Conv2DOp o) {
          return emit(o, K::Conv2D, {o.getInput(), o.getWeight(), o.getBias(), o.getResidual()},
                      attrs(conv2dAttrs(o)), reference::toActivation(o.getActivation()));
        })
        .Case([&](score::GroupNormOp o) {
          return emit(o, K::GroupNorm, {o.getInput(), o.getGamma(), o.getBeta()},
                      attrs(module::GroupNormAttrs{static_cast<int64_t>(o.getGroups()),
                                                   o.getEpsilon().convertToDouble()}),
                      reference::toActivation(o.getActivation()));
        })
        .Case([&](score::LayerNormOp o) {
          return emit(o, K::LayerNorm, {o.getInput(), o.getGamma(), o.getBeta()},
                      attrs(module::LayerNormAttrs{o.getEpsilon().convertToDouble()}));
        })
        .Case([&](score::AttentionOp o) {
          return emit(o, K::Attention, {o.getQuery(), o.getKey(), o.getValue()},
                      attrs(module::AttentionAttrs{static_cast<int64_t>(o.getHeads())}));
        })
        .Case([&](score::ActOp o) {
          return emit(o, K::Act, {o.getInput()}, {}, reference::toActivation(o.getKind()));
        })
        .Case([&](score::ScaleOp o) {
          return emit(o, K::Scale, {o.getInput()},
                      attrs(module::ScaleAttrs{o.getFactor().convertToDouble(),
                                               o.getShift().convertToDouble()}));
        })
        .Case([&](score::AddOp o) { return emit(o, K::Add, {o.getLhs(), o.getRhs()}); })
        .Case([&](score::MulOp o) { return emit(o, K::Mul, {o.getLhs(), o.getRhs()}); })
        .Case([&](score::ConcatOp o) {
          return emit(o, K::Concat, o.getInputs(), intAttr(o.getAxis()));
        })
        .Case([&](score::UpsampleOp o) {
          return emit(o, K::Upsample, {o.getInput()}, intAttr(o.getScale()));
        })
        .Case([&](score::AvgPoolOp o) {
          auto k = o.getKernel(), s = o.getStride();
          return emit(o, K::AvgPool, {o.getInput()},
                      attrs(module::AvgPoolAttrs{{k[0], k[1]}, {s[0], s[1]}}));
        })
        .Case([&](score::TransposeOp o) -> LogicalResult {
          if (foldsToConstant(o))
            return success(); // a constant, placed on use
          return emit(o, K::Transpose, {o.getInput()}, intList(o.getPermutation()));
        })
        .Case([&](score::ReshapeOp o) -> LogicalResult {
          // The planner aliases a reshape with its source: same bytes, new shape.
          auto in = valueOf(o.getInput());
          if (failed(in))
            return failure();
          auto slots = o->getAttrOfType<DenseI64ArrayAttr>(kSlotsAttr);
          const module::ValueDesc &source = desc.values[*in];
          auto shape = cast<RankedTensorType>(o.getType()).getShape();
          if (source.kind == module::ValueKind::Arena &&
              (!slots || slots[0] == source.offset)) {
            values[o.getResult()] = addValue({module::ValueKind::Arena,
                                              std::vector<int64_t>(shape.begin() + 1, shape.end()),
                                              source.offset});
            views.push_back({*in, values[o.getResult()]});
            return success();
          }
          if (source.kind == module::ValueKind::Whole) {
            values[o.getResult()] = addValue(
                {module::ValueKind::Whole, std::vector<int64_t>(shape.begin(), shape.end()),
                 source.offset});
            views.push_back({*in, values[o.getResult()]});
            return success();
          }
          return emit(o, K::Copy, {o.getInput()});
        })
        .Case([&](sampler::RandnOp o) -> LogicalResult {
          if (failed(checkNoiseKey(o, o.getSeed(), o.getFirstSample(), o.getStep())))
            return failure();
          return emit(o, K::Randn, {},
                      attrs(module::RandnAttrs{o.getDrawAttr().getInt(), o.getRademacher()}));
        })
        .Case([&](sampler::RandUniformOp o) -> LogicalResult {
          if (failed(checkNoiseKey(o, o.getSeed(), o.getFirstSample(), o.getStep())))
            return failure();
          return emit(o, K::RandUniform, {}, intAttr(o.getDrawAttr().getInt()));
        })
        .Case([&](sampler::InterpolateOp o) {
          module::OpDesc table;
          module::InterpolateAttrs::write(table, o.getTable(), o.getDiscrete());
          return emit(o, K::Interpolate, {o.getU()}, std::move(table));
        })
        .Case([&](score::TimeEmbeddingOp o) {
          return emit(o, K::TimeEmbedding, {o.getTime(), o.getFrequencies()},
                      attrs(module::TimeEmbeddingAttrs{static_cast<int64_t>(o.getDim()),
                                                       o.getMaxPeriod().convertToDouble()}));
        })
        .Case([&](score::ReduceSumOp o) {
          return emit(o, K::ReduceSum, {o.getInput()}, intList(o.getAxes()));
        })
        .Case([&](score::BroadcastOp o) { return emit(o, K::Broadcast, {o.getInput(), o.getLike()}); })
        .Case([&](score::ActGradOp o) {
          return emit(o, K::ActGrad, {o.getInput(), o.getGrad()}, intAttr(o.getOrder()),
                      reference::toActivation(o.getKind()));
        })
        .Case([&](score::OuterSumOp o) { return emit(o, K::OuterSum, {o.getLhs(), o.getRhs()}); })
        .Case([&](score::SliceOp o) {
          return emit(o, K::Slice, {o.getInput()},
                      attrs(module::AxisRangeAttrs{static_cast<int64_t>(o.getAxis()),
                                                   static_cast<int64_t>(o.getOffset()),
                                                   static_cast<int64_t>(o.getSize())}));
        })
        .Case([&](score::PadOp o) {
          return emit(o, K::Pad, {o.getInput()},
                      attrs(module::AxisRangeAttrs{static_cast<int64_t>(o.getAxis()),
                                                   static_cast<int64_t>(o.getBefore()),
                                                   static_cast<int64_t>(o.getAfter())}));
        })
        .Case([&](score::Conv2DBackwardDataOp o) {
          return emit(o, K::Conv2DBackwardData, {o.getGrad(), o.getWeight()},
                      attrs(conv2dAttrs(o)));
        })
        .Case([&](score::Conv2DBackwardWeightOp o) {
          return emit(o, K::Conv2DBackwardWeight, {o.getInput(), o.getGrad()},
                      attrs(conv2dAttrs(o)));
        })
        .Case([&](score::AttentionGradOp o) -> LogicalResult {
          // One op writes every cotangent read (the softmax rows are
          // recomputed once).
          module::AttentionGradAttrs grads{static_cast<int64_t>(o.getHeads())};
          FailureOr<Value> first = readResults(o, grads.cotangents);
          if (failed(first) || !*first) // an error, or nothing reads it
            return failure(failed(first));
          return emit(o, K::AttentionGrad, {o.getQuery(), o.getKey(), o.getValue(), o.getGrad()},
                      attrs(grads), module::Activation::None, {}, *first);
        })
        .Case([&](score::GroupNormGradOp o) -> LogicalResult {
          // The statistics are recomputed once for all three cotangents.
          module::GroupNormGradAttrs grads{static_cast<int64_t>(o.getGroups()),
                                           o.getEpsilon().convertToDouble()};
          FailureOr<Value> first = readResults(o, grads.cotangents);
          if (failed(first) || !*first) // an error, or nothing reads it
            return failure(failed(first));
          return emit(o, K::GroupNormGrad, {o.getInput(), o.getGamma(), o.getGrad()},
                      attrs(grads), module::Activation::None, {}, *first);
        })
        .Case([&](sampler::AffineStepOp o) {
          module::OpDesc tables;
          module::AffineStepAttrs::write(tables, o.getA(), o.getB(), o.getC());
          std::string kernel;
          if (auto symbol = o->getAttrOfType<FlatSymbolRefAttr>(kKernelAttr))
            kernel = symbol.getValue().str();
          return emit(o, K::AffineStep, {o.getX(), o.getY(), o.getZ()}, std::move(tables),
                      module::Activation::None, std::move(kernel));
        })
        .Case([&](sampler::MALAStepOp o) {
          return emit(o, K::MALAStep,
                      {o.getX(), o.getProposal(), o.getEnergy(), o.getProposalEnergy(),
                       o.getScore(), o.getProposalScore(), o.getUniform()},
                      [&] {
                        module::OpDesc eta;
                        module::MALAStepAttrs::write(eta, o.getStepSize());
                        return eta;
                      }());
        })
        .Case([&](sampler::LangevinCorrectorOp o) {
          module::OpDesc alpha;
          module::LangevinCorrectorAttrs::write(alpha, o.getAlpha(), o.getSnr().convertToDouble());
          return emit(o, K::LangevinCorrector, {o.getX(), o.getScore(), o.getNoise()},
                      std::move(alpha));
        })
        .Case([&](sampler::YieldOp o) -> LogicalResult {
          for (auto [k, value] : llvm::enumerate(o.getValues())) {
            // A carried value copied from another carried value would be
            // overwritten before it is read: the runtime copies in order.
            if (isa<BlockArgument>(value) && k > 0)
              return o.emitError("the CPU backend cannot yield a carried value as another");
            auto next = valueOf(value);
            if (failed(next))
              return failure();
            if (k == 0)
              desc.nextState = *next;
            else
              desc.nextExtraStates.push_back(*next);
          }
          return success();
        })
        .Default([&](Operation *other) {
          if (training)
            return other->emitError("'") << other->getName()
                                         << "' has no CPU lowering in training steps yet";
          return other->emitError("'") << other->getName()
                                       << "' has no CPU lowering yet (the sampler loop "
                                          "may hold score ops, randn and fused steps)";
        });
  }

  /// Noise is keyed by the entry's seed and, in a sampler, the first sample
  /// and the loop step; in a training step by the row (first sample 0) and
  /// the training step.
  LogicalResult checkNoiseKey(Operation *op, Value seed, Value firstSample, Value step) {
    if (training) {
      auto first = firstSample.getDefiningOp<arith::ConstantIndexOp>();
      if (seed != entry.getArgument(1) || step != entry.getArgument(2) || !first ||
          first.value() != 0)
        return op->emitError("a training step draws noise keyed by its seed, the row and its "
                             "step only");
      return success();
    }
    // An adaptive body has no step: it draws at step 0, the same noise at
    // every evaluation (Hutchinson's probes, fixed along a trajectory).
    auto constantStep = step.getDefiningOp<arith::ConstantIndexOp>();
    const bool stepOk = stepIndex ? step == stepIndex
                                  : desc.integrator && constantStep && constantStep.value() == 0;
    if (seed != entry.getArgument(1) || firstSample != entry.getArgument(2) || !stepOk)
      return op->emitError("the CPU backend draws noise keyed by the entry's seed, "
                           "first sample and the loop step only (step 0 in an adaptive body)");
    return success();
  }

  func::FuncOp entry;
  reference::Interpreter interpreter;
  reference::ParamProvider params;
  module::ModuleDesc desc;
  Value stepIndex;
  bool training = false;
  bool channelsLast = true;
  int64_t wholeBytes = 0;
  std::vector<ValueView> views; // reshapes aliased with their sources
  llvm::DenseMap<Value, int32_t> values, tableConstant;
  llvm::DenseSet<Value> uniformTables;
  std::map<std::string, int32_t> constantByName;
};

} // namespace

FailureOr<module::ModuleDesc> buildModuleDesc(func::FuncOp entry,
                                              reference::ParamProvider params,
                                              bool channelsLast) {
  return Builder(entry, std::move(params), channelsLast).build();
}

FailureOr<module::ModuleDesc> buildTrainingDesc(func::FuncOp entry,
                                                reference::ParamProvider params,
                                                bool channelsLast) {
  return Builder(entry, std::move(params), channelsLast).buildTraining();
}

FailureOr<module::ModuleDesc> buildEvaluationDesc(func::FuncOp entry,
                                                  reference::ParamProvider params,
                                                  bool channelsLast) {
  return Builder(entry, std::move(params), channelsLast).buildEvaluation();
}

} // namespace tweedie
