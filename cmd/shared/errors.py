"""The errors every tool reports as one line, and the report itself."""

import re
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


class OutputError(InputError):
    """The system refused a file operation: a full disk, a read-only mount, no permission.

    Not the user's text, but the user's to fix all the same, so it is reported
    the same way: ``path: No space left on device``.  A subclass of InputError
    so that every ``except InputError`` already reports it; same constructor,
    so it crosses a process pool intact.
    """


def os_failure(error: OSError, path: Path | str | None = None) -> OutputError:
    """The one-line form of ``error``: the path it concerns (else its own filename) and the system's reason."""
    return OutputError(error.strerror or str(error), path if path is not None else error.filename)


def report(tool: str, errors: list[InputError]) -> int:
    """Print one line per error on stderr and return the exit status."""
    for error in errors:
        print(f"{tool}: error: {error}", file=sys.stderr)
    return 1 if errors else 0


def report_group(tool: str, group: BaseExceptionGroup[BaseException]) -> int:
    """Report every bad input and refused write collected in one run (an ExceptionGroup)."""
    errors = [
        error if isinstance(error, InputError) else os_failure(error)
        for error in group.exceptions
        if isinstance(error, InputError | OSError)
    ]
    if len(errors) != len(group.exceptions):
        raise group
    return report(tool, errors)


def toml_line(error: ValueError, text: str) -> int | None:
    """The 1-based line of ``text`` a tomllib error is about: tomllib says it only in its message."""
    found = re.search(r"at line (\d+)", str(error))
    if found:
        return int(found.group(1))
    if "end of document" in str(error):
        return text.count("\n") + 1
    return None
