"""Stand-ins for tests that run the server's process-level code in the test's own process."""

import io
from typing import NoReturn


class Exited(Exception):
    """Raised by ``exit_raising`` in place of os._exit, so the test goes on and reads the status."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def exit_raising(status: int) -> NoReturn:
    """os._exit for a test: it would end pytest itself (with status 0, read by mutmut as a pass)."""
    raise Exited(status)


class Stream(io.StringIO):
    """A standard stream that counts its flushes, or fails them as a closed or vanished one does."""

    def __init__(self, error: type[Exception] | None = None):
        super().__init__()
        self.error = error
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        if self.error is not None:
            raise self.error("closed or gone")
