//===- MemoryPlan.h - arena offsets of a sampler loop -----------*- C++ -*-===//
#ifndef TWEEDIE_TRANSFORMS_MEMORYPLAN_H
#define TWEEDIE_TRANSFORMS_MEMORYPLAN_H

#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"

#include "llvm/ADT/DenseMap.h"

namespace tweedie {

/// Attribute names the planner writes and the module builder reads.
inline constexpr llvm::StringLiteral kSlotsAttr = "sampler.slots";
inline constexpr llvm::StringLiteral kIterSlotsAttr = "sampler.iter_slots";
inline constexpr llvm::StringLiteral kArenaBytesAttr = "sampler.arena_bytes_per_sample";
inline constexpr llvm::StringLiteral kUnplannedBytesAttr =
    "sampler.unplanned_bytes_per_sample";

/// Arena placement is 64-byte aligned per sample (so at any batch).
inline constexpr int64_t kArenaAlignment = 64;

struct LoopMemoryPlan {
  /// Per-sample byte offset of every per-sample tensor of the loop body
  /// (results and iteration arguments); aliases share their source's offset.
  llvm::DenseMap<mlir::Value, int64_t> offsets;
  /// The values that own space (aliases excluded), in allocation order.
  llvm::SmallVector<mlir::Value> values;
  int64_t bytesPerSample = 0;
  int64_t unplannedBytesPerSample = 0;
};

/// Per-sample bytes of a [B, ...] f32 tensor, or std::nullopt when `type` is
/// not a tensor with a dynamic leading (batch) dim and static others.
std::optional<int64_t> perSampleBytes(mlir::Type type);

/// The single-block body of a sampler.loop or a sampler.ode_integrate, or
/// null for any other op.
mlir::Block *plannedBody(mlir::Operation *op);

/// The body arguments that hold per-sample state for the whole body (a
/// loop's carried values, an integrator's state and time), in the order of
/// kIterSlotsAttr; the loop's step index is not one.
mlir::Block::BlockArgListType carriedArguments(mlir::Operation *op);

/// Plans the body of a sampler.loop or sampler.ode_integrate; fails with a
/// diagnostic on a tensor whose only dynamic dim is not the leading one.
mlir::FailureOr<LoopMemoryPlan> planBodyMemory(mlir::Operation *op);

} // namespace tweedie

#endif
