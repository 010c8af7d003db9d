#!/usr/bin/env python3
"""Every Debian package the build found is one that scripts/install-deps.sh installs.

Reads the build's CMakeCache.txt (and the fuzz build's), maps every existing file or directory CMake resolved
outside the source and build trees to the Debian package that ships it (`dpkg -S`), and
fails naming each package that is neither in install-deps.sh's PACKAGES list nor pulled
in by one of them through Depends/Pre-Depends (the dependency closure is computed from
dpkg's database of installed packages, so it needs no apt lists).

Why: a package installed by hand on a developer's machine (ocl-icd-opencl-dev, which
libdnnl-dev only recommends) let CI pass while a fresh machine failed at CMake.

  check-deps-complete.py BUILD_DIR SOURCE_DIR [--drop PKG]

--drop PKG checks the list without PKG and exits 0 only if the check then names PKG as
missing: the suite uses it to show that the check can fail.
"""
import argparse
import os
import re
import subprocess
import sys

# Not Debian's, and optional: the CUDA toolkit the machine may carry.
FOREIGN_PREFIXES = ("/usr/local/cuda",)
# Cache entries that name where things will go, not what was found.
IGNORED_KEYS = re.compile(r"^(CMAKE_INSTALL_.*|_GNUInstallDirs_.*|CMAKE_CACHEFILE_DIR|"
                          r"CMAKE_HOME_DIRECTORY|.*_BINARY_DIR|.*_SOURCE_DIR|"
                          # FindLibXml2 (through LLVM's config) looks for xmllint only to
                          # offer it; nothing in the build runs it.
                          r"LIBXML2_XMLLINT_EXECUTABLE|"
                          # CMake records a linker it saw (clang's detection finds ld.lld
                          # when present), but links through the compiler driver.
                          r"CMAKE_LINKER|"
                          # FindPython's record of the interpreter's search path (site
                          # directories such as /usr/local/lib/python3.11/dist-packages).
                          r"_Python3_INTERPRETER_PROPERTIES)$")


def listed_packages(source_dir):
    text = open(os.path.join(source_dir, "scripts", "install-deps.sh")).read()
    block = re.search(r"^PACKAGES=\((.*?)^\)", text, re.S | re.M)
    if not block:
        sys.exit("install-deps.sh has no PACKAGES=( ... ) list")
    words = []
    for line in block.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    return words


def installed_database():
    """name -> (depends alternatives, provides) for every installed package."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Depends}\t"
         "${Pre-Depends}\t${Provides}\t${Essential}\n"], capture_output=True, text=True,
        check=True).stdout
    packages, providers, essential = {}, {}, []
    for line in out.splitlines():
        status, name, depends, predepends, provides, ess = (line.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        if ess == "yes":
            essential.append(name)
        groups = []
        for clause in filter(None, (c.strip() for c in (depends + "," + predepends).split(","))):
            groups.append([re.split(r"[\s:(]", alt.strip(), 1)[0] for alt in clause.split("|")])
        packages[name] = groups
        for p in filter(None, (p.strip() for p in provides.split(","))):
            providers.setdefault(re.split(r"[\s(]", p, 1)[0], set()).add(name)
    return packages, providers, essential


def closure(roots, packages, providers):
    """Installed packages reachable from roots through Depends/Pre-Depends. Of an
    alternative `a | b`, every installed one counts (whichever apt chose)."""
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        candidates = {name} | providers.get(name, set())
        for c in candidates:
            if c in packages and c not in seen:
                seen.add(c)
                for group in packages[c]:
                    stack.extend(group)
    return seen


def launches_foreign(path):
    """A launcher script (the machine's /usr/local/bin/nvcc is `exec /usr/local/cuda-13.0/
    bin/nvcc "$@"`) belongs to the toolkit it launches."""
    try:
        if os.path.getsize(path) > 4096:
            return False
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return False
    if not text.startswith("#!"):
        return False
    targets = re.findall(r"^\s*exec\s+(\S+)", text, re.M)
    return bool(targets) and all(t.strip("'\"").startswith(FOREIGN_PREFIXES) for t in targets)


def resolved_paths(build_dir, source_dir):
    roots = [os.path.realpath(build_dir), os.path.realpath(source_dir)]
    paths = {}
    # The main build's cache, and the fuzz targets' (tests/fuzz) when they are built.
    caches = [os.path.join(build_dir, "CMakeCache.txt"),
              os.path.join(build_dir, "fuzz", "CMakeCache.txt")]
    lines = [line for cache in caches if os.path.exists(cache) for line in open(cache)]
    for line in lines:
        m = re.match(r"^([^#/][^:=]*):[A-Z]+=(.*)$", line.rstrip("\n"))
        if not m or IGNORED_KEYS.match(m.group(1)):
            continue
        for value in m.group(2).split(";"):
            if not value.startswith("/") or not os.path.exists(value):
                continue
            real = os.path.realpath(value)
            if any(real == r or real.startswith(r + os.sep) for r in roots):
                continue
            if (value.startswith(FOREIGN_PREFIXES) or real.startswith(FOREIGN_PREFIXES)
                    or launches_foreign(real)):
                continue
            paths.setdefault(value, m.group(1))
    return paths


def owners(path):
    """Packages that ship path: tried as given, through its symlinks, and under both
    sides of Debian's merged /usr (/lib vs /usr/lib)."""
    tries = [path, os.path.realpath(path)]
    for p in list(tries):
        for a, b in (("/usr/lib/", "/lib/"), ("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if p.startswith(a):
                tries.append(b + p[len(a):])
            elif p.startswith(b):
                tries.append(a + p[len(b):])
    for p in tries:
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
        found = set()
        for line in r.stdout.splitlines():
            # "pkg1, pkg2:amd64: /path" (diversions print "diversion by ...")
            if line.startswith("diversion"):
                continue
            head = line.rsplit(": ", 1)[0]
            found |= {o.strip().split(":")[0] for o in head.split(",")}
        if found:
            return found
    return set()


def check(build_dir, source_dir, listed):
    packages, providers, essential = installed_database()
    missing = [p for p in listed if p not in packages and p not in providers]
    if missing:
        return [f"install-deps.sh lists {p}, which is not installed" for p in missing], {}
    # Essential packages (coreutils, bash, ...) are on every Debian system.
    provided = closure(listed + essential, packages, providers)
    problems, needed = [], {}
    for path, key in sorted(resolved_paths(build_dir, source_dir).items()):
        found = owners(path)
        if not found:
            problems.append(f"{key}={path} belongs to no Debian package")
        elif not found & provided:
            needed.setdefault(" or ".join(sorted(found)), []).append(f"{key}={path}")
    for package, uses in sorted(needed.items()):
        problems.append(f"{package} is needed ({', '.join(uses[:3])}"
                        f"{', ...' if len(uses) > 3 else ''}) but install-deps.sh neither "
                        "lists it nor pulls it in")
    return problems, needed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("source_dir")
    ap.add_argument("--drop", help="check the list without this package; succeed only if "
                    "the check then reports it")
    args = ap.parse_args()
    listed = listed_packages(args.source_dir)
    if args.drop:
        if args.drop not in listed:
            sys.exit(f"--drop {args.drop}: install-deps.sh does not list it")
        listed = [p for p in listed if p != args.drop]
    problems, needed = check(args.build_dir, args.source_dir, listed)
    for p in problems:
        print(("(expected) " if args.drop else "") + p)
    if args.drop:
        named = any(args.drop in key.split(" or ") for key in needed)
        print(f"dropping {args.drop} from install-deps.sh is "
              f"{'detected' if named else 'NOT detected'}")
        return 0 if named else 1
    if not problems:
        print(f"deps-complete: every path the build resolved comes from the "
              f"{len(listed)} packages install-deps.sh installs or their dependencies")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
