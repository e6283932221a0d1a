"""Where ``cmd`` and ``server`` come from when eblog runs from its wheel.

The wheel ships the repo's cmd/ and server/ inside this package, as eblog/cmd and eblog/server,
so that installing eblog never puts a top-level ``cmd`` (which would fight the standard
library's) or ``server`` (anyone's name) into site-packages.  Their code still imports itself by
those names (``from cmd.shared.errors import InputError``), as it does in the repo.  ``ship()``,
called by the ``eblog`` entry point before anything else, answers exactly those two names from
the shipped copies, in this process only: an ``import cmd`` anywhere else still gets the
standard module, and inside eblog it gets ours, which re-exports ``cmd.Cmd`` so pdb works.

Worker processes are forked (rendermd's pool, the server's supervisor), so they inherit this.
"""

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

SHIPPED = Path(__file__).resolve().parent
NAMES = frozenset({"cmd", "server"})


class ShippedTree(importlib.abc.MetaPathFinder):
    """Finds the top-level ``cmd`` and ``server`` in SHIPPED; their submodules follow their ``__path__``."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in NAMES:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [str(SHIPPED)])


def ship() -> None:
    """Make ``cmd`` and ``server`` the shipped copies, where there are any (not in the repo)."""
    if not (SHIPPED / "cmd").is_dir() or any(isinstance(finder, ShippedTree) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, ShippedTree())
    for name in NAMES:
        module = sys.modules.get(name)
        if module is not None and Path(module.__file__ or "").parent != SHIPPED / name:
            del sys.modules[name]  # the standard ``cmd``, imported early: ours has the same Cmd
