//===- KernelLibrary.cpp - the runtime's own loader of kernel objects -----===//
//
// Every structure is read from the untrusted image with bounds checks before
// use: headers, segments and tables are copied out with memcpy (nothing is
// assumed aligned), every address is checked against the segment it must lie
// in, and the mapping only becomes executable after all checks and
// relocations are done.
//
//===----------------------------------------------------------------------===//
#include "cpu/KernelLibrary.h"
#include "tweedie/io/FormatError.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace tweedie::cpu {

namespace {

/// No kernel library maps more than this (they are kilobytes).
constexpr uint64_t kMaxMappedBytes = uint64_t{256} << 20;
constexpr size_t kMaxSegments = 64;

class ElfReader {
public:
  ElfReader(std::span<const std::byte> image, const std::string &origin)
      : image_(image), origin_(origin) {}

  [[noreturn]] void fail(const std::string &what) const {
    throw io::FormatError(origin_ + ": the module's kernel library is not a restricted "
                                    "kernel object: " +
                          what);
  }

  /// A T copied from bytes [offset, offset + sizeof T) of the file.
  template <typename T> T read(uint64_t offset, const char *what) const {
    if (offset > image_.size() || sizeof(T) > image_.size() - offset)
      fail(std::string(what) + " at byte " + std::to_string(offset) + " lies outside the " +
           std::to_string(image_.size()) + "-byte object");
    T value;
    std::memcpy(&value, image_.data() + offset, sizeof(T));
    return value;
  }

  bool inFile(uint64_t offset, uint64_t bytes) const {
    return offset <= image_.size() && bytes <= image_.size() - offset;
  }

  std::span<const std::byte> image() const { return image_; }

private:
  std::span<const std::byte> image_;
  const std::string &origin_;
};

bool within(uint64_t begin, uint64_t bytes, uint64_t lo, uint64_t size) {
  return begin >= lo && begin - lo <= size && bytes <= size - (begin - lo);
}

std::string hex(uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

const char *forbiddenDynamicTag(int64_t tag) {
  switch (tag) {
  case DT_NEEDED:
    return "a NEEDED library";
  case DT_INIT:
  case DT_FINI:
  case DT_INIT_ARRAY:
  case DT_INIT_ARRAYSZ:
  case DT_FINI_ARRAY:
  case DT_FINI_ARRAYSZ:
  case DT_PREINIT_ARRAY:
  case DT_PREINIT_ARRAYSZ:
    return "constructors or destructors (init/fini functions or arrays)";
  case DT_TEXTREL:
    return "text relocations";
  case DT_REL:
  case DT_RELSZ:
  case DT_RELENT:
    return "REL relocations (x86-64 objects use RELA)";
  case DT_RPATH:
  case DT_RUNPATH:
    return "a library search path";
  default:
    return nullptr;
  }
}

bool allowedDynamicTag(int64_t tag) {
  switch (tag) {
  case DT_NULL:
  case DT_HASH:
  case DT_GNU_HASH:
  case DT_STRTAB:
  case DT_SYMTAB:
  case DT_STRSZ:
  case DT_SYMENT:
  case DT_RELA:
  case DT_RELASZ:
  case DT_RELAENT:
  case DT_RELACOUNT:
  case DT_JMPREL:
  case DT_PLTRELSZ:
  case DT_PLTREL:
  case DT_PLTGOT:
  case DT_SONAME:
  case DT_FLAGS:
  case DT_FLAGS_1:
  case DT_DEBUG:
  case DT_VERSYM:
  case DT_VERDEF:
  case DT_VERDEFNUM:
  case DT_BIND_NOW:
    return true;
  default:
    return false;
  }
}

struct Segment {
  uint64_t vaddr, memBytes, fileOffset, fileBytes;
  uint32_t flags;
};

} // namespace

KernelLibrary::KernelLibrary(std::span<const std::byte> image, const std::string &origin)
    : origin_(origin) {
  const ElfReader elf(image, origin);
  const auto header = elf.read<Elf64_Ehdr>(0, "the ELF header");
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    elf.fail("no ELF magic");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_machine != EM_X86_64 || header.e_type != ET_DYN)
    elf.fail("not a little-endian x86-64 ELF64 shared object");
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      header.e_phnum > kMaxSegments)
    elf.fail("bad program header table (" + std::to_string(header.e_phnum) + " entries of " +
             std::to_string(header.e_phentsize) + " bytes)");

  // ---- Segments ----
  std::vector<Segment> loads;
  std::optional<Segment> dynamic, relro;
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    const auto ph = elf.read<Elf64_Phdr>(header.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr),
                                         "a program header");
    const Segment segment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags};
    switch (ph.p_type) {
    case PT_LOAD:
      if (ph.p_filesz > ph.p_memsz || !elf.inFile(ph.p_offset, ph.p_filesz) ||
          ph.p_vaddr > kMaxMappedBytes || ph.p_memsz > kMaxMappedBytes - ph.p_vaddr)
        elf.fail("loadable segment " + std::to_string(i) + " (" + std::to_string(ph.p_memsz) +
                 " bytes at " + hex(ph.p_vaddr) + ", " + std::to_string(ph.p_filesz) +
                 " from file offset " + std::to_string(ph.p_offset) +
                 ") does not fit the file or the 256 MiB limit");
      if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
        elf.fail("segment " + std::to_string(i) + " is both writable and executable");
      loads.push_back(segment);
      break;
    case PT_DYNAMIC:
      dynamic = segment;
      break;
    case PT_GNU_RELRO:
      relro = segment;
      break;
    case PT_GNU_STACK:
      if (ph.p_flags & PF_X)
        elf.fail("it asks for an executable stack");
      break;
    case PT_NOTE:
    case PT_GNU_EH_FRAME:
    case PT_GNU_PROPERTY:
      break;
    case PT_INTERP:
      elf.fail("it names a program interpreter");
    case PT_TLS:
      elf.fail("it has thread-local storage");
    default:
      elf.fail("segment " + std::to_string(i) + " has type " + hex(ph.p_type) +
               ", which kernel objects do not use");
    }
  }
  if (loads.empty())
    elf.fail("no loadable segment");
  uint64_t end = 0;
  for (const Segment &s : loads)
    end = std::max(end, s.vaddr + s.memBytes);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  mappedBytes_ = static_cast<size_t>((end + page - 1) / page * page);

  // A page's protection is the union of the segments on it: no page may end
  // up writable and executable.
  std::vector<uint32_t> pageFlags(mappedBytes_ / page, 0);
  for (const Segment &s : loads)
    for (uint64_t p = s.vaddr / page; s.memBytes && p <= (s.vaddr + s.memBytes - 1) / page; ++p)
      pageFlags[p] |= s.flags & (PF_R | PF_W | PF_X);
  for (uint32_t flags : pageFlags)
    if ((flags & PF_W) && (flags & PF_X))
      elf.fail("a page holds both writable and executable segments");

  auto segmentHolding = [&](uint64_t vaddr, uint64_t bytes, uint32_t need) -> const Segment * {
    for (const Segment &s : loads)
      if ((s.flags & need) == need && within(vaddr, bytes, s.vaddr, s.memBytes))
        return &s;
    return nullptr;
  };
  // File bytes [vaddr, vaddr + bytes) as loaded from one segment's file part.
  auto fileOffsetOf = [&](uint64_t vaddr, uint64_t bytes, const char *what) -> uint64_t {
    for (const Segment &s : loads)
      if (within(vaddr, bytes, s.vaddr, s.fileBytes))
        return s.fileOffset + (vaddr - s.vaddr);
    elf.fail(std::string(what) + " (" + std::to_string(bytes) + " bytes at " + hex(vaddr) +
             ") lies outside the loaded file bytes");
  };

  // ---- The dynamic section: only the tags a kernel object needs ----
  if (!dynamic)
    elf.fail("no dynamic section");
  std::optional<uint64_t> symtab, strtab, strsz, rela, relasz, jmprel, pltrelsz;
  {
    const uint64_t offset = fileOffsetOf(dynamic->vaddr, dynamic->fileBytes, "the dynamic section");
    bool terminated = false;
    for (uint64_t k = 0; k < dynamic->fileBytes / sizeof(Elf64_Dyn) && !terminated; ++k) {
      const auto entry = elf.read<Elf64_Dyn>(offset + k * sizeof(Elf64_Dyn), "a dynamic entry");
      const int64_t tag = entry.d_tag;
      const uint64_t value = entry.d_un.d_val;
      if (const char *why = forbiddenDynamicTag(tag))
        elf.fail(std::string("it has ") + why);
      if (!allowedDynamicTag(tag))
        elf.fail("dynamic tag " + hex(static_cast<uint64_t>(tag)) +
                 " is not one kernel objects use");
      switch (tag) {
      case DT_NULL:
        terminated = true;
        break;
      case DT_SYMTAB:
        symtab = value;
        break;
      case DT_STRTAB:
        strtab = value;
        break;
      case DT_STRSZ:
        strsz = value;
        break;
      case DT_SYMENT:
        if (value != sizeof(Elf64_Sym))
          elf.fail("symbol entries of " + std::to_string(value) + " bytes");
        break;
      case DT_RELA:
        rela = value;
        break;
      case DT_RELASZ:
        relasz = value;
        break;
      case DT_RELAENT:
        if (value != sizeof(Elf64_Rela))
          elf.fail("relocation entries of " + std::to_string(value) + " bytes");
        break;
      case DT_JMPREL:
        jmprel = value;
        break;
      case DT_PLTRELSZ:
        pltrelsz = value;
        break;
      case DT_PLTREL:
        if (value != DT_RELA)
          elf.fail("PLT relocations that are not RELA");
        break;
      default:
        break;
      }
    }
    if (!terminated)
      elf.fail("the dynamic section is not terminated");
  }
  if (!symtab || !strtab || !strsz)
    elf.fail("no dynamic symbol table");

  // ---- Symbols: the dynamic symbol table's size comes from its section
  // header (the dynamic section does not record it) ----
  const uint64_t strtabOffset = fileOffsetOf(*strtab, *strsz, "the string table");
  uint64_t symbolCount = 0;
  if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0)
    elf.fail("no section headers to size the symbol table");
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    const auto sh = elf.read<Elf64_Shdr>(header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr),
                                         "a section header");
    if (sh.sh_type == SHT_DYNSYM && sh.sh_addr == *symtab)
      symbolCount = sh.sh_size / sizeof(Elf64_Sym);
  }
  if (symbolCount == 0 || symbolCount > (uint64_t{1} << 20))
    elf.fail("no dynamic symbol section matches the dynamic symbol table");
  const uint64_t symtabOffset =
      fileOffsetOf(*symtab, symbolCount * sizeof(Elf64_Sym), "the symbol table");
  auto nameAt = [&](uint32_t offset) {
    if (offset >= *strsz)
      elf.fail("a symbol name lies outside the string table");
    const auto *begin = reinterpret_cast<const char *>(elf.image().data() + strtabOffset + offset);
    const void *nul = std::memchr(begin, 0, *strsz - offset);
    if (!nul)
      elf.fail("a symbol name is not terminated");
    return std::string(begin, static_cast<const char *>(nul));
  };
  std::vector<Elf64_Sym> symbols(symbolCount);
  for (uint64_t k = 1; k < symbolCount; ++k) { // entry 0 is the null symbol
    const auto sym = elf.read<Elf64_Sym>(symtabOffset + k * sizeof(Elf64_Sym), "a symbol");
    symbols[k] = sym;
    const std::string name = nameAt(sym.st_name);
    if (sym.st_shndx == SHN_UNDEF)
      elf.fail("it imports symbol '" + name + "' (kernel objects are self-contained)");
    if (ELF64_ST_TYPE(sym.st_info) == STT_TLS || ELF64_ST_TYPE(sym.st_info) == STT_GNU_IFUNC)
      elf.fail("symbol '" + name + "' is thread-local or an indirect function");
    if (ELF64_ST_TYPE(sym.st_info) == STT_FUNC && ELF64_ST_BIND(sym.st_info) != STB_LOCAL) {
      if (!segmentHolding(sym.st_value, std::max<uint64_t>(sym.st_size, 1), PF_X))
        elf.fail("function '" + name + "' does not lie in an executable segment");
      functions_[name] = sym.st_value;
    }
  }

  // ---- Map, copy, relocate ----
  void *mapped = mmap(nullptr, mappedBytes_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    throw io::FormatError(origin + ": cannot map the kernel library: " + std::strerror(errno));
  base_ = static_cast<std::byte *>(mapped);
  try {
    for (const Segment &s : loads)
      std::memcpy(base_ + s.vaddr, image.data() + s.fileOffset, s.fileBytes);
    auto relocate = [&](std::optional<uint64_t> table, std::optional<uint64_t> bytes,
                        const char *what) {
      if (!table && !bytes)
        return;
      if (!table || !bytes || *bytes % sizeof(Elf64_Rela) != 0)
        elf.fail(std::string(what) + " table is incomplete");
      const uint64_t offset = fileOffsetOf(*table, *bytes, what);
      for (uint64_t k = 0; k < *bytes / sizeof(Elf64_Rela); ++k) {
        const auto r = elf.read<Elf64_Rela>(offset + k * sizeof(Elf64_Rela), "a relocation");
        const uint32_t type = ELF64_R_TYPE(r.r_info), index = ELF64_R_SYM(r.r_info);
        if (!segmentHolding(r.r_offset, 8, PF_W))
          elf.fail("a relocation writes at " + hex(r.r_offset) +
                   ", outside every writable segment");
        uint64_t target = 0;
        switch (type) {
        case R_X86_64_NONE:
          continue;
        case R_X86_64_RELATIVE:
          target = static_cast<uint64_t>(r.r_addend);
          break;
        case R_X86_64_64:
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
          if (index == 0 || index >= symbolCount)
            elf.fail("a relocation names symbol " + std::to_string(index) + " of " +
                     std::to_string(symbolCount));
          target = symbols[index].st_value + (type == R_X86_64_64 ? r.r_addend : 0);
          break;
        default:
          elf.fail("relocation type " + std::to_string(type) +
                   " is not one kernel objects use");
        }
        if (target >= mappedBytes_)
          elf.fail("a relocation points at " + hex(target) + ", outside the object");
        const auto address = reinterpret_cast<uint64_t>(base_ + target);
        std::memcpy(base_ + r.r_offset, &address, sizeof address);
      }
    };
    relocate(rela, relasz, "the RELA relocation");
    relocate(jmprel, pltrelsz, "the PLT relocation");
    if (relro && relro->memBytes) {
      if (!within(relro->vaddr, relro->memBytes, 0, mappedBytes_))
        elf.fail("the read-only-after-relocation range lies outside the object");
      for (uint64_t p = relro->vaddr / page; p < (relro->vaddr + relro->memBytes) / page; ++p)
        pageFlags[p] &= ~static_cast<uint32_t>(PF_W);
    }
    // Protect runs of equal pages: read-only, code, data; unused pages none.
    for (size_t p = 0; p < pageFlags.size();) {
      size_t q = p;
      while (q < pageFlags.size() && pageFlags[q] == pageFlags[p])
        ++q;
      const uint32_t f = pageFlags[p];
      const int protection = (f & PF_R ? PROT_READ : 0) | (f & PF_W ? PROT_WRITE : 0) |
                             (f & PF_X ? PROT_EXEC | PROT_READ : 0);
      if (mprotect(base_ + p * page, (q - p) * page, protection ? protection : PROT_NONE) != 0)
        throw io::FormatError(origin + ": cannot protect the kernel library: " +
                              std::strerror(errno));
      p = q;
    }
  } catch (...) {
    munmap(base_, mappedBytes_);
    base_ = nullptr;
    throw;
  }
}

KernelLibrary::~KernelLibrary() {
  if (base_)
    munmap(base_, mappedBytes_);
}

void *KernelLibrary::function(const std::string &name) const {
  // MLIR's C interface wrapper of func @name.
  auto it = functions_.find("_mlir_ciface_" + name);
  if (it == functions_.end())
    throw io::FormatError(origin_ + ": the kernel library has no kernel '" + name + "'");
  return base_ + it->second;
}

} // namespace tweedie::cpu
