//===- ProgressBar.h - a one-line progress bar on a terminal --------------===//
#ifndef TWEEDIE_TOOLS_PROGRESSBAR_H
#define TWEEDIE_TOOLS_PROGRESSBAR_H

#include <chrono>
#include <cstdint>
#include <string>

namespace tweedie::tools {

/// Draws "label [#####.....]  45%  450/1000  2.1 s" on stderr, redrawn at most
/// every 100 ms, and only when stderr is a terminal (logs stay clean).
class ProgressBar {
public:
  ProgressBar(bool enabled, std::string label);
  /// `status` (e.g. "loss 0.31  42 steps/s") follows the counts.
  void update(int64_t done, int64_t total, const std::string &status = {});
  /// Ends the line (when anything was drawn).
  void finish();

private:
  bool enabled_, drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_;
};

} // namespace tweedie::tools

#endif
