//===- ProgressBar.cpp ------------------------------------------------------===//
#include "ProgressBar.h"

#include <fmt/format.h>
#include <unistd.h>

namespace tweedie::tools {

ProgressBar::ProgressBar(bool enabled, std::string label)
    : enabled_(enabled && isatty(STDERR_FILENO)), label_(std::move(label)),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressBar::update(int64_t done, int64_t total, const std::string &status) {
  if (!enabled_ || total <= 0)
    return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && drawn_ && now - last_ < std::chrono::milliseconds(100))
    return;
  last_ = now;
  drawn_ = true;
  constexpr int width = 30;
  const int filled = static_cast<int>(width * done / total);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  fmt::print(stderr, "\r{} [{}{}] {:3d}%  {}/{}  {:.1f} s{}{}\x1b[K", label_,
             std::string(filled, '#'), std::string(width - filled, '.'),
             static_cast<int>(100 * done / total), done, total, seconds,
             status.empty() ? "" : "  ", status);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (drawn_)
    fmt::print(stderr, "\n");
  drawn_ = false;
}

} // namespace tweedie::tools
