//===- OpProfile.h - where a sampling job's time goes, per op kind --------===//
//
// Filled when a job asks for it (tweedie-bench sample, tweedie-train
// --profile): the sampler loop or the batch executor times each op and
// counts the layout reorders it ran. Times are summed over
// the worker threads (thread seconds, not wall time).
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CPU_OPPROFILE_H
#define TWEEDIE_RUNTIME_CPU_OPPROFILE_H

#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <map>
#include <string>

namespace tweedie::cpu {

struct OpProfile {
  struct Entry {
    double seconds = 0;
    int64_t calls = 0;
  };
  /// By op kind ("conv2d"); a generated kernel counts as "kernel".
  std::map<std::string, Entry> byKind;
  /// oneDNN reorders run between layouts while sampling (not the prepacking).
  int64_t reorders = 0;
  /// Micro-batch steps (or integrator stages) the times cover.
  int64_t bodyRuns = 0;

  /// The kind `op` is counted under.
  static std::string kindOf(const module::OpDesc &op) {
    return op.kernel.empty() ? module::opKindName(op.kind) : "kernel";
  }
  /// One call of `seconds` of `kind`.
  void add(const std::string &kind, double seconds) {
    Entry &entry = byKind[kind];
    entry.seconds += seconds;
    ++entry.calls;
  }

  void merge(const OpProfile &other) {
    for (const auto &[kind, entry] : other.byKind) {
      byKind[kind].seconds += entry.seconds;
      byKind[kind].calls += entry.calls;
    }
    reorders += other.reorders;
    bodyRuns += other.bodyRuns;
  }
};

} // namespace tweedie::cpu

#endif
