"""Build the minimal image's file tree from what the traced server loaded (docker/minimal/smoke.py).

    /opt/serve/bin/python docker/minimal/tree.py TRACE ROOT

Into ROOT, each at the path it has in the base image, so the interpreter finds its standard
library by itself (no PYTHONHOME) whichever base it came from:
- the interpreter (the traced executable), with `python` and `python3` links beside it;
- the standard library modules in the trace, as bytecode only and deflated, in the zip the
  interpreter already looks for first (<prefix>/lib/python313.zip); its traced extension modules
  in lib-dynload (a shared object cannot be imported from a zip);
- the serve venv's distributions of which the trace imported anything, each whole (its lazy
  imports stay covered), on PYTHONPATH: the pure-Python ones in PACKAGES_ZIP, bytecode with
  the deflated source beside it (anyio reads its own source to set up its lazy imports, and
  tracebacks show lines), the ones with extension modules in PACKAGES as on disk (source and
  __pycache__) but compiled afresh;
- every shared library that ldd lists for the interpreter and the extension modules shipped,
  plus any other the traced processes mapped (a dlopen), and an ld.so.cache for them, so a
  library outside the loader's default directories (the official image's libpython) is found;
- the CA bundle, and /etc/passwd and /etc/group naming root and the image's user.
Binaries and libraries are stripped of symbols they do not need to run. Bytecode is compiled
with unchecked hashes (no timestamps) and zips have fixed dates and sorted entries: the same
sources give the same tree, so the image's layer stays cached. The server's own package is not in the tree; the Dockerfile copies it.
"""

import importlib.util
import os
import py_compile
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from image import APP, PACKAGES, PACKAGES_ZIP, USER

STDLIB = Path(sysconfig.get_path("stdlib"))
PURELIB = Path(sysconfig.get_path("purelib"))  # the serve venv's site-packages (run by its python)
STDLIB_ZIP = Path(sys.base_prefix, sys.platlibdir, f"python{sys.version_info[0]}{sys.version_info[1]}.zip")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
LDD_LINE = re.compile(r"^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LEFT_OUT = {".pyi", ".typed"}  # type stubs and markers: for type checkers, never imported
SHELLS = {"sh", "bash", "dash", "busybox", "ash", "zsh"}


class TreeError(Exception):
    """The trace names something the tree cannot be made from; the message says what."""


def read_trace(trace: Path) -> tuple[set[Path], set[Path], set[Path]]:
    """Executables, module files and mapped shared objects the traced processes used."""
    executables: set[Path] = set()
    modules: set[Path] = set()
    mapped: set[Path] = set()
    for line in trace.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "executable":
            executables.add(Path(rest))
        elif kind == "module":
            name, _, file = rest.partition(" ")
            if file != "-":
                modules.add(Path(file))
        elif kind == "mapped":
            mapped.add(Path(rest))
    if len(executables) != 1:
        raise TreeError(f"{trace}: expected one interpreter, found {sorted(map(str, executables)) or 'none'}")
    return executables, modules, mapped


def inside(root: Path, path: Path) -> Path:
    return root / path.relative_to("/")


def bytecode(source: Path, shown_as: str) -> bytes:
    """The module's .pyc bytes, hash-based and never checked against a source (none may be there)."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch, "module.pyc")
        py_compile.compile(str(source), cfile=str(target), dfile=shown_as, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return target.read_bytes()


def add_to_zip(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, compresslevel=9)


def copy_elf(source: Path, target: Path) -> int:
    """The file behind source (links followed), stripped of what running it does not need."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.resolve(), target)
    os.chmod(target, 0o755)
    subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)
    return target.stat().st_size


def add_stdlib(root: Path, modules: set[Path]) -> tuple[int, int, list[Path]]:
    """The traced standard library: bytes of the zip, bytes of extension modules, the extensions."""
    native = 0
    extensions: list[Path] = []
    target = inside(root, STDLIB_ZIP)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(modules):
            if not file.is_relative_to(STDLIB):
                continue
            if file.suffix == ".py":
                name = file.relative_to(STDLIB).with_suffix(".pyc").as_posix()
                add_to_zip(archive, name, bytecode(file, str(file)))
            elif file.suffix == ".so":
                native += copy_elf(file, inside(root, file))
                extensions.append(file)
            else:
                raise TreeError(f"{file}: a standard library module that is neither .py nor .so")
    return target.stat().st_size, native, extensions


def distributions(modules: set[Path]) -> tuple[list[Path], list[Path]]:
    """Top-level entries of site-packages that the trace imported from, with their .dist-info,
    split into pure Python ones and ones holding extension modules."""
    tops = {m.relative_to(PURELIB).parts[0] for m in modules if m.is_relative_to(PURELIB)}
    chosen = {PURELIB / top for top in tops}
    for info in PURELIB.glob("*.dist-info"):
        # RECORD lists "path,hash,size"; its top-level entries inside site-packages are the distribution.
        entries = {line.split(",", 1)[0].split("/", 1)[0] for line in (info / "RECORD").read_text().splitlines()}
        if entries & tops:
            chosen |= {PURELIB / e for e in entries if e and e not in ("..", "__pycache__") and (PURELIB / e).exists()}
    native = sorted(p for p in chosen if p.is_dir() and any(p.rglob("*.so")))
    return sorted(chosen - set(native)), native


def package_files(top: Path) -> list[Path]:
    files = sorted(top.rglob("*")) if top.is_dir() else [top]
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts and f.suffix not in LEFT_OUT]


def add_packages(root: Path, modules: set[Path]) -> tuple[int, int, list[Path]]:
    """The imported distributions: bytes in the zip, bytes in the directory, extension modules."""
    pure, native = distributions(modules)
    zipped = inside(root, Path(PACKAGES_ZIP))
    zipped.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zipped, "w") as archive:
        for file in (f for top in pure for f in package_files(top)):
            name = file.relative_to(PURELIB).as_posix()
            add_to_zip(archive, name, file.read_bytes())
            if file.suffix == ".py":
                add_to_zip(archive, name + "c", bytecode(file, f"{PACKAGES_ZIP}/{name}"))
    size = 0
    extensions: list[Path] = []
    target = inside(root, Path(PACKAGES))
    for file in (f for top in native for f in package_files(top)):
        copy = target / file.relative_to(PURELIB)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".so":
            size += copy_elf(file, copy)
            extensions.append(file)
            continue
        size += shutil.copyfile(file, copy).stat().st_size
        if file.suffix == ".py":
            cached = Path(importlib.util.cache_from_source(str(copy)))
            cached.parent.mkdir(exist_ok=True)
            size += cached.write_bytes(bytecode(file, str(Path(PACKAGES) / file.relative_to(PURELIB))))
    if any(p.name == "pip" for p in pure + native):
        raise TreeError("pip is in the serve venv; the image must not carry a package manager")
    return zipped.stat().st_size, size, extensions


def libraries(elves: list[Path], mapped: set[Path]) -> list[Path]:
    """The shared libraries the ELF files link (ldd: the loader's own answer, transitively),
    plus those the traced processes mapped that ldd did not name (loaded by dlopen)."""
    found: set[Path] = set()
    for elf in elves:
        output = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, check=True).stdout
        for line in output.splitlines():
            if match := LDD_LINE.match(line):
                found.add(Path(match[1]))
            elif "not found" in line:
                raise TreeError(f"{elf}: {line.strip()}")
    known = {path.resolve() for path in found} | {path.resolve() for path in elves}
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
    """The CA bundle, and the two users the image knows: root, and the one it runs as."""
    etc = root / "etc"
    (etc / "ssl" / "certs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CA_BUNDLE, inside(root, CA_BUNDLE))
    (etc / "passwd").write_text(f"root:x:0:0:root:/root:/sbin/nologin\neblog:x:{USER}:{USER}:eblog:/nonexistent:/sbin/nologin\n")
    (etc / "group").write_text(f"root:x:0:\neblog:x:{USER}:\n")
    return sum(f.stat().st_size for f in (inside(root, CA_BUNDLE), etc / "passwd", etc / "group"))


def build(trace: Path, root: Path) -> dict[str, int]:
    """Make the tree; returns its composition in bytes."""
    if root.exists():
        shutil.rmtree(root)
    (root / "etc").mkdir(parents=True)
    (executable,), modules, mapped = read_trace(trace)
    strays = sorted(str(m) for m in modules if not (m.is_relative_to(STDLIB) or m.is_relative_to(PURELIB) or m.is_relative_to(APP)))
    if strays:
        raise TreeError(f"modules from outside the standard library, the serve venv and {APP}: {strays}")
    sizes = {"interpreter": add_interpreter(root, executable)}
    sizes["stdlib zip"], sizes["stdlib extensions"], native = add_stdlib(root, modules)
    sizes["packages zip"], sizes["packages with extensions"], package_native = add_packages(root, modules)
    sizes["libraries"] = add_libraries(root, libraries([executable, *native, *package_native], mapped))
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
