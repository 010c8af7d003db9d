//===- ElementCount.h - a tensor's element count from untrusted dims ------===//
//
// Every reader multiplies dims it read from a file. A product that wraps around
// 64 bits can look small (2^40 x 2^40 x 2^16 is 0 mod 2^64) and then pass a size
// check it should fail, so the product is taken with overflow checks and bounded.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_IO_ELEMENTCOUNT_H
#define TWEEDIE_IO_ELEMENTCOUNT_H

#include <cstdint>
#include <optional>
#include <span>

namespace tweedie::io {

/// The product of dims, or nullopt when a dim is negative or the product of the
/// nonzero dims exceeds `limit` (checked at every partial product, so nothing wraps;
/// a zero dim does not excuse absurd others).
template <typename Dim>
std::optional<uint64_t> elementCount(std::span<const Dim> dims, uint64_t limit) {
  uint64_t count = 1;
  bool empty = false;
  for (Dim d : dims) {
    if (d < 0)
      return std::nullopt;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count) || count > limit)
      return std::nullopt;
  }
  return empty ? 0 : count;
}

} // namespace tweedie::io

#endif
