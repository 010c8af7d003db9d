//===- DenseLayer.cpp -------------------------------------------------------===//
#include "cpu/DenseLayer.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

namespace {

/// The row count whose preferred weight layout is used for every batch. oneDNN
/// picks the layout per problem; one packed copy needs one choice.
constexpr int64_t kLayoutRows = 16;

dnnl::matmul::primitive_desc describe(CpuContext &context, int64_t rows, int64_t in,
                                      int64_t out, const memory::desc &weights,
                                      bool bias, const Epilogue &epilogue) {
  memory::desc src({rows, in}, f32, tag::ab), dst({rows, out}, f32, tag::ab);
  memory::desc biasDesc = bias ? memory::desc({1, out}, f32, tag::ab) : memory::desc();
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, biasDesc, dst),
                                      epilogueAttr(epilogue, dst), context.engine);
}
} // namespace

DenseLayer::DenseLayer(CpuContext &context, int64_t in, int64_t out,
                       std::span<const float> weights, std::span<const float> bias,
                       Epilogue epilogue)
    : in_(in), out_(out), epilogue_(epilogue) {
  if (static_cast<int64_t>(weights.size()) != in * out ||
      (!bias.empty() && static_cast<int64_t>(bias.size()) != out))
    throw std::invalid_argument("dense layer: " + std::to_string(weights.size()) +
                                " weights and " + std::to_string(bias.size()) +
                                " biases do not fit [" + std::to_string(in) + ", " +
                                std::to_string(out) + "]");
  auto pd = describe(context, kLayoutRows, in, out, memory::desc({in, out}, f32, tag::any),
                     !bias.empty(), epilogue);
  packedWeights_ = prepack(context, memory::desc({in, out}, f32, tag::ab), weights.data(),
                           pd.weights_desc());
  if (!bias.empty())
    bias_ = ownedCopy(context, memory::desc({1, out}, f32, tag::ab), bias);
}

void DenseLayer::run(CpuContext &context, int64_t rows, const float *x, float *y,
                     const float *residual, const float *bias) {
  if (epilogue_.residual != (residual != nullptr))
    throw std::invalid_argument("dense layer: residual given/expected mismatch");
  memory src({{rows, in_}, f32, tag::ab}, context.engine, const_cast<float *>(x));
  memory dst({{rows, out_}, f32, tag::ab}, context.engine, y);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, packedWeights_}, {DNNL_ARG_DST, dst}};
  if (bias_)
    args[DNNL_ARG_BIAS] = biasArg(context, bias_, bias);
  if (residual)
    addResidualArg(args, epilogue_,
                   memory({{rows, out_}, f32, tag::ab}, context.engine,
                          const_cast<float *>(residual)));
  context.execute(primitives_.get(rows,
                                  [&] {
                                    return describe(context, rows, in_, out_,
                                                    packedWeights_.get_desc(),
                                                    static_cast<bool>(bias_), epilogue_);
                                  }),
                  std::move(args));
}

} // namespace tweedie::cpu
