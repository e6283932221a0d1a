"""Build the minimal image's file tree from what the traced server loaded (docker/minimal/smoke.py).

    /opt/serve/bin/python docker/minimal/tree.py TRACE ROOT

Into ROOT, each at the path it has in the base image, so the interpreter finds its standard
library by itself (no PYTHONHOME) whichever base it came from:
- the interpreter (the traced executable), with `python` and `python3` links beside it;
- the standard library modules in the trace as bytecode only: a sourceless .pyc where the .py
  was, found by the interpreter's plain path finder (a zip on sys.path would be 2.7 MB smaller
  deflated, but zipimport made every start 65 ms of CPU slower, 21 ms stored; measured), and
  the traced extension modules in lib-dynload;
- the serve venv's modules in the trace, in PACKAGES (on PYTHONPATH in the image) and laid out
  as a venv has them: source, and bytecode in __pycache__ (anyio reads its own source to set up
  its lazy imports, and tracebacks through the packages show their lines);
- every shared library that ldd lists for the interpreter and the extension modules shipped,
  plus any other the traced processes mapped (a dlopen), and an ld.so.cache for them, so a
  library outside the loader's default directories (the official image's libpython) is found;
- /etc/passwd and /etc/group naming root and the image's user.
Modules no traced run imported are left out, whole distributions included (h11, idna); what is
imported only off the exercised paths is named in lazy-modules.txt, which smoke.py imports in the
trace. TLS is left out although traced: `ssl` is replaced by nossl.py, and the OpenSSL modules
(_ssl, _hashlib: hashlib then uses its built-in hashes) go, and with them libssl, libcrypto and
libzstd, which nothing else links; no CA bundle either (see nossl.py for why that is safe).
Binaries and libraries are stripped of symbols they do not need to run. Bytecode is compiled
with unchecked hashes (no timestamps): the same sources give the same tree, so the image's layer
stays cached. The server's own package is not in the tree; the Dockerfile copies it.
"""

import importlib.util
import os
import py_compile
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from image import APP, PACKAGES, USER

STDLIB = Path(sysconfig.get_path("stdlib"))
PURELIB = Path(sysconfig.get_path("purelib"))  # the serve venv's site-packages (run by its python)
LDD_LINE = re.compile(r"^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$")
# The traced modules the tree does not take from the base: replaced by a file of docker/minimal/,
# or left out (their importers do without them, which the verify step proves).
STAND_INS = {"ssl": Path(__file__).with_name("nossl.py")}
LEFT_OUT = {"_ssl", "_hashlib"}
SHELLS = {"sh", "bash", "dash", "busybox", "ash", "zsh"}


class TreeError(Exception):
    """The trace names something the tree cannot be made from; the message says what."""


def read_trace(trace: Path) -> tuple[set[Path], dict[str, Path], set[Path]]:
    """Executables, modules (name: file) and mapped shared objects the traced processes used."""
    executables: set[Path] = set()
    modules: dict[str, Path] = {}
    mapped: set[Path] = set()
    for line in trace.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "executable":
            executables.add(Path(rest))
        elif kind == "module":
            name, _, file = rest.partition(" ")
            if file != "-":
                modules[name] = Path(file)
        elif kind == "mapped":
            mapped.add(Path(rest))
    if len(executables) != 1:
        raise TreeError(f"{trace}: expected one interpreter, found {sorted(map(str, executables)) or 'none'}")
    return executables, modules, mapped


def inside(root: Path, path: Path) -> Path:
    return root / path.relative_to("/")


def compile_to(source: Path, target: Path, shown_as: Path) -> int:
    """Bytecode of source at target, hash-based and never checked against a source (there may be
    none); tracebacks name shown_as."""
    target.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(
        str(source),
        cfile=str(target),
        dfile=str(shown_as),
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return target.stat().st_size


def copy_elf(source: Path, target: Path) -> int:
    """The file behind source (links followed), stripped of what running it does not need."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.resolve(), target)
    os.chmod(target, 0o755)  # noqa: S103 (an executable or shared library in the image)
    subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)
    return target.stat().st_size


def add_stdlib(root: Path, modules: dict[str, Path]) -> tuple[int, int, list[Path]]:
    """The traced standard library: bytes of bytecode, bytes of extension modules, the extensions."""
    code = native = 0
    extensions: list[Path] = []
    for name, file in sorted((n, f) for n, f in modules.items() if f.is_relative_to(STDLIB)):
        if name in STAND_INS and file.suffix == ".py":
            code += compile_to(STAND_INS[name], inside(root, file.with_suffix(".pyc")), file)
        elif file.suffix == ".py":
            code += compile_to(file, inside(root, file.with_suffix(".pyc")), file)
        elif file.suffix == ".so":
            native += copy_elf(file, inside(root, file))
            extensions.append(file)
        else:
            raise TreeError(f"{file}: a standard library module that is neither .py nor .so")
    return code, native, extensions


def add_packages(root: Path, modules: dict[str, Path]) -> tuple[int, int, list[Path]]:
    """The traced modules of the serve venv: bytes of Python, bytes of extension modules, the extensions."""
    code = native = 0
    extensions: list[Path] = []
    for file in sorted(m for m in modules.values() if m.is_relative_to(PURELIB)):
        shown_as = Path(PACKAGES) / file.relative_to(PURELIB)
        target = inside(root, shown_as)
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".py":
            code += shutil.copyfile(file, target).stat().st_size
            code += compile_to(file, Path(importlib.util.cache_from_source(str(target))), shown_as)
        elif file.suffix == ".so":
            native += copy_elf(file, target)
            extensions.append(file)
        else:
            raise TreeError(f"{file}: a module that is neither .py nor .so")
        if file.relative_to(PURELIB).parts[0] in ("pip", "uv"):
            raise TreeError(f"{file}: the image must not carry a package manager")
    return code, native, extensions


def linked(elf: Path) -> set[Path]:
    """The shared libraries an ELF file links (ldd: the loader's own answer, transitively)."""
    found: set[Path] = set()
    output = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if match := LDD_LINE.match(line):
            found.add(Path(match[1]))
        elif "not found" in line:
            raise TreeError(f"{elf}: {line.strip()}")
    return found


def libraries(elves: list[Path], left_out: list[Path], mapped: set[Path]) -> list[Path]:
    """The shared libraries the shipped ELF files link, plus those the traced processes mapped
    that no traced ELF file links (loaded by dlopen). What only left-out modules link goes."""
    found = {lib for elf in elves for lib in linked(elf)}
    explained = found | {lib for elf in left_out for lib in linked(elf)} | {*elves, *left_out}
    known = {path.resolve() for path in explained}
    found |= {path for path in mapped if path.resolve() not in known}
    return sorted(found)


def add_libraries(root: Path, libs: list[Path]) -> int:
    size = sum(copy_elf(lib, inside(root, lib)) for lib in libs)
    # ld.so.cache for exactly these directories; the .conf it is made from is not needed after.
    conf = root / "etc" / "ld.so.conf"
    conf.write_text("".join(f"{d}\n" for d in sorted({str(lib.parent) for lib in libs})))
    subprocess.run(["ldconfig", "-r", str(root)], check=True)
    conf.unlink()
    shutil.rmtree(root / "var", ignore_errors=True)  # ldconfig's auxiliary cache: only ldconfig reads it
    return size + (root / "etc" / "ld.so.cache").stat().st_size


def add_interpreter(root: Path, executable: Path) -> int:
    size = copy_elf(executable, inside(root, executable))
    for name in ("python", "python3"):
        link = inside(root, executable.with_name(name))
        if link.name != executable.name:
            link.symlink_to(executable.name)
    return size


def add_etc(root: Path) -> int:
    """The two users the image knows: root, and the one it runs as."""
    etc = root / "etc"
    (etc / "passwd").write_text(
        f"root:x:0:0:root:/root:/sbin/nologin\neblog:x:{USER}:{USER}:eblog:/nonexistent:/sbin/nologin\n"
    )
    (etc / "group").write_text(f"root:x:0:\neblog:x:{USER}:\n")
    return sum(f.stat().st_size for f in (etc / "passwd", etc / "group"))


def build(trace: Path, root: Path) -> dict[str, int]:
    """Make the tree; returns its composition in bytes."""
    if root.exists():
        shutil.rmtree(root)
    (root / "etc").mkdir(parents=True)
    (executable,), modules, mapped = read_trace(trace)
    left_out = [modules.pop(name) for name in sorted(LEFT_OUT & modules.keys())]
    strays = sorted(
        str(m)
        for m in modules.values()
        if not (m.is_relative_to(STDLIB) or m.is_relative_to(PURELIB) or m.is_relative_to(APP))
    )
    if strays:
        raise TreeError(f"modules from outside the standard library, the serve venv and {APP}: {strays}")
    sizes = {"interpreter": add_interpreter(root, executable)}
    sizes["stdlib"], sizes["stdlib extensions"], native = add_stdlib(root, modules)
    sizes["packages"], sizes["package extensions"], package_native = add_packages(root, modules)
    sizes["libraries"] = add_libraries(root, libraries([executable, *native, *package_native], left_out, mapped))
    sizes["etc"] = add_etc(root)
    shells = sorted(str(p) for p in root.rglob("*") if p.name in SHELLS)
    if shells:
        raise TreeError(f"a shell in the tree: {shells}")
    return sizes


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        sizes = build(Path(argv[0]), Path(argv[1]))
    except (TreeError, OSError, subprocess.CalledProcessError, py_compile.PyCompileError) as error:
        print(f"tree: error: {error}", file=sys.stderr)
        return 1
    parts = ", ".join(f"{name} {size / 1e6:.2f}" for name, size in sizes.items())
    print(f"tree: {sum(sizes.values()) / 1e6:.2f} MB in {argv[1]} ({parts}; MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
