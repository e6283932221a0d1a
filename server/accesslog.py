"""The server's log: a line per request in a format log tools read, and its own messages, written in batches.

Two styles, chosen by ``EBLOG_ACCESS_LOG`` (server/settings.py):

- ``combined`` (the default, also ``on``): the Combined Log Format of Apache
  and nginx (``log_format combined``), which GoAccess, AWStats, Fluent Bit and
  Vector parse as is::

    127.0.0.1 - - [29/Nov/2026:08:42:23 +0000] "GET /x?y=1 HTTP/1.1" 200 5120 "-" "curl/8.5"

  The server's own messages (start-up, errors) are plain lines beside them,
  as the server has always printed them;
- ``json``: one JSON object a line, for requests (``time``, ``remote_addr``,
  ``method``, ``uri``, ``protocol``, ``status``, ``bytes``, ``referer``,
  ``user_agent``, ``encoding``, ``duration_ms``) and messages (``time``,
  ``level``, ``message``) alike.

The logging module would cost more than serving a cached page (records,
formatters, a lock and a write(2) per line).  Here a line is one f-string
appended to a list, and the list goes out in one write 50 ms after its first
line (or at 1,000 lines), so under load thousands of requests share a system
call.  Text that comes from the client (the target, Referer, User-Agent) is
escaped once per distinct value and remembered.  A message goes out at once,
after the request lines before it; ``flush`` also runs at shutdown, so no line
is lost on SIGTERM.  uvicorn's own messages come here through ``LogHandler``.
"""

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import Literal, TextIO

from starlette.types import Scope

Style = Literal["combined", "json"]
FLUSH_AFTER = 0.05  # seconds a line may wait, so one write(2) carries every line of a busy moment
FLUSH_LINES = 1000  # or this many lines, whichever comes first
MAX_TEXT = 512  # a 100 KB path or header is logged as its first 512 bytes, then "..."
MAX_REMEMBERED = 4096  # escaped values kept
# Month names written out: strftime's %b follows LC_TIME, and log tools expect English.
PLAIN = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # printable ASCII but '"' and '\\': logged as it is
ESCAPED = [chr(byte) if PLAIN.fullmatch(bytes([byte])) else f"\\x{byte:02x}" for byte in range(256)]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def style_of(access_log: str) -> Style:
    """The style for a value of EBLOG_ACCESS_LOG (server/settings.py): with "off", messages stay plain."""
    return "json" if access_log == "json" else "combined"


def printable(raw: bytes) -> str:
    """Client bytes, safe in a quoted field of a log line: all but printable ASCII, ``"`` and ``\\`` as ``\\xHH``.

    nginx's escaping: a backslash in the log is always the start of an escape, never the client's.
    """
    cut = raw[:MAX_TEXT]
    text = cut.decode("ascii") if PLAIN.fullmatch(cut) else "".join([ESCAPED[byte] for byte in cut])
    return text + "..." if len(raw) > MAX_TEXT else text


def json_string(raw: bytes) -> str:
    """Bytes from the client as a JSON string, quotes included: UTF-8 as text, other bytes as ``\\xff``."""
    text = raw[:MAX_TEXT].decode("utf-8", "backslashreplace")
    return json.dumps(text + "..." if len(raw) > MAX_TEXT else text)


def clf_time(seconds: int) -> str:
    """``29/Nov/2026:08:42:23 +0000``: the Common Log Format's time, in UTC."""
    t = time.gmtime(seconds)
    return f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso_time(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))  # digits only: no locale in it


class Escaped(dict[bytes, str]):
    """Client text -> its escaped form, each value escaped once: a site sees few paths and agents.

    A dict with ``__missing__``, so a value seen before costs one lookup and no Python call.
    """

    def __init__(self, escape: Callable[[bytes], str]):
        super().__init__()
        self.escape = escape

    def __missing__(self, raw: bytes) -> str:
        text = self.escape(raw)
        if len(self) < MAX_REMEMBERED:  # a scan of made-up paths can't grow the table without bound
            self[raw] = text
        return text


class AccessLog:
    """The writer: ``record`` a request, ``message`` a line of the server's own, ``flush`` at the end."""

    def __init__(self, stream: TextIO | None = None, style: Style = "combined", errors: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stdout
        self.errors = errors if errors is not None else sys.stderr
        self.style = style
        combined = style == "combined"
        self.line = self.combined_line if combined else self.json_line
        self.escaped = Escaped(printable if combined else json_string)
        self.absent = "-" if combined else "null"  # a Referer or User-Agent the request didn't send
        self.lines: list[str] = []
        self.second = -1
        self.stamp = ""

    def record(self, scope: Scope, status: int, size: int, encoding: str, started: float) -> None:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.stamp = clf_time(second) if self.style == "combined" else iso_time(second)
        if not self.lines:
            asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
        self.lines.append(self.line(scope, status, size, encoding, started))
        if len(self.lines) >= FLUSH_LINES:
            self.flush()

    def combined_line(self, scope: Scope, status: int, size: int, encoding: str, started: float) -> str:
        client = scope.get("client")
        target, referer, agent = self.client_text(scope)
        version = scope.get("http_version")
        request = f"{scope['method']} {target} HTTP/{version}" if version else f"{scope['method']} {target}"
        host = client[0] if client else "-"
        return f'{host} - - [{self.stamp}] "{request}" {status} {size} "{referer}" "{agent}"\n'

    def json_line(self, scope: Scope, status: int, size: int, encoding: str, started: float) -> str:
        client = scope.get("client")
        target, referer, agent = self.client_text(scope)
        version = scope.get("http_version")
        protocol = f'"HTTP/{version}"' if version else "null"
        elapsed = (time.perf_counter() - started) * 1000
        # The client's text comes JSON-quoted from json_string; the rest is ours: digits, a method token, an address.
        return (
            f'{{"time":"{self.stamp}","remote_addr":"{client[0] if client else "-"}","method":"{scope["method"]}",'
            f'"uri":{target},"protocol":{protocol},"status":{status},"bytes":{size},"referer":{referer},'
            f'"user_agent":{agent},"encoding":"{encoding}","duration_ms":{elapsed:.3f}}}\n'
        )

    def client_text(self, scope: Scope) -> tuple[str, str, str]:
        """The target as sent (query included), Referer and User-Agent, escaped for the style."""
        raw = scope.get("raw_path") or scope["path"].encode("utf-8", "backslashreplace")
        query = scope.get("query_string")
        if query:
            raw += b"?" + query
        referer = agent = None
        for name, value in scope.get("headers", ()):
            if name == b"user-agent":
                agent = value
            elif name == b"referer":
                referer = value
        escaped = self.escaped
        absent = self.absent
        return (
            escaped[raw],
            absent if referer is None else escaped[referer],
            absent if agent is None else escaped[agent],
        )

    def message(self, text: str, level: str = "info") -> None:
        """One of the server's own messages, written now, after the request lines before it.

        In the combined style warnings and errors go to stderr, as uvicorn and nginx send them, so
        stdout stays request lines and the start-up line; in JSON everything is one stream of objects.
        """
        if self.style == "json":
            stamp = iso_time(int(time.time()))
            self.lines.append(json.dumps({"time": stamp, "level": level, "message": text}) + "\n")
        elif level in ("info", "debug"):
            self.lines.append(text + "\n")
        else:
            self.flush()
            write(self.errors, text + "\n")
            return
        self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        text = "".join(self.lines)
        self.lines.clear()
        write(self.stream, text)


def write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # stdout closed or gone: keep serving, drop the lines
        pass


class LogHandler(logging.Handler):
    """Records of the logging module (uvicorn's, the connection's errors) written by an AccessLog as messages."""

    def __init__(self, log: AccessLog):
        super().__init__()
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.log.message(text, record.levelname.lower())

    def take_over(self, logger: logging.Logger) -> None:
        """Send the warnings and errors of ``logger`` and the loggers below it here, and nowhere else.

        uvicorn's informational lines ("Started server process"...) are left out: the server's own
        start-up line says what they say, and more.
        """
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(self)
        self.setLevel(
            logging.WARNING
        )  # on the handler: records of the loggers below reach it whatever this one's level
