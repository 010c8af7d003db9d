//===- SamplerCli.h - the command line of tweedie-run and emitted exes ----===//
#ifndef TWEEDIE_TOOLS_SAMPLERCLI_H
#define TWEEDIE_TOOLS_SAMPLERCLI_H

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tweedie::tools {

/// Magic at the very end of an executable that carries a module: the module
/// bytes, then their length (u64, little-endian), then these 8 bytes.
inline constexpr char kEmbeddedMagic[8] = {'T', 'W', 'D', 'E', 'X', 'E', '0', '1'};

/// The module appended to the running executable, if any.
std::optional<std::vector<std::byte>> embeddedModule();

/// Parses the sampling flags and runs: with `embedded` the module is that
/// image, otherwise the first positional argument names a module file.
int runSamplerMain(int argc, char **argv, const std::string &name,
                   const std::optional<std::vector<std::byte>> &embedded);

} // namespace tweedie::tools

#endif
