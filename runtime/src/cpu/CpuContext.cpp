//===- CpuContext.cpp -------------------------------------------------------===//
#include "cpu/CpuContext.h"

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

dnnl::memory biasArg(CpuContext &context, const dnnl::memory &bias, const float *override) {
  return override ? dnnl::memory(bias.get_desc(), context.engine, const_cast<float *>(override))
                  : bias;
}

dnnl::primitive_attr epilogueAttr(const Epilogue &epilogue,
                                  const dnnl::memory::desc &residualDesc) {
  using dnnl::algorithm;
  dnnl::post_ops ops;
  switch (epilogue.activation) {
  case Activation::None:
    break;
  case Activation::SiLU: // swish with alpha = 1: x sigmoid(x)
    ops.append_eltwise(1.f, algorithm::eltwise_swish, 1.f, 0.f);
    break;
  case Activation::GELU:
    ops.append_eltwise(1.f, algorithm::eltwise_gelu_erf, 0.f, 0.f);
    break;
  case Activation::ReLU:
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    break;
  case Activation::Tanh:
    ops.append_eltwise(1.f, algorithm::eltwise_tanh, 0.f, 0.f);
    break;
  case Activation::Softplus: // oneDNN 2.6's soft_relu is log(1 + e^x)
    ops.append_eltwise(1.f, algorithm::eltwise_soft_relu, 0.f, 0.f);
    break;
  case Activation::Exp:
    ops.append_eltwise(1.f, algorithm::eltwise_exp, 0.f, 0.f);
    break;
  case Activation::Log:
    ops.append_eltwise(1.f, algorithm::eltwise_log, 0.f, 0.f);
    break;
  case Activation::Sqrt:
    ops.append_eltwise(1.f, algorithm::eltwise_sqrt, 0.f, 0.f);
    break;
  case Activation::Square:
    ops.append_eltwise(1.f, algorithm::eltwise_square, 0.f, 0.f);
    break;
  case Activation::Sigmoid:
    ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f);
    break;
  case Activation::Reciprocal: // pow(x; alpha = 1, beta = -1) = x^-1
    ops.append_eltwise(1.f, algorithm::eltwise_pow, 1.f, -1.f);
    break;
  }
  if (epilogue.residual)
    ops.append_binary(algorithm::binary_add, residualDesc);
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

} // namespace tweedie::cpu
