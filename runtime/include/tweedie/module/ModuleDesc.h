//===- ModuleDesc.h - a compiled sampler as plain data ------------------===//
//
// What `tweedie-compile` writes and the runtime executes, independent of the
// file encoding: the compiler fills one of these and serialises it
// (writeModule); the runtime parses and verifies a file into one (readModule).
// No MLIR, no FlatBuffers types in this header.
//
// The ops, their operands and attributes are declared once: the kinds in
// Ops.def, the attribute layouts in OpAttrs.h. Operands are value indices,
// -1 for an absent optional operand.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_MODULE_MODULEDESC_H
#define TWEEDIE_MODULE_MODULEDESC_H

#include "tweedie/Activation.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tweedie::module {

/// The file format version the compiler writes.
// 2: prior_scale, 3: extra states, 4: adaptive integrator, 5: energy gradients and MALA,
// 6: the sigmoid activation, 7: scale, 8: channels-last values, 9: CUDA kernels (PTX)
inline constexpr uint32_t kFormatVersion = 9;

/// The oldest version this runtime reads. The compatibility policy: from
/// version 5 on the schema only grows. A new version may append op kinds,
/// activations and fields (with defaults that mean what older files meant),
/// never renumber, remove or reinterpret one; so a runtime reads every
/// version from this one to its own, and a file of any other version is
/// refused with a message naming both. A change that cannot be additive
/// raises this number, and the note of the change says so.
inline constexpr uint32_t kOldestReadableVersion = 5;

/// Whole: a training step's batch-free value, `offset` bytes into its own
/// buffer (a module file never holds one).
enum class ValueKind : uint8_t { Arena = 0, Constant = 1, TableRow = 2, Whole = 3 };

/// An op that takes any number of operands from its required count on.
inline constexpr int kVariadic = -1;

enum class OpKind : uint16_t {
#define TWEEDIE_OP(Kind, name, operands, optional) Kind,
#include "tweedie/module/Ops.def"
};
/// The kinds a module file may hold (Ops.def's TWEEDIE_FILE_OP, the first ones).
inline constexpr uint16_t kNumOpKinds = 0
#define TWEEDIE_FILE_OP(Kind, name, operands, optional) +1
#include "tweedie/module/Ops.def"
    ;
/// Every kind, training steps' included.
inline constexpr uint16_t kNumAllOpKinds = 0
#define TWEEDIE_OP(Kind, name, operands, optional) +1
#include "tweedie/module/Ops.def"
    ;

/// Ops.def's name of the kind ("conv2d"), "unknown" out of range.
const char *opKindName(OpKind kind);

/// How many operands a kind requires, and how many more it may take
/// (kVariadic: any number).
struct OperandCounts {
  int required = 0, optional = 0;
};
OperandCounts operandCounts(OpKind kind);

/// Activations are listed once, in tweedie/Activations.def.
using Activation = tweedie::Activation;

struct ValueDesc {
  ValueKind kind = ValueKind::Arena;
  /// Arena: per-sample shape (no batch). Constant: full shape. TableRow: row shape.
  std::vector<int64_t> shape;
  /// Arena: per-sample byte offset. Constant / TableRow: constant index.
  int64_t offset = 0;
  /// Stored channels last: the full shape [N, C, d...] (an arena value's
  /// batch included) lies in memory as [N, d..., C] (NHWC for images). The
  /// compiler picks it where convolutions would otherwise reorder at their
  /// edges (compiler/lib/Target/CPU/ChannelsLast.cpp); kernels read it
  /// through physicalShape and physicalAxis (module/Layout.h).
  bool channelsLast = false;

  int64_t numel() const;
};

struct OpDesc {
  OpKind kind = OpKind::Copy;
  std::vector<int32_t> operands;
  int32_t result = -1;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  Activation act = Activation::None;
  std::string kernel;
};

/// A Randn op that draws the signs of its normals (Rademacher probes).
inline bool drawsSigns(const OpDesc &op) {
  return op.kind == OpKind::Randn && op.ints.size() > 1 && op.ints[1] != 0;
}

/// The generated kernels as PTX text for one GPU architecture ("sm_80").
struct CudaKernelsDesc {
  std::string arch, ptx;
};

struct ConstantDesc {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// An adaptive integrator (Dormand-Prince RK45) in place of the step loop:
/// the body computes the velocity `nextState` of `state` at the per-sample
/// times in arena value `time` ([] per sample), and the runtime integrates
/// each sample from tStart to tEnd in at most `steps` steps.
struct IntegratorDesc {
  int32_t time = -1;
  double tStart = 1.0, tEnd = 0.0, rtol = 1e-5, atol = 1e-5;
  /// After the integration x <- finishX x + finishV v(x, tEnd) (a final
  /// denoising step); finishV = 0 leaves x as integrated.
  double finishX = 1.0, finishV = 0.0;
};

/// A training step in place of the sampler loop: the body runs once on a
/// batch of data (the `state` value) and computes the loss and the
/// gradient of every trainable constant. The same executor evaluates a
/// network once on a batch (a classifier's features): no loss, an output.
struct TrainingDesc {
  /// Bytes of the batch-free (Whole) values.
  int64_t wholeBytes = 0;
  /// The loss; -1 in an evaluation, which computes `output` instead.
  int32_t loss = -1;
  /// A classifier's one-hot labels, a second per-example input (-1: none).
  int32_t labels = -1;
  /// An evaluation's per-example result (-1 in a training step).
  int32_t output = -1;
  /// constants[parameters[k]] is trained; gradients[k] is its gradient's value.
  std::vector<int32_t> parameters, gradients;
};

struct ModuleDesc {
  std::string producer, entry;
  std::string network, method, schedule, prediction;
  std::vector<int64_t> sampleShape;
  int64_t steps = 0;
  int64_t arenaBytesPerSample = 0;
  /// The state starts as priorScale x standard normal noise.
  double priorScale = 1.0;
  /// > 0: a likelihood module. The caller's rows [x, 0] are integrated to
  /// [x_T, l] (an integrator from the data's end to the prior's), and
  /// log p(x) = log N(x_T; 0, likelihoodPriorStd^2 I) + l.
  double likelihoodPriorStd = 0.0;
  std::vector<ValueDesc> values;
  std::vector<OpDesc> body;
  int32_t state = -1, nextState = -1;
  /// Further loop-carried values (e.g. a multistep solver's previous
  /// prediction): each starts as a copy of the initial state and takes the
  /// value of nextExtraStates[k] after every step.
  std::vector<int32_t> extraStates, nextExtraStates;
  std::vector<ConstantDesc> constants;
  std::vector<std::byte> kernels;
  /// The same kernels for NVIDIA GPUs, one entry per architecture.
  std::vector<CudaKernelsDesc> cudaKernels;
  std::optional<IntegratorDesc> integrator;
  std::optional<TrainingDesc> training;

  int64_t sampleNumel() const;
};

/// The complete file image: header (magic, version, length, CRC-32) + payload.
std::vector<std::byte> serializeModule(const ModuleDesc &desc);

/// Parses and verifies a file image; throws io::FormatError naming `origin`
/// and what is wrong (bad header, checksum, structure, or an inconsistent
/// index, shape or range).
ModuleDesc parseModule(std::span<const std::byte> image, const std::string &origin);

/// The execution plan as text: values (arena offsets, constants, per-step
/// tables) and ops in order with operands, attributes and kernels.
std::string formatPlan(const ModuleDesc &desc);

/// Checks the cross-references of a description (also run by parseModule and
/// before serializeModule writes anything).
void verifyModule(const ModuleDesc &desc, const std::string &origin);

/// What both backends' whole-batch drivers (BatchExecutor, cuda::BatchProgram)
/// check before they run `desc` on batches of `batch`: a training step or
/// evaluation, a positive batch, then verifyModule. Throws
/// std::invalid_argument or io::FormatError naming the problem.
void verifyBatchModule(const ModuleDesc &desc, int64_t batch);
/// Throws std::invalid_argument unless `labels` are given exactly when the
/// step trains a classifier.
void checkBatchLabels(const ModuleDesc &desc, const float *labels);

} // namespace tweedie::module

#endif
