//===- tweedie-compile.cpp - a network + sampler -> a standalone sampler --===//
#include "CliChecks.h"
#include "LayoutOption.h"
#include "SamplerCli.h"
#include "tweedie/Driver/Compile.h"
#include "tweedie/Driver/SamplerCatalog.h"
#include "tweedie/io/AtomicFile.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

namespace fs = std::filesystem;
using namespace tweedie;

namespace {

fs::path selfDirectory() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : self.parent_path();
}

/// The stub `--emit exe` completes: beside this tool (build tree) or in
/// ../libexec/tweedie (installed).
fs::path findStub() {
  const fs::path dir = selfDirectory();
  for (const fs::path &candidate :
       {dir / "tweedie-sampler-stub", dir / ".." / "libexec" / "tweedie" / "tweedie-sampler-stub"})
    if (fs::exists(candidate))
      return candidate;
  throw std::runtime_error("cannot find tweedie-sampler-stub next to tweedie-compile or in "
                           "../libexec/tweedie (is the installation complete?)");
}

std::vector<std::byte> readAll(const fs::path &path) { return io::readFile(path); }

void emitExecutable(const fs::path &out, const std::vector<std::byte> &module) {
  std::vector<std::byte> image = readAll(findStub());
  image.insert(image.end(), module.begin(), module.end());
  const uint64_t length = module.size();
  const auto *lengthBytes = reinterpret_cast<const std::byte *>(&length);
  image.insert(image.end(), lengthBytes, lengthBytes + 8);
  const auto *magic = reinterpret_cast<const std::byte *>(tools::kEmbeddedMagic);
  image.insert(image.end(), magic, magic + 8);
  // Executable from its creation: nothing is chmod-ed after the fact (which
  // would change the mode of a device given as -o).
  io::writeFileAtomically(out, image, 0755);
}

/// A shared object exporting the module's bytes (tweedie_embedded_module,
/// tweedie_embedded_module_size) for tweedie_module_load_memory.
void emitLibrary(const fs::path &out, const std::vector<std::byte> &module) {
  char pattern[] = "/tmp/tweedie-library-XXXXXX";
  if (!mkdtemp(pattern))
    throw std::runtime_error("cannot create a scratch directory");
  const fs::path scratch = pattern;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};
  io::writeFileAtomically(scratch / "module.tweedie", module);
  {
    std::ofstream s(scratch / "module.S");
    s << "  .section .rodata\n  .globl tweedie_embedded_module\n"
         "  .type tweedie_embedded_module, @object\n  .balign 64\n"
         "tweedie_embedded_module:\n  .incbin \""
      << (scratch / "module.tweedie").string()
      << "\"\n  .globl tweedie_embedded_module_size\n  .balign 8\n"
         "tweedie_embedded_module_size:\n  .quad "
      << module.size() << "\n  .section .note.GNU-stack,\"\",@progbits\n";
  }
  const fs::path library = scratch / "module.so";
  const char *cc = std::getenv("CC");
  const std::string driver = cc && *cc ? cc : "cc";
  pid_t pid = fork();
  if (pid == 0) {
    const std::string src = (scratch / "module.S").string(), dst = library.string();
    execlp(driver.c_str(), driver.c_str(), "-shared", "-o", dst.c_str(), src.c_str(),
           static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    throw std::runtime_error("linking the library with '" + driver + "' failed");
  io::writeFileAtomically(out, readAll(library));
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Compiles a score network and its sampler (a sampler.solve in MLIR) into "
               "a module, a standalone executable or a shared library."};
  app.name("tweedie-compile");
  CompileOptions options;
  std::string target = "cpu", emit = "module", output, kernels = "generated";
  bool report = false;
  bool listSamplers = false;
  app.add_flag("--list-samplers", listSamplers,
               "List the samplers and schedules --sampler takes, with their options and "
               "defaults, and exit");
  app.add_option("input", options.input,
                 "Input .mlir: a network and its sampler.solve, or a network alone with "
                 "--sampler");
  app.add_option("-s,--sampler", options.sampler,
                 "The sampler, as NAME(key=value, ...), e.g. \"heun(steps=18)\" or "
                 "\"ddim(steps=20, eta=0.5)\": replaces the model's sampler.solve or adds "
                 "one to a network-only model (see --list-samplers)");
  app.add_option("--network", options.network,
                 "The network function --sampler samples from, when the model has several");
  app.add_option("-w,--weights", options.weights,
                 "Weights (.safetensors); default: deterministic synthetic weights")
      ->check(CLI::ExistingFile);
  app.add_option("--synthetic-seed", options.syntheticSeed,
                 "Seed of the synthetic weights used without --weights")
      ->check(tools::seedNumber())
      ->capture_default_str();
  app.add_option("--entry", options.entry,
                 "The sampler function (default: the one holding sampler.solve)");
  app.add_option("--target", target,
                 "cpu, or cuda: the module also carries its generated kernels as PTX for "
                 "sm_80 and sm_90 (newer GPUs JIT it); it runs on the CPU all the same")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--compile-to", options.compileTo,
                 "Stop after this phase and print its IR: input, expanded, fused, planned, "
                 "cpu, module (the execution plan), ptx (the generated kernels as PTX for "
                 "sm_80 and sm_90)")
      ->check(CLI::IsMember(compilePhases()));
  app.add_option("--emit", emit,
                 "module: a .tweedie file for tweedie-run or the C API; exe: a standalone "
                 "sampler executable; library: a shared object holding the module")
      ->check(CLI::IsMember({"module", "exe", "library"}))
      ->capture_default_str();
  app.add_option("--kernels", kernels,
                 "generated: step arithmetic compiled through linalg and LLVM (needs a "
                 "system `cc` to link); builtin: the runtime's own loop")
      ->check(CLI::IsMember({"generated", "builtin"}))
      ->capture_default_str();
  app.add_option("--cpu", options.cpu,
                 "Instruction-set level of generated kernels: native, x86-64, x86-64-v2, "
                 "x86-64-v3 (AVX2), x86-64-v4 (AVX-512)")
      ->check(CLI::IsMember({"native", "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"}))
      ->capture_default_str();
  tools::addLayoutOption(app, options.layout);
  app.add_option("-o,--output", output,
                 "Output path (default: the input's name with .tweedie, no suffix for "
                 "exe, .so for library)");
  app.add_flag("--report", report, "Print the plan: ops, arena, weights, kernels");
  CLI11_PARSE(app, argc, argv);
  if (listSamplers) {
    fmt::print("{}", catalog::describe());
    return 0;
  }
  if (options.input.empty()) {
    fmt::print(stderr, "tweedie-compile: the input .mlir is required\nRun with --help for "
                       "more information.\n");
    return 2;
  }
  options.generatedKernels = kernels == "generated";
  options.cudaKernels = target == "cuda";

  CompileResult result;
  if (!compileSampler(options, result))
    return 1;
  if (!options.compileTo.empty()) {
    fmt::print("{}", result.ir);
    return 0;
  }
  if (output.empty()) {
    fs::path stem = fs::path(options.input).stem();
    output = emit == "module" ? stem.string() + ".tweedie"
             : emit == "exe"  ? stem.string()
                              : "lib" + stem.string() + "_sampler.so";
  }
  try {
    result.module.producer = "tweedie-compile";
    std::vector<std::byte> image = module::serializeModule(result.module);
    if (emit == "module")
      io::writeFileAtomically(output, image);
    else if (emit == "exe")
      emitExecutable(output, image);
    else
      emitLibrary(output, image);
    if (report)
      fmt::print(stderr, "{}", result.report);
    std::error_code ec;
    if (fs::is_regular_file(output, ec))
      fmt::print(stderr, "tweedie-compile: wrote {} ({} bytes)\n", output, fs::file_size(output));
    else
      fmt::print(stderr, "tweedie-compile: wrote {} bytes to {}\n", image.size(), output);
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-compile: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
