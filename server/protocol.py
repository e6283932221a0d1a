"""eblog's HTTP/1.1 connection: httptools parses, the site answers in the same call, limits bound every client.

uvicorn runs it in place of its own httptools protocol (``http=EblogProtocol``;
on the command line ``--http server.protocol:EblogProtocol``).  uvicorn's
protocol is written for any ASGI app and leaves a static site open to
hostile clients: httptools keeps growing a header with no size limit, no
timeout covers a head sent one byte at a time, its own 400s lack our
security headers, it serves requests RFC 9112 says to refuse, and it drops
pipelined requests when the client half-closes.  This one knows it serves an
``EblogApp``:

- a site request is answered inside ``on_headers_complete``, from the
  prebuilt table, with no task, no ASGI messages and no per-header checks
  of the answer; answers in one read go out in one write, in order;
- what the site doesn't answer (``/healthz``) runs the ASGI app in a task,
  and the requests behind it wait their turn;
- limits cost nothing on a normal request: a head that arrives in one read
  of at most ``max_header_line`` bytes can't break any of them, so fields
  are only measured when a head is bigger or split; timeouts are deadlines
  on the connection, checked by one timer for all connections;
- every answer it makes itself (400, 414, 431, 501, 503, 505, 500) carries
  the site's security headers, and refusing a client closes the connection
  after discarding what it still sends, so the refusal is read, not reset.
"""

import asyncio
import http
import logging
import re
import socket
import struct
import time
import weakref
from collections import deque
from typing import Any
from urllib.parse import quote, unquote

import httptools
from starlette.types import Message, Send

from server.app import EblogApp
from server.assets import http_date
from server.settings import Limits
from server.site import encode_headers
from server.urls import URL_SAFE

logger = logging.getLogger("uvicorn.error")

STATUS_LINES = {
    status.value: b"HTTP/1.1 %d %s\r\n" % (status.value, status.phrase.encode("ascii")) for status in http.HTTPStatus
}
IDLE, HEAD, BODY = 0, 1, 2  # where the parser is: between requests, inside a head, inside a body
SLICE = 16384  # a big read is parsed this much at a time, so a stalled connection stops between slices
LINGER = 2.0  # seconds a refused client's further bytes are read and dropped before the socket closes
LINGER_OFF = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and drops the send queue
WATCHED = frozenset({b"host", b"transfer-encoding"})
# RFC 9110 7.2 / RFC 3986 3.2.2: reg-name, IPv4 or [IPv6], optional port.
VALID_HOST = re.compile(rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]*|\[[0-9A-Fa-f:.vV]+\])(?::[0-9]*)?")
KNOWN_HOSTS: set[bytes] = set()  # Host values already found valid (clients send few), so each is matched once


class Refused(Exception):
    """Raised from a parser callback to stop parsing and answer ``status``, then close."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class Clock:
    """The Date field, formatted once a second."""

    second = 0
    line = b""

    @classmethod
    def date_line(cls) -> bytes:
        now = int(time.time())
        if now != cls.second:
            cls.second = now
            cls.line = b"date: %s\r\n" % http_date(now).encode("ascii")
        return cls.line


class Sweeper:
    """One timer per server that closes every connection past its deadline."""

    def __init__(self, connections: set[Any], tick: float):
        self.connections = connections
        self.tick = tick
        self.loop = asyncio.get_running_loop()
        self.loop.call_later(tick, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.connections):
            if connection.deadline < now:
                connection.timed_out()
        self.loop.call_later(self.tick, self.sweep)


SWEEPERS: "weakref.WeakKeyDictionary[Any, Sweeper]" = weakref.WeakKeyDictionary()


def find_app(app: object) -> EblogApp:
    """The EblogApp inside uvicorn's wrappers (its proxy-headers middleware, for one)."""
    while not isinstance(app, EblogApp):
        app = getattr(app, "app", None)
        if app is None:
            raise TypeError("server.protocol.EblogProtocol serves an EblogApp (see server/app.py)")
    return app


def request_target(url: bytes) -> tuple[bytes, str, bytes] | None:
    """Raw path, decoded path and query of an origin- or absolute-form target; None if it is neither."""
    try:
        parsed = httptools.parse_url(url)
    except httptools.HttpParserInvalidURLError:
        return None
    raw_path = parsed.path
    if not raw_path or raw_path[:1] != b"/":
        return None
    try:
        path = raw_path.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return raw_path, unquote(path) if "%" in path else path, parsed.query or b""


def escape_request_line(data: bytes) -> bytes:
    """Percent-encode raw non-ASCII bytes in the request line that starts ``data`` (llhttp refuses them)."""
    end = data.find(b"\n")
    line = data if end < 0 else data[:end]
    if line.isascii():
        return data
    return quote(line, safe=URL_SAFE + " \r").encode("ascii") + (b"" if end < 0 else data[end:])


class EblogProtocol(asyncio.Protocol):
    """One client connection (see the module docstring)."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any], _loop: Any = None) -> None:
        if not config.loaded:
            config.load()
        self.app = find_app(config.loaded_app)
        self.site = self.app.site
        self.limits: Limits = self.app.limits
        self.log = self.app.access_log
        self.server_state = server_state
        self.connections: set[Any] = server_state.connections
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.client: tuple[str, int] | None = None
        self.state = IDLE
        self.deadline = 0.0
        self.idle = False  # between requests on a kept-alive connection
        self.out: list[bytes] = []  # answers to write at the end of this read
        self.pending: deque[tuple[dict[str, Any] | None, int]] = deque()  # (scope, keep_alive) or (None, status)
        self.backlog: bytes | None = None  # bytes read but not parsed yet (the connection is stalled)
        self.busy = False  # the ASGI app is answering a request
        self.write_paused = False
        self.lingering = False
        self.closing = False  # no further request is read
        self.shutting_down = False
        self.eof = False
        self.keep_alive = True
        self.head_bytes = 0  # bytes of a head that spans reads
        self.piece_size = 0
        self.message_began = False
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.hosts: list[bytes] = []
        self.transfer_encoding: bytes | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCP transport: a Transport in all but name
        self.client = transport.get_extra_info("peername")
        self.connections.add(self)
        if self.server_state not in SWEEPERS:
            limits = self.limits
            tick = min(limits.header_timeout, limits.keepalive_timeout, limits.send_timeout, LINGER) / 4
            SWEEPERS[self.server_state] = Sweeper(self.connections, min(max(tick, 0.05), 1.0))
        self.deadline = self.loop.time() + self.limits.header_timeout
        if len(self.connections) > self.limits.max_connections:
            self.refuse(503)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.closing = True
        self.pending.clear()
        self.backlog = None

    def data_received(self, data: bytes) -> None:
        if self.closing:  # refused or closing: what still comes is dropped
            return
        if self.backlog is not None:  # stalled: it waits behind what came before
            self.backlog += data
            return
        if self.state == IDLE and not data.isascii():
            data = escape_request_line(data)
        self.feed(data)
        self.flush()

    def eof_received(self) -> bool | None:
        if not self.closing and (self.busy or self.pending or self.backlog is not None):
            self.eof = True  # answer what was sent before the half-close, then close
            return True
        return None

    def pause_writing(self) -> None:
        self.write_paused = True
        self.deadline = self.loop.time() + self.limits.send_timeout

    def resume_writing(self) -> None:
        self.write_paused = False
        self.deadline = self.loop.time() + self.limits.keepalive_timeout
        self.resume()

    # uvicorn's server calls these

    def shutdown(self) -> None:
        """Graceful stop: close now when idle, else after the answers in progress."""
        self.shutting_down = True
        if self.closing or not (self.busy or self.pending or self.state != IDLE):
            self.transport.close()

    def timed_out(self) -> None:
        """Past the deadline: a head or body that never finished, an idle keep-alive, an unread answer."""
        if self.busy:
            return
        if self.lingering or self.write_paused:
            self.reset()
        else:
            self.closing = True
            self.transport.close()

    def reset(self) -> None:
        """Close with a reset: what the kernel still holds for a client that stopped reading is dropped too."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_OFF)
        self.transport.abort()

    # parsing

    def feed(self, data: bytes) -> None:
        """Parse ``data`` a slice at a time, stopping (and keeping the rest) when the connection stalls."""
        start = 0
        while start < len(data):
            if self.busy or self.write_paused or self.pending:
                self.backlog = data[start:]
                self.transport.pause_reading()
                return
            piece = data if start == 0 and len(data) <= SLICE else data[start : start + SLICE]
            start += len(piece)
            self.feed_piece(piece)
            if self.closing:
                return

    def feed_piece(self, piece: bytes) -> None:
        self.message_began = False
        self.piece_size = len(piece)
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserUpgrade as upgrade:
            self.after_upgrade(piece[upgrade.args[0] :])
            return
        except httptools.HttpParserError as error:
            if not self.closing:  # else the bytes after a last answer: dropped, not refused
                self.refuse(self.status_for(error))
            return
        if self.state == HEAD:
            self.measure_partial_head(piece)

    def after_upgrade(self, rest: bytes) -> None:
        """We never switch protocols: the request was answered as usual; go on with what followed it."""
        if self.parser.get_method() == b"CONNECT":  # what follows would be a tunnel, not HTTP
            self.closing = True
            self.flush()
            self.linger()
        elif rest and not self.closing:
            self.feed_piece(rest)

    def measure_partial_head(self, piece: bytes) -> None:
        """Bound a head that is still arriving (its fields are only complete, and measured, at its end)."""
        if self.message_began:  # began in this piece: count from the end of the request before it
            end = piece.rfind(b"\r\n\r\n")
            self.head_bytes = len(piece) - (end + 4 if end >= 0 else 0)
        else:
            self.head_bytes += len(piece)
        if len(self.url) > self.limits.max_request_line:
            self.refuse(414)
        elif self.head_bytes > self.limits.max_head:
            self.refuse(431)

    def status_for(self, error: Exception) -> int:
        cause = error.__context__
        if isinstance(cause, Refused):
            return cause.status
        if cause is not None:
            logger.error("Exception while answering a request", exc_info=cause)
            return 500
        reason = str(error)
        return 505 if "HTTP version" in reason or "PRI" in reason else 400

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.closing:  # a request after the last one this connection answers: stop parsing
            raise Refused(0)
        self.state = HEAD
        self.message_began = True
        self.url = b""
        self.headers = []
        self.hosts = []
        self.transfer_encoding = None
        if self.idle:
            self.idle = False
            self.deadline = self.loop.time() + self.limits.header_timeout

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in WATCHED:
            if name == b"host":
                self.hosts.append(value)
            else:
                te = self.transfer_encoding
                self.transfer_encoding = value if te is None else te + b"," + value
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.state = BODY
        if self.head_bytes + self.piece_size > self.limits.max_header_line:
            self.check_sizes()
        self.head_bytes = 0
        version = self.parser.get_http_version()
        keep_alive = self.check_framing(version)
        method = self.parser.get_method().decode("ascii")
        target = request_target(self.url)
        if target is None:
            if not (method == "OPTIONS" and self.url == b"*"):
                raise Refused(400)
            target = (b"*", "*", b"")
        raw_path, path, query = target
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": self.headers,
            "client": self.client,
            "http_version": version,
        }
        if self.busy or self.pending or self.write_paused:
            self.pending.append((scope, keep_alive))
        else:
            self.respond(scope, keep_alive)

    def on_message_complete(self) -> None:
        self.state = IDLE
        self.idle = not (self.busy or self.pending)

    def check_sizes(self) -> None:
        """The exact limits, for a head big enough (or split enough) that one might be broken."""
        limits = self.limits
        line = len(self.url) + 16  # method, spaces and version, about
        if line > limits.max_request_line:
            raise Refused(414)
        total = line
        for name, value in self.headers:
            size = len(name) + len(value) + 2
            if size > limits.max_header_line:
                raise Refused(431)
            total += size + 2
        if total > limits.max_head:
            raise Refused(431)

    def check_framing(self, version: str) -> bool:
        """Refuse what RFC 9112 says to refuse; return whether the connection may stay open."""
        if version != "1.1" and version != "1.0":
            raise Refused(505)
        hosts = self.hosts
        if len(hosts) > 1 or (version == "1.1" and not hosts):
            raise Refused(400)  # 3.2: exactly one Host in an HTTP/1.1 request, at most one in 1.0
        if hosts and hosts[0] not in KNOWN_HOSTS:
            if not VALID_HOST.fullmatch(hosts[0]):
                raise Refused(400)
            if len(KNOWN_HOSTS) < 256:
                KNOWN_HOSTS.add(hosts[0])
        te = self.transfer_encoding
        if te is not None:
            if version == "1.0":
                raise Refused(400)  # 6.1: framing from HTTP/1.0 with Transfer-Encoding is faulty
            if te.strip().lower() != b"chunked":
                raise Refused(501)  # 6.1: a transfer coding we don't implement
        return version == "1.1" and self.parser.should_keep_alive() and not self.closing

    # answering

    def respond(self, scope: dict[str, Any], keep_alive: bool) -> None:
        started = time.perf_counter()
        # Draining before a stop: each answer closes its connection, so no client keeps one it would lose.
        self.keep_alive = keep_alive and not (self.shutting_down or self.app.draining)
        answer = self.app.answer(scope)
        if answer is None:
            self.busy = True
            self.transport.pause_reading()
            task = self.loop.create_task(self.run_app(scope))
            self.server_state.tasks.add(task)
            task.add_done_callback(self.server_state.tasks.discard)
            return
        status, headers, body, encoding = answer
        self.write(status, self.site.wire(headers), body)
        if self.log is not None:
            self.log.record(scope, status, len(body), encoding, started)
        self.answered()

    def answered(self) -> None:
        """After each answer: close if the request said so, else wait for the next one."""
        if not self.keep_alive:
            self.closing = True
            self.flush()
            self.linger()
        elif not (self.busy or self.pending):
            self.idle = self.state == IDLE
            self.deadline = self.loop.time() + self.limits.keepalive_timeout

    def write(self, status: int, fields: bytes, body: bytes) -> None:
        close = b"" if self.keep_alive else b"connection: close\r\n"
        self.out.append(b"".join((STATUS_LINES[status], Clock.date_line(), fields, close, b"\r\n")))
        if body:
            self.out.append(body)

    def flush(self) -> None:
        if self.out:
            if not self.transport.is_closing():
                self.transport.writelines(self.out)
            self.out = []

    def refuse(self, status: int) -> None:
        """Answer ``status`` after what is already answered, then read and drop the rest, and close."""
        self.closing = True
        if self.busy or self.pending:
            self.pending.append((None, status))
        else:
            self.write_refusal(status)

    def write_refusal(self, status: int) -> None:
        self.keep_alive = False
        body = STATUS_LINES[status][13:-2] + b"\n"  # the reason phrase
        self.write(status, b"%scontent-length: %d\r\n" % (self.site.wire(self.site.refusal), len(body)), body)
        self.flush()
        self.linger()
        if self.log is not None:  # "-" for the method: the request may not have one
            target = self.url if self.state != IDLE and self.url else b"-"
            scope = {"method": "-", "path": "-", "raw_path": target, "client": self.client}
            self.log.record(scope, status, len(body), "-", time.perf_counter())

    def linger(self) -> None:
        """Half-close after the last answer, then drop what the client still sends until it closes too."""
        self.lingering = True
        self.backlog = None
        self.deadline = self.loop.time() + LINGER
        if not self.transport.is_closing():
            self.transport.write_eof()
            self.transport.resume_reading()

    async def run_app(self, scope: dict[str, Any]) -> None:
        """Answer through the ASGI app (only what the site doesn't answer itself, like /healthz)."""
        scope.update(asgi={"version": "3.0", "spec_version": "2.3"}, scheme="http", root_path="", state={})
        scope["server"] = self.transport.get_extra_info("sockname")
        collected: dict[str, Any] = {"status": 0, "headers": [], "body": []}
        try:
            await self.app(scope, request_body, collector(collected))
        except Exception:
            logger.exception("Exception in ASGI application")
        if not collected["status"]:  # the app failed before answering: a 500 like the connection's own
            collected.update(status=500, headers=list(self.site.refusal), body=[b"Internal Server Error\n"])
        self.busy = False
        if self.transport.is_closing():
            return
        body = b"".join(collected["body"])
        fields = encode_headers(tuple(collected["headers"]))  # the app adds the security headers itself
        if not any(name.lower() == b"content-length" for name, _ in collected["headers"]):
            fields += b"content-length: %d\r\n" % len(body)
        self.write(collected["status"], fields, b"" if scope["method"] == "HEAD" else body)
        self.answered()
        self.resume()

    def resume(self) -> None:
        """After a stall (the app answering, a full write buffer): answer what waited, then read on."""
        while self.pending and not (self.busy or self.write_paused or self.lingering):
            scope, value = self.pending.popleft()
            if scope is None:
                self.write_refusal(value)
            else:
                self.respond(scope, bool(value))
        self.flush()
        if self.busy or self.write_paused or self.pending or self.lingering or self.transport.is_closing():
            return
        backlog, self.backlog = self.backlog, None
        if backlog:
            self.feed(backlog)
            self.flush()
        if self.backlog is None and not self.closing:
            if self.eof:
                self.transport.close()
            else:
                self.transport.resume_reading()


async def request_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def collector(collected: dict[str, Any]) -> Send:
    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            collected["status"] = message["status"]
            collected["headers"] = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            collected["body"].append(message.get("body", b""))

    return send
