//===- KernelLibraryTest.cpp - the runtime's loader of kernel objects -----===//
//
// Objects are linked here by the system `cc` as tweedie-compile links kernels
// (-shared -nostdlib), from C sources that do one forbidden thing each; the
// loader must refuse each, naming it, and map the allowed one with its
// relocations applied. Every flipped byte and truncation of the allowed object
// is an error or a load, never a crash.
//
//===----------------------------------------------------------------------===//
#include "cpu/KernelLibrary.h"
#include "tweedie/io/FormatError.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using tweedie::cpu::KernelLibrary;
using tweedie::io::FormatError;

namespace {

/// Links `source` (C) into a shared object as tweedie-compile links kernels.
std::vector<std::byte> link(const std::string &name, const std::string &source,
                            const std::string &flags = "") {
  // Per process: the suite runs this binary on several ISAs at once.
  const std::string dir = ::testing::TempDir() + "kernel-library-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string c = dir + "/" + name + ".c", so = dir + "/" + name + ".so";
  std::ofstream(c) << source;
  const std::string command = "cc -O2 -fPIC -shared -nostdlib -Wl,-z,noexecstack " + flags +
                              " -o " + so + " " + c;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(so, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::vector<std::byte>(reinterpret_cast<std::byte *>(bytes.data()),
                                reinterpret_cast<std::byte *>(bytes.data()) + bytes.size());
}

// A table of pointers forces R_X86_64_RELATIVE relocations the loader applies.
const char *kAllowed = R"(
static int values[] = {3, 5, 7, 11};
int *const table[] = {&values[0], &values[1], &values[2], &values[3]};
int _mlir_ciface_probe(int i) { return *table[i & 3] * 2; }
)";

std::string loadError(const std::vector<std::byte> &image) {
  try {
    KernelLibrary library(image, "test.tweedie");
  } catch (const FormatError &e) {
    return e.what();
  }
  return "";
}

TEST(KernelLibrary, LoadsARestrictedObjectAndAppliesItsRelocations) {
  KernelLibrary library(link("allowed", kAllowed), "test.tweedie");
  auto probe = reinterpret_cast<int (*)(int)>(library.function("probe"));
  EXPECT_EQ(probe(0), 6);
  EXPECT_EQ(probe(3), 22);
  EXPECT_THROW(library.function("missing"), FormatError);
}

TEST(KernelLibrary, RefusesConstructors) {
  const std::string error = loadError(link("constructor", R"(
static int ran;
__attribute__((constructor)) static void at_load(void) { ran = 1; }
int _mlir_ciface_probe(int i) { return ran + i; }
)"));
  EXPECT_NE(error.find("constructors"), std::string::npos) << error;
}

TEST(KernelLibrary, RefusesImportedSymbols) {
  const std::string error = loadError(link("import", R"(
int host_function(int);
int _mlir_ciface_probe(int i) { return host_function(i); }
)"));
  EXPECT_NE(error.find("imports symbol 'host_function'"), std::string::npos) << error;
}

TEST(KernelLibrary, RefusesNeededLibraries) {
  const std::string error = loadError(
      link("needed", "int _mlir_ciface_probe(int i) { return i; }", "-Wl,--no-as-needed -lc"));
  EXPECT_NE(error.find("NEEDED"), std::string::npos) << error;
}

TEST(KernelLibrary, RefusesAnExecutableStack) {
  const std::string error =
      loadError(link("execstack", "int _mlir_ciface_probe(int i) { return i; }",
                     "-Wl,-z,execstack"));
  EXPECT_NE(error.find("executable stack"), std::string::npos) << error;
}

TEST(KernelLibrary, RefusesWhatIsNotAnElfObject) {
  EXPECT_NE(loadError({}).find("outside"), std::string::npos);
  std::vector<std::byte> text(200, std::byte{'x'});
  EXPECT_NE(loadError(text).find("no ELF magic"), std::string::npos);
}

TEST(KernelLibrary, FlippedBytesAndTruncationsNeverCrash) {
  const std::vector<std::byte> image = link("allowed", kAllowed);
  int refused = 0, loaded = 0;
  for (size_t offset = 0; offset < image.size(); ++offset) {
    for (std::byte flip : {std::byte{0x01}, std::byte{0x80}, std::byte{0xff}}) {
      std::vector<std::byte> bad = image;
      bad[offset] ^= flip;
      (loadError(bad).empty() ? loaded : refused) += 1;
    }
    std::vector<std::byte> cut(image.begin(), image.begin() + static_cast<ptrdiff_t>(offset));
    (loadError(cut).empty() ? loaded : refused) += 1;
  }
  // Most bytes of an object are code, padding and names the loader does not
  // interpret; the headers and tables it does are refused when wrong.
  std::printf("%d corrupted objects refused, %d loaded\n", refused, loaded);
  EXPECT_GT(refused, 1000);
}

} // namespace
