//===- CpuContext.h - the oneDNN engine and stream of one session --------===//
#ifndef TWEEDIE_RUNTIME_CPU_CPUCONTEXT_H
#define TWEEDIE_RUNTIME_CPU_CPUCONTEXT_H

#include <oneapi/dnnl/dnnl.hpp>

#include <span>
#include <vector>
#include <unordered_map>

namespace tweedie::cpu {

/// What every CPU layer executes on. One per session: oneDNN streams are not
/// shared between host threads.
struct CpuContext {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};

  CpuContext() = default;
  /// Another stream on the same engine: for a worker thread running
  /// primitives created on `engine`.
  explicit CpuContext(const dnnl::engine &shared) : engine(shared), stream(shared) {}

  /// This context's scratch memory for a primitive (grown on demand). Every
  /// primitive runs in user scratchpad mode: oneDNN's own scratchpad would be
  /// shared by the worker threads executing the same primitive.
  dnnl::memory scratchpad(const dnnl::memory::desc &desc);

private:
  std::vector<std::byte> scratch_;
};

/// The scratchpad a primitive (built with withUserScratchpad) needs.
dnnl::memory::desc scratchpadDesc(const dnnl::primitive &primitive);

/// Attributes with `ops` as post-ops and the scratchpad provided per call.
dnnl::primitive_attr withUserScratchpad(const dnnl::post_ops &ops = {});

/// The activation fused into a layer's epilogue.
enum class Activation { None, SiLU, GELU, ReLU, Tanh, Softplus };

/// y = act(op(x) + bias) + residual: what the compiler's epilogue fusion folds
/// into one library call (oneDNN post-ops).
struct Epilogue {
  Activation activation = Activation::None;
  bool residual = false;
};

/// The post-ops of an epilogue whose residual, if any, has `residualDesc`.
dnnl::primitive_attr epilogueAttr(const Epilogue &epilogue,
                                  const dnnl::memory::desc &residualDesc);

/// Constant data (weights) reordered once from the caller's layout `user` into
/// the layout a primitive prefers; the caller's buffer is not kept.
dnnl::memory prepack(CpuContext &context, const dnnl::memory::desc &user, const float *data,
                     const dnnl::memory::desc &preferred);

/// A memory of `desc` owning a copy of `values` (biases, norm scales).
dnnl::memory ownedCopy(CpuContext &context, const dnnl::memory::desc &desc,
                       std::span<const float> values);

/// Adds the residual to a primitive's execution arguments under the post-op
/// index epilogueAttr gave it (after the activation, if there is one).
void addResidualArg(std::unordered_map<int, dnnl::memory> &args, const Epilogue &epilogue,
                    const dnnl::memory &residual);

} // namespace tweedie::cpu

#endif
