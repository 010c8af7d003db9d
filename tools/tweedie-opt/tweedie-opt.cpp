//===- tweedie-opt.cpp - mlir-opt with Tweedie's dialects and passes -----===//
//
// Reads IR, runs the passes named on the command line, prints the result.
// Errors come out as "file:line:col: error: ..." with a non-zero exit.
//
//===----------------------------------------------------------------------===//
#include "tweedie/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

/// MLIR's output file is removed when the tool fails (llvm::ToolOutputFile
/// keeps only what succeeded), which for `-o /dev/null` run as root deletes
/// the device and breaks every later process that opens it. An output that
/// exists and is not a regular file (a device, a pipe) is opened here and
/// handed to MLIR as /proc/self/fd/N: the removal of that name fails
/// harmlessly, and stdout stays stdout (the interpreter prints there).
void protectSpecialOutput(int argc, char **argv) {
  static std::string names[4];
  int used = 0;
  for (int i = 1; i < argc && used < 4; ++i) {
    std::string_view arg = argv[i];
    std::string prefix;
    const char *path = nullptr;
    if ((arg == "-o" || arg == "--o") && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.starts_with("-o=") || arg.starts_with("--o=")) {
      prefix = std::string(arg.substr(0, arg.find('=') + 1));
      path = argv[i] + prefix.size();
    } else {
      continue;
    }
    struct stat info;
    if (::stat(path, &info) != 0 || S_ISREG(info.st_mode))
      continue;
    const int fd = ::open(path, O_WRONLY);
    if (fd < 0)
      continue;
    names[used] = prefix + "/proc/self/fd/" + std::to_string(fd);
    argv[i] = names[used++].data();
  }
}

} // namespace

int main(int argc, char **argv) {
  protectSpecialOutput(argc, argv);
  mlir::DialectRegistry registry;
  tweedie::registerAllDialects(registry);
  tweedie::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Tweedie optimizer driver: score and sampler dialects\n", registry));
}
