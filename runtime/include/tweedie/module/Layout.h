//===- Layout.h - how a value's elements lie in memory -------------------===//
//
// A value is stored row-major over its full shape [N, C, d...] (an arena
// value's batch included), or, when ValueDesc::channelsLast is set, over
// [N, d..., C]: the channel axis moved last (NHWC for images). Kernels that
// index by axis (broadcasts, concatenation, slices, sums, transposes) run on
// the physical shape with their axes mapped through physicalAxis; purely
// elementwise kernels need neither.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_MODULE_LAYOUT_H
#define TWEEDIE_MODULE_LAYOUT_H

#include <cstdint>
#include <vector>

namespace tweedie::module {

/// Logical axes in the order they lie in memory: the identity, or for
/// channels last (rank >= 3) 0, 2, ..., rank - 1, 1.
inline std::vector<int64_t> physicalOrder(size_t rank, bool channelsLast) {
  std::vector<int64_t> order;
  for (size_t a = 0; a < rank; ++a)
    order.push_back(static_cast<int64_t>(a));
  if (channelsLast && rank >= 3) {
    order.erase(order.begin() + 1);
    order.push_back(1);
  }
  return order;
}

/// The shape as it lies in memory.
inline std::vector<int64_t> physicalShape(const std::vector<int64_t> &full, bool channelsLast) {
  std::vector<int64_t> out;
  for (int64_t a : physicalOrder(full.size(), channelsLast))
    out.push_back(full[static_cast<size_t>(a)]);
  return out;
}

/// Where logical axis `axis` of a rank-`rank` value lies in memory.
inline int64_t physicalAxis(int64_t axis, size_t rank, bool channelsLast) {
  if (!channelsLast || rank < 3 || axis == 0)
    return axis;
  return axis == 1 ? static_cast<int64_t>(rank) - 1 : axis - 1;
}

/// Whether both layouts put a full shape's elements in the same order: fewer
/// than three axes, one channel, or a single element per channel and sample.
inline bool layoutIsTrivial(const std::vector<int64_t> &full) {
  if (full.size() < 3 || full[1] == 1)
    return true;
  int64_t spatial = 1;
  for (size_t a = 2; a < full.size(); ++a)
    spatial *= full[a];
  return spatial == 1;
}

} // namespace tweedie::module

#endif
