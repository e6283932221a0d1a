"""A cheap access log: one line per request on stdout, written in batches.

The logging module would cost more than serving a cached page (records,
formatters, a lock and a write(2) per line).  Here a line is one f-string
appended to a list, and the list goes out in one write 50 ms after its first
line (or at 1,000 lines), so under load thousands of requests share a system
call.  ``flush`` also runs at shutdown, so no line is lost on SIGTERM.
"""

import asyncio
import sys
import time
from typing import TextIO

from starlette.types import Scope

FLUSH_AFTER = 0.05  # seconds a line may wait, so one write(2) carries every line of a busy moment
FLUSH_LINES = 1000  # or this many lines, whichever comes first
MAX_PATH = 512  # a 100 KB path is logged as its first 512 bytes, then "..."


def printable_path(raw_path: bytes) -> str:
    """The path as sent, safe for a one-line log: non-ASCII and control bytes escaped."""
    text = raw_path[:MAX_PATH].decode("ascii", "backslashreplace")
    if not text.isprintable() or '"' in text:
        text = text.encode("unicode_escape").decode("ascii").replace('"', "\\x22")
    return text + "..." if len(raw_path) > MAX_PATH else text


class AccessLog:
    """``time client "METHOD path" status bytes encoding duration_ms`` per request."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stdout
        self.lines: list[str] = []
        self.second = -1
        self.stamp = ""
        self.paths: dict[bytes, str] = {}  # a site has few paths, and each is escaped once

    def record(self, scope: Scope, status: int, size: int, encoding: str, started: float) -> None:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        client = scope.get("client")
        host = client[0] if client else "-"
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "backslashreplace")
        path = self.paths.get(raw_path)
        if path is None:
            path = printable_path(raw_path)
            if len(self.paths) < 4096:  # a scan of made-up paths can't grow it without bound
                self.paths[raw_path] = path
        elapsed = (time.perf_counter() - started) * 1000
        line = f'{self.stamp} {host} "{scope["method"]} {path}" {status} {size} {encoding} {elapsed:.3f}ms\n'
        if not self.lines:
            asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
        self.lines.append(line)
        if len(self.lines) >= FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        text = "".join(self.lines)
        self.lines.clear()
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: keep serving, drop the lines
            pass
