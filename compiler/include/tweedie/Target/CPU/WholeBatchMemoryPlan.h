//===- WholeBatchMemoryPlan.h - liveness-based memory of a training step -===//
//
// A training step's values (forward activations, the backward pass's
// cotangents, the gradients) were each given their own memory: 2.6 GB for a
// unet28 step at batch 64, twice PyTorch's. Most cotangents live for a few
// ops. This plan places the values of a built training step or evaluation
// by liveness over its op list, first fit, in place of the builder's
// one-slot-per-value offsets.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CPU_WHOLEBATCHMEMORYPLAN_H
#define TWEEDIE_TARGET_CPU_WHOLEBATCHMEMORYPLAN_H

#include "tweedie/module/ModuleDesc.h"

namespace tweedie {

struct WholeBatchMemoryStats {
  int64_t arenaBytesBefore = 0, arenaBytesAfter = 0; // per example
  int64_t wholeBytesBefore = 0, wholeBytesAfter = 0;
};

/// Re-places desc's Arena and Whole values (desc.training must be set). Values
/// that share storage (views) stay together; the data, labels, loss, output
/// and gradients live through the whole run (the host writes or reads them
/// around it); two values share bytes only if no op sees both live, so no
/// kernel runs in place that did not before.
WholeBatchMemoryStats planWholeBatchMemory(module::ModuleDesc &desc);

} // namespace tweedie

#endif
