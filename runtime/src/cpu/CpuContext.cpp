//===- CpuContext.cpp -------------------------------------------------------===//
#include "cpu/CpuContext.h"

#include <algorithm>

#include <new>

namespace tweedie::cpu {

dnnl::primitive_attr withUserScratchpad(const dnnl::post_ops &ops) {
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

namespace {
/// The scratchpad a primitive (built with withUserScratchpad) needs.
dnnl::memory::desc scratchpadDesc(const dnnl::primitive &primitive) {
  // Non-owning query of the primitive's own descriptor.
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(
      primitive.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
  return md ? dnnl::memory::desc(*md) : dnnl::memory::desc();
}
} // namespace

dnnl::memory CpuContext::scratchpad(const dnnl::memory::desc &desc) {
  const size_t bytes = desc.get_size();
  if (scratch_.size() < bytes)
    scratch_.resize(bytes);
  return dnnl::memory(desc, engine, scratch_.data());
}

void CpuContext::execute(const dnnl::primitive &primitive,
                         std::unordered_map<int, dnnl::memory> args) {
  args[DNNL_ARG_SCRATCHPAD] = scratchpad(scratchpadDesc(primitive));
  primitive.execute(stream, args);
  stream.wait();
}

float *CpuContext::staging(Staging slot, size_t bytes) {
  const auto index = static_cast<size_t>(slot);
  if (staging_.size() <= index)
    staging_.resize(index + 1);
  AlignedBlock &block = staging_[index];
  if (block.bytes < bytes) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    block.data.reset(static_cast<std::byte *>(std::aligned_alloc(64, rounded)));
    if (!block.data)
      throw std::bad_alloc();
    block.bytes = rounded;
  }
  return reinterpret_cast<float *>(block.data.get());
}

void CpuContext::reorder(const dnnl::reorder &primitive, const dnnl::memory &from,
                         const dnnl::memory &to) {
  // oneDNN's execute takes non-const handles; a reorder does not write `from`.
  primitive.execute(stream, const_cast<dnnl::memory &>(from), const_cast<dnnl::memory &>(to));
  ++reorders;
}

void ReorderCache::run(CpuContext &context, const dnnl::memory &from, const dnnl::memory &to) {
  const dnnl::memory::desc a = from.get_desc(), b = to.get_desc();
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry &e) { return e.from == a && e.to == b; });
  if (it == entries_.end())
    it = entries_.insert(entries_.end(),
                         Entry{a, b,
                               dnnl::reorder(dnnl::reorder::primitive_desc(context.engine, a,
                                                                           context.engine, b))});
  context.reorder(it->primitive, from, to);
}

dnnl::memory biasArg(CpuContext &context, const dnnl::memory &bias, const float *override) {
  return override ? dnnl::memory(bias.get_desc(), context.engine, const_cast<float *>(override))
                  : bias;
}

EltwiseOp eltwiseOf(Activation activation) {
  using dnnl::algorithm;
  switch (activation) {
  case Activation::None:
    break;
  case Activation::SiLU: // swish with alpha = 1: x sigmoid(x)
    return {algorithm::eltwise_swish, 1.f, 0.f};
  case Activation::GELU:
    return {algorithm::eltwise_gelu_erf, 0.f, 0.f};
  case Activation::ReLU:
    return {algorithm::eltwise_relu, 0.f, 0.f};
  case Activation::Tanh:
    return {algorithm::eltwise_tanh, 0.f, 0.f};
  case Activation::Softplus: // oneDNN 2.6's soft_relu is log(1 + e^x)
    return {algorithm::eltwise_soft_relu, 0.f, 0.f};
  case Activation::Exp:
    return {algorithm::eltwise_exp, 0.f, 0.f};
  case Activation::Log:
    return {algorithm::eltwise_log, 0.f, 0.f};
  case Activation::Sqrt:
    return {algorithm::eltwise_sqrt, 0.f, 0.f};
  case Activation::Square:
    return {algorithm::eltwise_square, 0.f, 0.f};
  case Activation::Sigmoid:
    return {algorithm::eltwise_logistic, 0.f, 0.f};
  case Activation::Reciprocal: // pow(x; alpha = 1, beta = -1) = x^-1
    return {algorithm::eltwise_pow, 1.f, -1.f};
  }
  return {};
}

namespace {
dnnl::post_ops activationPostOps(Activation activation) {
  dnnl::post_ops ops;
  if (activation != Activation::None) {
    const EltwiseOp op = eltwiseOf(activation);
    ops.append_eltwise(1.f, op.algorithm, op.alpha, op.beta);
  }
  return ops;
}
} // namespace

dnnl::primitive_attr epilogueAttr(const Epilogue &epilogue,
                                  const dnnl::memory::desc &residualDesc) {
  dnnl::post_ops ops = activationPostOps(epilogue.activation);
  if (epilogue.residual)
    ops.append_binary(dnnl::algorithm::binary_add, residualDesc);
  return withUserScratchpad(ops);
}

dnnl::primitive_attr epilogueAttrSummingDst(const Epilogue &epilogue) {
  dnnl::post_ops ops = activationPostOps(epilogue.activation);
  if (epilogue.residual)
    ops.append_sum(1.f);
  return withUserScratchpad(ops);
}

dnnl::memory prepack(CpuContext &context, const dnnl::memory::desc &user, const float *data,
                     const dnnl::memory::desc &preferred) {
  dnnl::memory source(user, context.engine, const_cast<float *>(data));
  dnnl::memory packed(preferred, context.engine);
  dnnl::reorder(source, packed).execute(context.stream, source, packed);
  context.stream.wait(); // `data` may go away once the constructor returns
  return packed;
}

dnnl::memory ownedCopy(CpuContext &context, const dnnl::memory::desc &desc,
                       std::span<const float> values) {
  dnnl::memory memory(desc, context.engine);
  std::copy(values.begin(), values.end(), static_cast<float *>(memory.get_data_handle()));
  return memory;
}

void addResidualArg(std::unordered_map<int, dnnl::memory> &args, const Epilogue &epilogue,
                    const dnnl::memory &residual) {
  const int index = epilogue.activation == Activation::None ? 0 : 1;
  args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1] = residual;
}

void EltwiseActivation::run(CpuContext &context, const float *x, float *y, int64_t count) {
  using dnnl::memory;
  const memory::desc desc({count}, memory::data_type::f32, memory::format_tag::a);
  auto &primitive = primitives_.get(count, [&] {
    const EltwiseOp op = eltwiseOf(activation_);
    return dnnl::eltwise_forward::primitive_desc(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, op.algorithm, desc,
                                    op.alpha, op.beta),
        withUserScratchpad(), context.engine);
  });
  context.execute(primitive, {{DNNL_ARG_SRC, memory(desc, context.engine, const_cast<float *>(x))},
                              {DNNL_ARG_DST, memory(desc, context.engine, y)}});
}

} // namespace tweedie::cpu
