//===- tweedie-opt.cpp - mlir-opt with Tweedie's dialects and passes -----===//
//
// Reads IR, runs the passes named on the command line, prints the result.
// Errors come out as "file:line:col: error: ..." with a non-zero exit.
//
//===----------------------------------------------------------------------===//
#include "tweedie/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tweedie::registerAllDialects(registry);
  tweedie::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Tweedie optimizer driver: score and sampler dialects\n", registry));
}
