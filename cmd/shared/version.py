"""A fingerprint of the tools themselves, for incremental builds.

A page is rebuilt when its inputs change *or* when the code, templates or
libraries that turn inputs into pages change; hashing our own files, the
libraries' ``__init__.py`` and the name of each one's ``*.dist-info`` folder
(which carries its version, also for pyromark, whose version lives in its
compiled extension) covers both, without importing the libraries or
importlib.metadata (tens of ms, on every warm run).
"""

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

TOOLS_ROOT = Path(__file__).resolve().parent.parent
# module -> its distribution's name, as in the *.dist-info folder beside it
SHAPING_LIBRARIES = {"pyromark": "pyromark", "pygments": "pygments", "jinja2": "jinja2", "yaml": "pyyaml"}
TOOL_SUFFIXES = frozenset({".py", ".html", ".css", ".xml", ".po"})


@cache
def tools_digest() -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in TOOLS_ROOT.rglob("*") if p.suffix in TOOL_SUFFIXES and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(TOOLS_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    for (name, distribution), origin in zip(SHAPING_LIBRARIES.items(), library_origins(), strict=True):
        digest.update(name.encode() + b"\0" + origin.read_bytes() + b"\0" + installed_as(origin, distribution).encode())
    return digest.hexdigest()


@cache
def library_origins() -> tuple[Path, ...]:
    """The file each shaping library is imported from (its ``__init__.py``, or pyromark's extension)."""
    origins = []
    for name in SHAPING_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"{name} is not installed: install the 'render' dependency group", name=name)
        origins.append(Path(spec.origin))
    return tuple(origins)


def installed_as(origin: Path, distribution: str) -> str:
    """The names of the ``*.dist-info`` folders of ``distribution`` beside the package: its version."""
    folder = origin.parent.parent if origin.name == "__init__.py" else origin.parent
    return " ".join(
        sorted(
            path.name
            for path in folder.glob("*.dist-info")
            if path.name.lower().replace("_", "-").startswith(distribution + "-")
        )
    )
