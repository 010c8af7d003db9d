//===- DeviceKernels.cpp - which layer kernels a module's ops launch ------===//
#include "tweedie/module/DeviceKernels.h"
#include "tweedie/module/ModuleDesc.h"

#include <algorithm>

namespace tweedie::module {

std::string LayerKernel::name() const {
  switch (kind) {
  case Kind::Epilogue:
    return std::string("tweedie_epilogue_") + activationName(act) + (bias ? "_bias" : "") +
           (residual ? "_residual" : "");
  case Kind::GroupStats:
    return "tweedie_group_stats";
  case Kind::GroupNorm:
    return std::string("tweedie_group_norm_") + activationName(act);
  case Kind::Gather:
    return "tweedie_gather";
  case Kind::Broadcast:
    return binary == Binary::Add ? "tweedie_broadcast_add" : "tweedie_broadcast_mul";
  case Kind::LangevinCorrector:
    return "tweedie_langevin_corrector";
  case Kind::ActGrad:
    return std::string(order == 2 ? "tweedie_act_grad2_" : "tweedie_act_grad_") +
           activationName(act);
  case Kind::MALAStep:
    return "tweedie_mala_step";
  case Kind::Scale:
    return "tweedie_scale";
  case Kind::AvgPool:
    return "tweedie_avg_pool";
  case Kind::Interpolate:
    return "tweedie_interpolate";
  case Kind::TimeEmbedding:
    return fourier ? "tweedie_time_embedding_fourier" : "tweedie_time_embedding_sinusoidal";
  case Kind::ReduceSum:
    return "tweedie_reduce_sum";
  case Kind::GroupNormGradSums:
    return "tweedie_group_norm_grad_sums";
  case Kind::GroupNormGradMap:
    return "tweedie_group_norm_grad_map";
  case Kind::GroupNormGradInput:
    return "tweedie_group_norm_grad_input";
  case Kind::GroupNormGradParams:
    return "tweedie_group_norm_grad_params";
  case Kind::AttentionRowStats:
    return "tweedie_attention_row_stats";
  case Kind::AttentionProbs:
    return "tweedie_attention_probs";
  case Kind::AttentionProbGrad:
    return "tweedie_attention_prob_grad";
  case Kind::AttentionRowWeighted:
    return "tweedie_attention_row_weighted";
  case Kind::AttentionScoreGrad:
    return "tweedie_attention_score_grad";
  case Kind::AttentionContract:
    return "tweedie_attention_contract";
  case Kind::RK45Widen:
    return "tweedie_rk45_widen";
  case Kind::RK45Stage:
    return "tweedie_rk45_stage";
  case Kind::RK45Time:
    return "tweedie_rk45_time";
  case Kind::RK45Begin:
    return "tweedie_rk45_begin";
  case Kind::RK45Control:
    return "tweedie_rk45_control";
  case Kind::RK45Accept:
    return "tweedie_rk45_accept";
  case Kind::RK45Initial:
    return "tweedie_rk45_initial";
  case Kind::RK45InitialStep:
    return "tweedie_rk45_initial_step";
  case Kind::RK45Finish:
    return "tweedie_rk45_finish";
  }
  return "tweedie_unknown_layer_kernel";
}

namespace {

bool present(const OpDesc &op, size_t i) {
  return i < op.operands.size() && op.operands[i] >= 0;
}

/// The kernels op launches besides its library call, if any.
std::vector<LayerKernel> kernelsOf(const OpDesc &op) {
  using K = LayerKernel::Kind;
  switch (op.kind) {
  case OpKind::Dense:
  case OpKind::Conv2D: {
    // [x, w, bias?, residual?]: the matmul or convolution is the library's;
    // everything after it is one kernel, unless there is nothing after it.
    const bool bias = present(op, 2), residual = present(op, 3);
    if (!bias && !residual && op.act == Activation::None)
      return {};
    return {{K::Epilogue, op.act, bias, residual}};
  }
  case OpKind::Act:
    return {{K::Epilogue, op.act, false, false}};
  case OpKind::GroupNorm:
    return {{K::GroupStats}, {K::GroupNorm, op.act}};
  case OpKind::LayerNorm: // group norm of one group over the last axis
    return {{K::GroupStats}, {K::GroupNorm, Activation::None}};
  case OpKind::Scale:
    return {{K::Scale}};
  case OpKind::AvgPool:
    return {{K::AvgPool}};
  case OpKind::Slice:
    return {{K::Gather}};
  case OpKind::Add:
  case OpKind::Mul: {
    LayerKernel k{K::Broadcast};
    k.binary = op.kind == OpKind::Add ? LayerKernel::Binary::Add : LayerKernel::Binary::Mul;
    return {k};
  }
  case OpKind::LangevinCorrector:
    return {{K::LangevinCorrector}};
  case OpKind::Broadcast:
    return {{K::Gather}};
  case OpKind::ActGrad: {
    LayerKernel k{K::ActGrad, op.act};
    k.order = op.ints.empty() ? 1 : static_cast<int>(op.ints[0]);
    return {k};
  }
  case OpKind::MALAStep:
    return {{K::MALAStep}};
  case OpKind::Transpose:
  case OpKind::Upsample:
    return {{K::Gather}};
  case OpKind::Attention: // softmax(q k^T) v by the softmax's probabilities
    return {{K::AttentionRowStats}, {K::AttentionProbs}, {K::AttentionContract}};
  case OpKind::Interpolate:
    return {{K::Interpolate}};
  case OpKind::TimeEmbedding: {
    LayerKernel k{K::TimeEmbedding};
    k.fourier = present(op, 1);
    return {k};
  }
  case OpKind::ReduceSum:
    return {{K::ReduceSum}};
  case OpKind::GroupNormGrad:
    return {{K::GroupNormGradSums},
            {K::GroupNormGradMap},
            {K::GroupNormGradInput},
            {K::GroupNormGradParams}};
  case OpKind::AttentionGrad:
    return {{K::AttentionRowStats},    {K::AttentionProbs},     {K::AttentionProbGrad},
            {K::AttentionRowWeighted}, {K::AttentionScoreGrad}, {K::AttentionContract}};
  default:
    return {};
  }
}

} // namespace

std::vector<LayerKernel> layerKernelsOf(const ModuleDesc &desc) {
  std::vector<LayerKernel> kernels;
  if (desc.integrator) {
    using K = LayerKernel::Kind;
    for (K k : {K::RK45Widen, K::RK45Stage, K::RK45Time, K::RK45Begin, K::RK45Control,
                K::RK45Accept, K::RK45Initial, K::RK45InitialStep, K::RK45Finish})
      kernels.push_back({k});
  }
  for (const OpDesc &op : desc.body)
    for (const LayerKernel &k : kernelsOf(op))
      if (std::find(kernels.begin(), kernels.end(), k) == kernels.end())
        kernels.push_back(k);
  return kernels;
}

} // namespace tweedie::module
