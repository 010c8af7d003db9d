//===- LayoutOption.h - the --layout flag of the compiling tools ----------===//
#ifndef TWEEDIE_TOOLS_LAYOUTOPTION_H
#define TWEEDIE_TOOLS_LAYOUTOPTION_H

#include "tweedie/Driver/Compile.h"

#include <CLI/CLI.hpp>

#include <map>
#include <string>

namespace tweedie::tools {

/// --layout auto|nhwc|plain into `layout` (tweedie-compile, tweedie-train).
inline void addLayoutOption(CLI::App &app, ActivationLayout &layout) {
  static const std::map<std::string, ActivationLayout> names = {
      {"auto", ActivationLayout::Auto},
      {"nhwc", ActivationLayout::ChannelsLast},
      {"plain", ActivationLayout::Plain}};
  app.add_option_function<std::string>(
         "--layout", [&layout](const std::string &name) { layout = names.at(name); },
                 "Activation layout: nhwc stores the values convolutions meet channels last "
                 "where every kernel that touches them can, so no convolution reorders them; "
                 "plain keeps every value NCHW; auto is nhwc when the target has AVX-512 "
                 "(where it pays) and plain otherwise, and plain for --target cuda (the CUDA "
                 "backend runs NCHW)")
      ->check(CLI::IsMember({"auto", "nhwc", "plain"}))
      ->default_str("auto");
}

} // namespace tweedie::tools

#endif
