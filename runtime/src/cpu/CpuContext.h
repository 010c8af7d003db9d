//===- CpuContext.h - the oneDNN engine and stream of one session --------===//
#ifndef TWEEDIE_RUNTIME_CPU_CPUCONTEXT_H
#define TWEEDIE_RUNTIME_CPU_CPUCONTEXT_H

#include "tweedie/Activation.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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

  /// Runs `primitive` on this context's stream with its scratchpad added to
  /// `args`, and waits.
  void execute(const dnnl::primitive &primitive, std::unordered_map<int, dnnl::memory> args);

  /// Runs a (cached) reorder primitive from `from` to `to` on this stream,
  /// and counts it.
  void reorder(const dnnl::reorder &primitive, const dnnl::memory &from,
               const dnnl::memory &to);

  /// Reorders run by reorder() since this context was made.
  int64_t reorders = 0;

  /// The staging buffers: what a layer holds in the layout its library call
  /// prefers, for the length of one op. Layers that run in the same op
  /// never share a slot; named here so that no two pick the same number.
  enum class Staging : size_t {
    Input,   // a convolution's activation (or its cotangent)
    Output,  // a convolution's result (or its cotangent)
    Weights, // a training convolution's weights (or their cotangent)
    Scores,  // the sampler attention's q k^T
  };

  /// This context's staging buffer `slot` of at least `bytes`, 64-byte
  /// aligned. Grown on first use, then reused.
  float *staging(Staging slot, size_t bytes);

private:
  struct AlignedBlock {
    std::unique_ptr<std::byte, void (*)(void *)> data{nullptr, std::free};
    size_t bytes = 0;
  };
  std::vector<std::byte> scratch_;
  std::vector<AlignedBlock> staging_;
};

/// Reorder primitives between the few pairs of layouts one layer meets, built
/// on first use and counted by the context. Not shared between threads (a
/// whole-batch layer runs on one).
class ReorderCache {
public:
  void run(CpuContext &context, const dnnl::memory &from, const dnnl::memory &to);

private:
  struct Entry {
    dnnl::memory::desc from, to;
    dnnl::reorder primitive;
  };
  std::vector<Entry> entries_;
};

/// Primitives of one layer, one per batch size (or row count), built on first
/// use. Worker threads share a layer: lookups are serialised, and a returned
/// primitive stays valid (std::map nodes never move).
template <typename Primitive> class PrimitiveCache {
public:
  Primitive &get(int64_t key,
                 const std::function<typename Primitive::primitive_desc()> &describe) {
    std::lock_guard lock(mutex_);
    auto it = primitives_.find(key);
    if (it == primitives_.end())
      it = primitives_.emplace(key, Primitive(describe())).first;
    return it->second;
  }

private:
  std::map<int64_t, Primitive> primitives_;
  std::mutex mutex_;
};

/// The bias argument of a layer built with `bias`: `override` (a per-step bias
/// table row) in its place when given.
dnnl::memory biasArg(CpuContext &context, const dnnl::memory &bias, const float *override);

/// Attributes with `ops` as post-ops and the scratchpad provided per call.
dnnl::primitive_attr withUserScratchpad(const dnnl::post_ops &ops = {});

using tweedie::Activation;

/// y = act(op(x) + bias) + residual: what the compiler's epilogue fusion folds
/// into one library call (oneDNN post-ops).
struct Epilogue {
  Activation activation = Activation::None;
  bool residual = false;
};

/// oneDNN's eltwise algorithm (and alpha, beta) computing an activation;
/// None has algorithm undef.
struct EltwiseOp {
  dnnl::algorithm algorithm = dnnl::algorithm::undef;
  float alpha = 0.f, beta = 0.f;
};
EltwiseOp eltwiseOf(Activation activation);

/// y = f(x) over `count` floats (in place when x == y) as one oneDNN eltwise:
/// vectorized exp and friends, the same arithmetic for every element whatever
/// the count. Primitives are built per count on first use.
class EltwiseActivation {
public:
  explicit EltwiseActivation(Activation activation) : activation_(activation) {}
  void run(CpuContext &context, const float *x, float *y, int64_t count);
  Activation activation() const { return activation_; }

private:
  Activation activation_;
  PrimitiveCache<dnnl::eltwise_forward> primitives_;
};

/// The post-ops of an epilogue whose residual, if any, has `residualDesc`
/// and is added by a binary post-op.
dnnl::primitive_attr epilogueAttr(const Epilogue &epilogue,
                                  const dnnl::memory::desc &residualDesc);
/// The post-ops of an epilogue whose residual, if any, is already in the
/// destination (a sum post-op: the form oneDNN's convolutions run fastest).
dnnl::primitive_attr epilogueAttrSummingDst(const Epilogue &epilogue);

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
