"""One error type for bad input, and the one-line report every tool prints."""

import sys
from pathlib import Path


class InputError(Exception):
    """Bad input that the user must fix; reported as ``file:line: message``."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


def report(tool: str, errors: list[InputError]) -> int:
    """Print one line per error on stderr and return the exit status."""
    for error in errors:
        print(f"{tool}: error: {error}", file=sys.stderr)
    return 1 if errors else 0


def report_group(tool: str, group: BaseExceptionGroup) -> int:
    """Report every bad input collected in one run (an ExceptionGroup of InputError)."""
    errors = [error for error in group.exceptions if isinstance(error, InputError)]
    if len(errors) != len(group.exceptions):
        raise group
    return report(tool, errors)
