//===- OpKernel.h - the CPU backend's kernel per op kind ------------------===//
//
// The CPU backend is a registry of kernels, one per op kind of Ops.def
// (kernels/KernelRegistry.cpp). A kernel is prepared once per executor from
// its op (weights prepacked, library objects built) and then run on a
// frame: where the values of one call live. Two drivers run them:
//
//   Program   the sampler loop: micro-batches of M samples, every step, the
//             constants fixed for the program's life (weights prepacked);
//   BatchExecutor whole batches, once per call (training steps, evaluations):
//             the trainable constants change between calls.
//
// A kind a driver cannot run has no kernel for it; preparing it throws,
// naming the op and the driver. The op's operands, shapes and attribute
// layout are checked before (module::verifyModule): kernels trust them.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_OPKERNEL_H
#define TWEEDIE_RUNTIME_CPU_OPKERNEL_H

#include "cpu/CpuContext.h"
#include "cpu/Elementwise.h"
#include "tweedie/module/Layout.h"
#include "tweedie/module/ModuleDesc.h"
#include "tweedie/module/OpAttrs.h"

#include <memory>
#include <span>
#include <vector>

namespace tweedie::cpu {

class KernelLibrary;

enum class Driver {
  /// The sampler loop: constants fixed, micro-batches of one size.
  Sampler,
  /// Training steps and evaluations: one whole batch, trainable constants.
  WholeBatch
};
const char *driverName(Driver driver);

/// Where the values of one call live, and what keys its noise.
struct Frame {
  const module::ModuleDesc &desc;
  CpuContext &context;
  /// `batch` rows of desc.arenaBytesPerSample bytes, value-major (a value's
  /// rows are contiguous at batch x its offset).
  float *arena = nullptr;
  /// Training's batch-free (Whole) values, or null.
  float *whole = nullptr;
  int64_t batch = 0;
  /// The loop step (per-step tables, noise) or the training step (noise).
  int64_t step = 0;
  uint64_t seed = 0;
  /// The stream index of row 0 (the noise of row r is sample firstRow + r's).
  int64_t firstRow = 0;

  float *pointer(int32_t value) const;
  /// [batch] ++ shape for arena values, the stored shape otherwise.
  Dims fullShape(int32_t value) const;
};

/// One op's operands inside a frame.
struct OpArgs {
  const Frame &frame;
  const module::OpDesc &op;

  /// Operand i's data; null for an absent optional operand.
  float *in(size_t i) const {
    return i < op.operands.size() && op.operands[i] >= 0 ? frame.pointer(op.operands[i])
                                                         : nullptr;
  }
  float *out() const { return frame.pointer(op.result); }
  Dims shape(size_t i) const { return frame.fullShape(op.operands[i]); }
  /// Operand i's per-sample shape as stored (no batch).
  const Dims &storedShape(size_t i) const { return frame.desc.values[op.operands[i]].shape; }
  Dims outShape() const { return frame.fullShape(op.result); }
  int64_t outCount() const;
  /// Whether operand i (the result) is stored channels last (module/Layout.h).
  bool channelsLast(size_t i) const { return frame.desc.values[op.operands[i]].channelsLast; }
  bool outChannelsLast() const { return frame.desc.values[op.result].channelsLast; }
  /// Operand i's full shape as it lies in memory, read in the result's layout
  /// after padding it with leading ones to the result's rank: how a
  /// broadcasting kernel lines it up (the compiler made the two agree).
  Dims physicalShapeLikeOut(size_t i) const;
  Dims physicalOutShape() const {
    return module::physicalShape(outShape(), outChannelsLast());
  }
  /// A per-step table row operand's data for this step, else null (a bias
  /// bound per step).
  const float *tableRow(size_t i) const;
};

class OpKernel {
public:
  virtual ~OpKernel() = default;
  virtual void run(const OpArgs &args) = 0;
};

/// What preparing a kernel may use.
struct KernelSetup {
  const module::ModuleDesc &desc;
  const module::OpDesc &op;
  Driver driver;
  /// The engine's context the prepared objects are built in.
  CpuContext &context;
  /// Rows of every call: the sampler's micro-batch or the whole batch.
  int64_t batch = 1;
  /// The module's generated kernels, or null.
  const KernelLibrary *library = nullptr;

  /// A constant value's data (a table row: its row 0); empty for -1.
  std::span<const float> constantData(int32_t value) const;
  int32_t operand(size_t i) const { return i < op.operands.size() ? op.operands[i] : -1; }
  const Dims &storedShape(size_t i) const { return desc.values[op.operands[i]].shape; }
  bool channelsLast(size_t i) const { return desc.values[op.operands[i]].channelsLast; }
  bool outChannelsLast() const { return desc.values[op.result].channelsLast; }
};

/// The kernel of setup.op for setup.driver. Throws std::invalid_argument
/// when this backend has none (naming the op and the driver).
std::unique_ptr<OpKernel> prepareKernel(const KernelSetup &setup);

/// A kernel from a function of the op's arguments (stateless kernels).
template <typename Fn> std::unique_ptr<OpKernel> kernelOf(Fn fn) {
  struct Stateless final : OpKernel {
    explicit Stateless(Fn f) : fn(std::move(f)) {}
    void run(const OpArgs &args) override { fn(args); }
    Fn fn;
  };
  return std::make_unique<Stateless>(std::move(fn));
}

/// The kernel factories, one per kind of Ops.def (kernels/*.cpp): each
/// returns null for a driver it does not serve.
#define TWEEDIE_OP(Kind, name, operands, optional)                                            \
  std::unique_ptr<OpKernel> prepare##Kind##Kernel(const KernelSetup &setup);
#include "tweedie/module/Ops.def"

} // namespace tweedie::cpu

#endif
