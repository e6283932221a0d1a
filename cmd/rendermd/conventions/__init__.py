"""Which engine a content tree was written for: detected once per tree, or named in site.toml.

One adapter per engine keeps each engine's knowledge in one module; the
renderer and the templates see only the records the adapter makes.
"""

from pathlib import Path

from cmd.rendermd.conventions.base import DETECTION_WALKS, Convention
from cmd.rendermd.conventions.hugo import Hugo
from cmd.rendermd.conventions.jekyll import Jekyll
from cmd.rendermd.conventions.zola import Zola
from cmd.shared.errors import InputError

ENGINES: dict[str, type[Convention]] = {"eblog": Convention, "jekyll": Jekyll, "hugo": Hugo, "zola": Zola}


def detect(root: Path, named: str | None = None) -> Convention:
    """The convention ``named`` (site.toml's ``convention``), else the first whose marks the tree has."""
    DETECTION_WALKS.clear()  # one left by a render that stopped before reading its tree is stale now
    if named is not None:
        engine = ENGINES.get(named)
        if engine is None:
            raise InputError(f"unknown convention {named!r} (known: {', '.join(ENGINES)})", root / "site.toml")
        return engine.detect(root) or engine(root)  # the engine's settings beside the tree, when there are any
    for engine in (Jekyll, Hugo, Zola):
        found = engine.detect(root)
        if found is not None:
            return found
    return Convention(root)
