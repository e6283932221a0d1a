"""A fingerprint of the tools themselves, for incremental builds.

A page is rebuilt when its inputs change *or* when the code, templates or
libraries that turn inputs into pages change; hashing our own files and the
libraries' ``__init__.py`` (which carries each one's ``__version__``) covers
both, without importing the libraries or importlib.metadata (tens of ms, on
every warm run).
"""

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

TOOLS_ROOT = Path(__file__).resolve().parent.parent
SHAPING_LIBRARIES = ("markdown_it", "mdit_py_plugins", "pygments", "jinja2", "yaml")
TOOL_SUFFIXES = frozenset({".py", ".html", ".css", ".xml", ".po"})


@cache
def tools_digest() -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in TOOLS_ROOT.rglob("*") if p.suffix in TOOL_SUFFIXES and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(TOOLS_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    for name in SHAPING_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"{name} is not installed: install the 'render' dependency group")
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
    return digest.hexdigest()
