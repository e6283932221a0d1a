"""The blog's build tools: ``python -m cmd.rendermd``, ``cmd.buildindex``, ``cmd.prezip``.

Named ``cmd`` to mirror the article's layout, this package shadows the standard
library's ``cmd`` module whenever the repo root is on sys.path.  pdb (and so
pytest, which imports pdb at start-up) does ``import cmd`` and subclasses
``cmd.Cmd``.  So the package offers the standard module's public names,
loaded from the stdlib file itself: pdb keeps working, and ``cmd.rendermd`` and
its siblings stay ordinary subpackages.  The standard module is loaded on first
use of one of its names (PEP 562), not on every start of a tool: a warm run with
nothing to do is mostly start-up.
"""

import os

__all__ = ["Cmd"]
STDLIB_NAMES = frozenset({"Cmd", "PROMPT", "IDENTCHARS"})


def __getattr__(name: str) -> object:
    if name not in STDLIB_NAMES:
        raise AttributeError(f"module 'cmd' has no attribute {name!r}")
    import importlib.util

    # The stdlib's folder is the one os.py came from: sysconfig would say the same, after importing much more.
    spec = importlib.util.spec_from_file_location("_stdlib_cmd", os.path.join(os.path.dirname(os.__file__), "cmd.py"))
    assert spec is not None and spec.loader is not None
    stdlib_cmd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stdlib_cmd)
    globals().update({stdlib_name: getattr(stdlib_cmd, stdlib_name) for stdlib_name in STDLIB_NAMES})
    return globals()[name]
