"""The blog's build tools: ``python -m cmd.rendermd``, ``cmd.buildindex``, ``cmd.prezip``.

Named ``cmd`` to mirror the article's layout, this package shadows the standard
library's ``cmd`` module whenever the repo root is on sys.path.  pdb (and so
pytest, which imports pdb at start-up) does ``import cmd`` and subclasses
``cmd.Cmd``.  So the package re-exports the standard module's public names,
loaded from the stdlib file itself: pdb keeps working, and ``cmd.rendermd`` and
its siblings stay ordinary subpackages.
"""

import importlib.util
import sysconfig
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_stdlib_cmd", Path(sysconfig.get_path("stdlib")) / "cmd.py")
assert _spec is not None and _spec.loader is not None
_stdlib_cmd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stdlib_cmd)

Cmd = _stdlib_cmd.Cmd
PROMPT = _stdlib_cmd.PROMPT
IDENTCHARS = _stdlib_cmd.IDENTCHARS
__all__ = ["Cmd"]
