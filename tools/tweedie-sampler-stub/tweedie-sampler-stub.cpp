//===- tweedie-sampler-stub.cpp - the body of `tweedie-compile --emit exe` -===//
//
// tweedie-compile copies this executable and appends a module (and a
// trailer) to it; the result runs from any directory with tweedie-run's flags.
//
//===----------------------------------------------------------------------===//
#include "SamplerCli.h"

#include <cstdio>
#include <filesystem>

int main(int argc, char **argv) {
  auto module = tweedie::tools::embeddedModule();
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  if (!module) {
    std::fprintf(stderr,
                 "%s: no module is embedded in this executable (it is the stub that "
                 "`tweedie-compile --emit exe` completes)\n",
                 name.c_str());
    return 1;
  }
  return tweedie::tools::runSamplerMain(argc, argv, name, module);
}
