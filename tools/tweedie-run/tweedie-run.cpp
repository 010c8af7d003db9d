//===- tweedie-run.cpp - draw samples from a compiled module --------------===//
#include "SamplerCli.h"

int main(int argc, char **argv) {
  return tweedie::tools::runSamplerMain(argc, argv, "tweedie-run", std::nullopt);
}
