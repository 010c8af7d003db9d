//===- ChannelsLast.h - which values a CPU module stores channels last ---===//
//
// oneDNN's convolutions run on NHWC activations without reordering them; on
// plain NCHW they reorder input, output and residual at every call (60
// reorders per unet28 step, 13% of its time). This pass picks, for a built
// module, the values stored channels last (module/Layout.h): every value
// whose kernels can read both layouts and which reaches a convolution, in
// groups that must agree (an elementwise op's operands, a view and its
// source, a group norm's input and output). A group that meets anything
// which reads plain layout only (dense layers, attention, the noise, the
// host's inputs and outputs, stored constants) stays plain, unless both
// layouts put its elements in the same order (one channel, or one element
// per channel).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TARGET_CPU_CHANNELSLAST_H
#define TWEEDIE_TARGET_CPU_CHANNELSLAST_H

#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <span>
#include <utility>

namespace tweedie {

/// A value that shares its source's bytes under another shape (a reshape the
/// builder aliased): (source, view).
using ValueView = std::pair<int32_t, int32_t>;

/// Sets ValueDesc::channelsLast on desc's values (a sampler, training step or
/// evaluation) and returns how many it set.
int64_t assignChannelsLast(module::ModuleDesc &desc, std::span<const ValueView> views);

} // namespace tweedie

#endif
