"""eblog's version, for every tool's ``--version``: one number, kept in pyproject.toml.

Installed from the wheel, the distribution's metadata carries it; run from the repo, the
pyproject.toml beside the package does.  The run image has neither, and says so.  Both are
read only when asked: importlib.metadata alone would add milliseconds to every start.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def version() -> str:
    try:
        import importlib.metadata

        return importlib.metadata.version("eblog")
    except ImportError:  # not installed (PackageNotFoundError is an ImportError), or no such module (minimal image)
        pass
    try:
        import tomllib

        return str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])
    except (ImportError, OSError, KeyError, ValueError):  # TOMLDecodeError is a ValueError
        return "unknown"


class PrintVersion(argparse.Action):
    """``--version``: prints ``TOOL (eblog) VERSION`` on stdout and exits 0; ``tool=`` names the tool."""

    def __init__(self, option_strings: Sequence[str], dest: str, tool: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and exit")
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)
        self.tool = tool

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        name = self.tool if self.tool == "eblog" else f"{self.tool} (eblog)"
        print(f"{name} {version()}", file=sys.stdout)
        parser.exit()
