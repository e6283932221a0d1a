"""An access log that keeps what it is told, for tests that check what a request logs."""

from typing import Any

from server.accesslog import AccessLog


class RecordingLog(AccessLog):
    """Each request's (scope, status, size, encoding) in a list instead of a line on stdout."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[dict[str, Any], int, int, str]] = []

    def record(self, scope: Any, status: int, size: int, encoding: str, started: float) -> None:
        assert isinstance(started, float)
        self.records.append((dict(scope), status, size, encoding))
