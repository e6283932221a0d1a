"""server/protocol.py in process: each refusal's exact bytes and log record, the framing rules, escaping.

Written for the mutants the rest of the suite let live (see bench/mutation-survivors.md): the
refusals are compared byte for byte with answers written out here, the Date field held still.
"""

import asyncio
import http
import logging
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from uvicorn.server import ServerState

from server import protocol
from server.app import EblogApp, create_app
from server.protocol import (
    LINGER_OFF,
    EblogProtocol,
    Sweeper,
    collector,
    escape_request_line,
    find_app,
    request_body,
    request_target,
)
from server.settings import Limits
from testing.recording_log import RecordingLog
from tests.server.test_server_protocol import RecordingTransport, converse

COMMON = (
    b"x-eblog-commit: unknown\r\n"
    b"x-content-type-options: nosniff\r\n"
    b"content-security-policy: default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
    b"referrer-policy: strict-origin-when-cross-origin\r\n"
    b"x-frame-options: DENY\r\n"
)


def refusal(status_line: bytes, reason: bytes) -> bytes:
    """A refusal as the connection writes it: plain text, not stored, the site's headers, then closed."""
    body = reason + b"\n"
    return (
        status_line + b"\r\ndate: X\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n"
        + COMMON + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body) + body
    )  # fmt: skip


# Python's own phrase: "Request-URI Too Long" up to 3.12, RFC 9110's "URI Too Long" after.
URI_TOO_LONG = http.HTTPStatus.REQUEST_URI_TOO_LONG.phrase.encode("ascii")


REAL_DATE_LINE = protocol.Clock.date_line  # before still_date holds it


@pytest.fixture(autouse=True)
def still_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol.Clock, "date_line", classmethod(lambda cls: b"date: X\r\n"))


def make_app(site_zip: Path, limits: Limits | None = None) -> tuple[EblogApp, RecordingLog]:
    app = create_app(site_zip, access_log=False, limits=limits)
    log = RecordingLog()
    app.access_log = log
    return app, log


@pytest.mark.parametrize(
    ("request_bytes", "status_line", "reason"),
    [
        (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", b"HTTP/1.1 505", b"HTTP Version Not Supported"),
        (b"GET / HTTP/9.9\r\nHost: a\r\n\r\n", b"HTTP/1.1 505", b"HTTP Version Not Supported"),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", b"HTTP/1.1 505", b"HTTP Version Not Supported"),  # llhttp parses it
        (b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", b"HTTP/1.1 505", b"HTTP Version Not Supported"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"HTTP/1.1 505", b"HTTP Version Not Supported"),
        (b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),  # no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
        (b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", b"HTTP/1.1 501", b"Not Implemented"),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
         b"HTTP/1.1 501", b"Not Implemented"),  # two fields are one list: "gzip,chunked"
        (b"GET foo HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
        (b"GARBAGE\r\n\r\n", b"HTTP/1.1 400", b"Bad Request"),
    ],
)  # fmt: skip
def test_each_refusal_byte_for_byte(site_zip: Path, request_bytes: bytes, status_line: bytes, reason: bytes) -> None:
    app, _ = make_app(site_zip)
    written, transport = asyncio.run(converse(app, request_bytes))
    assert written == refusal(status_line + b" " + reason, reason)
    assert transport.eof and transport.reading  # half-closed, still reading (to drop the rest)


def test_chunked_and_keep_alive_requests_are_served(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    chunked = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked \r\n\r\n0\r\n\r\n"
    written, transport = asyncio.run(converse(app, chunked + b"GET / HTTP/1.0\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert b"HTTP/1.1 200 OK\r\n" in written and written.count(b"connection: close\r\n") == 1
    assert [record[1] for record in log.records] == [405, 200]
    assert transport.eof  # HTTP/1.0 without keep-alive: closed after its answer


def test_a_refusal_is_logged_with_its_target_or_a_dash(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    asyncio.run(converse(app, b"GET /x HTTP/1.1\r\n\r\n"))
    asyncio.run(converse(app, b"GARBAGE\r\n\r\n"))
    client = ("127.0.0.1", 8080)
    assert log.records == [
        ({"method": "-", "path": "-", "raw_path": b"/x", "client": client}, 400, 12, "-"),
        ({"method": "-", "path": "-", "raw_path": b"-", "client": client}, 400, 12, "-"),
    ]


def test_too_many_connections_get_503(site_zip: Path) -> None:
    app, log = make_app(site_zip, Limits(max_connections=0))
    written, _ = asyncio.run(converse(app))
    assert written == refusal(b"HTTP/1.1 503 Service Unavailable", b"Service Unavailable")
    assert [record[1:] for record in log.records] == [(503, 20, "-")]


@pytest.mark.parametrize(
    ("head", "status_line", "reason"),
    [
        (b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 414", URI_TOO_LONG),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 200 + b"\r\n\r\n", b"HTTP/1.1 431",
         b"Request Header Fields Too Large"),
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: vvvvvvvvvvvvvvvvvvvvvvvvv\r\n" * 20 + b"\r\n", b"HTTP/1.1 431",
         b"Request Header Fields Too Large"),
    ],
)  # fmt: skip
def test_limits_on_a_head_in_one_read(site_zip: Path, head: bytes, status_line: bytes, reason: bytes) -> None:
    app, _ = make_app(site_zip, Limits(max_request_line=128, max_header_line=128, max_head=512))
    written, _ = asyncio.run(converse(app, head))
    assert written == refusal(status_line + b" " + reason, reason)


def test_limits_at_their_exact_bounds(site_zip: Path) -> None:
    """A field of exactly max_header_line bytes (name, ": " and value) passes; one byte more is refused."""
    app, _ = make_app(site_zip, Limits(max_request_line=128, max_header_line=64, max_head=1024))
    exact = b"X: " + b"v" * 61  # 1 + 61 + 2 = 64
    over = b"X: " + b"v" * 62
    ok, _ = asyncio.run(converse(app, b"GET / HTTP/1.1\r\nHost: a\r\n" + exact + b"\r\n\r\n"))
    refused, _ = asyncio.run(converse(app, b"GET / HTTP/1.1\r\nHost: a\r\n" + over + b"\r\n\r\n"))
    assert ok.startswith(b"HTTP/1.1 200 OK\r\n")
    assert refused.startswith(b"HTTP/1.1 431 ")


def test_a_failing_site_answers_500_and_logs_the_cause(
    site_zip: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(site_zip)

    def broken(scope: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "answer", broken)
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        written, _ = asyncio.run(converse(app, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written == refusal(b"HTTP/1.1 500 Internal Server Error", b"Internal Server Error")
    [entry] = [record for record in caplog.records if record.name == "uvicorn.error"]
    assert entry.getMessage() == "Exception while answering a request"
    assert entry.exc_info is not None and str(entry.exc_info[1]) == "boom"


@pytest.mark.parametrize(
    ("data", "escaped"),
    [
        (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /caf%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n"),
        (b"GET /\xc3\xa9?q=\xc3\xa9 HTTP/1.1", b"GET /%C3%A9?q=%C3%A9 HTTP/1.1"),  # no newline yet
        (b"GET /\xff HTTP/1.1\r\nX: \xff\r\n\r\n", b"GET /%FF HTTP/1.1\r\nX: \xff\r\n\r\n"),  # the first line only
        (b"\nGET /\xff", b"\nGET /\xff"),  # an empty first line: ASCII, nothing to escape
        (b"GET /a%20b HTTP/1.1\r\n", b"GET /a%20b HTTP/1.1\r\n"),
    ],
)
def test_escape_request_line(data: bytes, escaped: bytes) -> None:
    assert escape_request_line(data) == escaped


def test_a_non_ascii_target_is_served_escaped(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    written, _ = asyncio.run(converse(app, b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert log.records[0][0]["raw_path"] == b"/caf%C3%A9"
    assert log.records[0][0]["path"] == "/caf\u00e9"


def test_one_connection_under_a_limit_of_one_is_served(site_zip: Path) -> None:
    app, _ = make_app(site_zip, Limits(max_connections=1))
    written, _ = asyncio.run(converse(app, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 200 OK\r\n")


class Scripted(EblogApp):
    """An app whose ASGI side (the probes' path) sends what a test scripts, and keeps the scope it got."""

    messages: list[dict[str, Any]]
    scopes: list[dict[str, Any]]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(dict(scope))
        for message in self.messages:
            await send(message)
        if not self.messages:
            raise RuntimeError("no answer")


def scripted(site_zip: Path, *messages: dict[str, Any]) -> Scripted:
    made = create_app(site_zip, access_log=False)
    app = Scripted(made.site, made.summary, None, made.limits, made.log)
    app.messages, app.scopes = list(messages), []
    return app


def test_the_asgi_scope_the_protocol_builds(site_zip: Path) -> None:
    app = scripted(site_zip, {"type": "http.response.start", "status": 204, "headers": []})
    asyncio.run(converse(app, b"GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"))
    [scope] = app.scopes
    assert {key: scope[key] for key in ("type", "method", "path", "raw_path", "query_string", "http_version")} == {
        "type": "http",
        "method": "GET",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"x=1",
        "http_version": "1.1",
    }
    assert (scope["asgi"], scope["scheme"], scope["root_path"], scope["state"]) == (
        {"version": "3.0", "spec_version": "2.3"}, "http", "", {}
    )  # fmt: skip
    assert (scope["server"], scope["client"]) == (("127.0.0.1", 8080), ("127.0.0.1", 8080))
    assert scope["headers"] == [(b"host", b"a")]


def test_an_app_body_in_pieces_without_a_length_gets_one(site_zip: Path) -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
    app = scripted(
        site_zip, start, {"type": "http.response.body", "body": b"ab", "more_body": True},
        {"type": "http.response.body", "body": b"cd"},
    )  # fmt: skip
    written, _ = asyncio.run(converse(app, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written == b"HTTP/1.1 200 OK\r\ndate: X\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nabcd"
    written, _ = asyncio.run(converse(app, b"HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written == b"HTTP/1.1 200 OK\r\ndate: X\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\n"


def test_an_app_length_is_not_sent_twice(site_zip: Path) -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"Content-Length", b"2")]}
    app = scripted(site_zip, start, {"type": "http.response.body", "body": b"ok"})
    written, _ = asyncio.run(converse(app, b"GET /livez HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written == b"HTTP/1.1 200 OK\r\ndate: X\r\nContent-Length: 2\r\n\r\nok"


def test_an_app_that_fails_before_answering_gets_the_connections_500(
    site_zip: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = scripted(site_zip)
    with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        written, _ = asyncio.run(
            converse(app, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        )
    body = b"Internal Server Error\n"
    first = (
        b"HTTP/1.1 500 Internal Server Error\r\ndate: X\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"cache-control: no-store\r\n" + COMMON + b"content-length: %d\r\n\r\n" % len(body) + body
    )
    assert written.startswith(first)
    assert written[len(first) :].startswith(b"HTTP/1.1 200 OK\r\n")  # the connection goes on
    [entry] = [record for record in caplog.records if record.name == "uvicorn.error"]
    assert entry.getMessage() == "Exception in ASGI application"


def test_the_date_field_is_made_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1700000000.2]
    monkeypatch.setattr(time, "time", lambda: now[0])
    monkeypatch.setattr(protocol.Clock, "second", 0)
    first = REAL_DATE_LINE()
    assert first == b"date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
    now[0] = 1700000000.9
    assert REAL_DATE_LINE() is first
    now[0] = 1700000001.0
    assert REAL_DATE_LINE() == b"date: Tue, 14 Nov 2023 22:13:21 GMT\r\n"


class Connection:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.timeouts = 0

    def timed_out(self) -> None:
        self.timeouts += 1


def test_the_sweeper_times_out_connections_past_their_deadline_on_every_tick() -> None:
    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        late, early = Connection(loop.time() - 1), Connection(loop.time() + 60)
        Sweeper({late, early}, 0.01)
        await asyncio.sleep(0.1)
        return late.timeouts, early.timeouts

    late, early = asyncio.run(scenario())
    assert late >= 2 and early == 0


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (b"/plain", (b"/plain", "/plain", b"")),
        (b"/a%20b?x=1&y", (b"/a%20b", "/a b", b"x=1&y")),
        (b"http://example.org/p?q=1", (b"/p", "/p", b"q=1")),
        (b"http://example.org", None),  # no path
        (b"*", None),
        (b"/\xff", None),  # not UTF-8
    ],
)
def test_request_target(url: bytes, target: tuple[bytes, str, bytes] | None) -> None:
    assert request_target(url) == target


def test_find_app_looks_through_wrappers_and_names_what_it_needs(site_zip: Path) -> None:
    app = create_app(site_zip, access_log=False)
    assert find_app(SimpleNamespace(app=SimpleNamespace(app=app))) is app
    with pytest.raises(TypeError, match=r"^server\.protocol\.EblogProtocol serves an EblogApp \(see server/app\.py\)$"):
        find_app(SimpleNamespace(app=object()))


def test_the_request_body_and_the_collector() -> None:
    assert asyncio.run(request_body()) == {"type": "http.request", "body": b"", "more_body": False}
    collected: dict[str, Any] = {"status": 0, "headers": [("x", "y")], "body": []}
    send = collector(collected)

    async def answer() -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})
        await send({"type": "http.response.body", "body": b"z"})

    asyncio.run(answer())
    assert collected == {"status": 204, "headers": [], "body": [b"", b"z"]}


def test_the_scope_the_site_gets(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    written, _ = asyncio.run(converse(app, b"GET /hello.html?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert b"\r\nlocation: /hello?x=1\r\n" in written  # the query string reached the site
    asyncio.run(converse(app, b"GET /hello HTTP/1.0\r\n\r\n"))
    scope = log.records[-1][0]
    assert (scope["client"], scope["http_version"], scope["raw_path"]) == (("127.0.0.1", 8080), "1.0", b"/hello")
    written, _ = asyncio.run(converse(app, b"GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 400 Bad Request\r\n")  # decided on the raw path


def test_options_star_is_a_request_like_another(site_zip: Path) -> None:
    app, _ = make_app(site_zip)
    written, transport = asyncio.run(converse(app, b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert not transport.eof
    written, _ = asyncio.run(converse(app, b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 400 Bad Request\r\n")


@pytest.mark.parametrize(
    ("head", "stays_open"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False),  # keep-alive is HTTP/1.1's only
    ],
)
def test_which_connections_stay_open(site_zip: Path, head: bytes, stays_open: bool) -> None:
    app, _ = make_app(site_zip)
    written, transport = asyncio.run(converse(app, head))
    assert (b"\r\nconnection: close\r\n" not in written, not transport.eof) == (stays_open, stays_open)


@pytest.mark.parametrize(
    ("url_length", "field_length", "max_head", "status"),
    [
        (112, 40, 182, 404),  # request line 112 + 16 = 128, at its limit; head 128 + 9 + 45 = 182, at its limit
        (113, 40, 200, 414),
        (1, 40, 71, 200),  # head 17 + 9 + 45 = 71
        (1, 40, 70, 431),  # one byte over the head's limit
        (1, 61, 200, 200),  # a field of 1 + 61 + 2 = 64 bytes: at the limit
        (1, 62, 200, 431),
    ],
)
def test_exact_limits_of_a_big_head(
    site_zip: Path, url_length: int, field_length: int, max_head: int, status: int
) -> None:
    """Heads bigger than one field's limit are measured exactly: line, each field, the whole."""
    app, _ = make_app(site_zip, Limits(max_request_line=128, max_header_line=64, max_head=max_head))
    url = b"/" + b"a" * (url_length - 1)
    head = b"GET " + url + b" HTTP/1.1\r\nhost: a\r\nX: " + b"v" * field_length + b"\r\n\r\n"
    written, _ = asyncio.run(converse(app, head))
    assert written.startswith(b"HTTP/1.1 %d " % status)


TIMEOUTS = Limits(header_timeout=11, keepalive_timeout=33, send_timeout=77)


class Socket:
    def __init__(self) -> None:
        self.options: list[tuple[int, int, bytes]] = []

    def setsockopt(self, level: int, option: int, value: bytes) -> None:
        self.options.append((level, option, value))


class SocketTransport(RecordingTransport):
    """A transport with a socket, as uvloop's has, to see what a reset sets on it."""

    def __init__(self) -> None:
        super().__init__()
        self.socket = Socket()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.socket if name == "socket" else super().get_extra_info(name, default)


def open_connection(app: EblogApp) -> tuple[EblogProtocol, SocketTransport]:
    """A connection as uvicorn makes one (call inside a running loop)."""
    state = ServerState()
    connection = EblogProtocol(SimpleNamespace(loaded=True, loaded_app=app), state, {})
    transport = SocketTransport()
    connection.connection_made(transport)  # type: ignore[arg-type]
    return connection, transport


def test_each_deadline_follows_what_the_connection_waits_for(site_zip: Path) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        connection, _ = open_connection(app)
        seen = [("head", connection.deadline - loop.time())]
        connection.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        seen.append(("idle", connection.deadline - loop.time()))
        idle_then = (connection.idle, connection.closing)
        connection.data_received(b"GET / HTTP/1.1\r\n")  # the next request begins
        seen.append(("head", connection.deadline - loop.time()))
        assert (idle_then, connection.idle) == ((True, False), False)
        connection.pause_writing()
        seen.append(("send", connection.deadline - loop.time()))
        paused_then = connection.write_paused
        connection.resume_writing()
        seen.append(("idle", connection.deadline - loop.time()))
        assert (paused_then, connection.write_paused) == (True, False)
        connection.refuse(400)
        seen.append(("linger", connection.deadline - loop.time()))
        assert connection.lingering and connection.backlog is None
        return seen

    expected = {"head": 11, "idle": 33, "send": 77, "linger": 2}
    for what, left in asyncio.run(scenario()):
        assert expected[what] - 1 < left <= expected[what], what


def test_timing_out(site_zip: Path) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> None:
        idle, transport = open_connection(app)
        idle.timed_out()
        assert (idle.closing, transport.closed, transport.socket.options) == (True, True, [])
        stuck, transport = open_connection(app)
        stuck.pause_writing()
        stuck.timed_out()  # a client that stopped reading: reset, dropping what the kernel holds
        assert transport.closed and transport.socket.options == [(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_OFF)]
        refused, transport = open_connection(app)
        refused.refuse(400)
        refused.timed_out()
        assert transport.closed and transport.socket.options == [(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_OFF)]
        busy, transport = open_connection(app)
        busy.busy = True
        busy.timed_out()
        assert not transport.closed

    asyncio.run(scenario())


def test_shutdown_closes_idle_connections_and_lets_a_request_finish(site_zip: Path) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> None:
        idle, transport = open_connection(app)
        idle.shutdown()
        assert idle.shutting_down and transport.closed
        working, transport = open_connection(app)
        working.data_received(b"GET / HTTP/1.1\r\n")
        working.shutdown()
        assert not transport.closed
        working.data_received(b"Host: a\r\n\r\n")
        assert b"\r\nconnection: close\r\n" in transport.written and transport.eof

    asyncio.run(scenario())


def test_a_half_close_waits_for_answers_in_progress(site_zip: Path) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> None:
        idle, _ = open_connection(app)
        assert idle.eof_received() is None and not idle.eof  # nothing pending: asyncio closes
        stalled, _ = open_connection(app)
        stalled.backlog = b"GET / HTTP/1.1\r\n"
        assert stalled.eof_received() is True and stalled.eof
        refused, _ = open_connection(app)
        refused.backlog = b"x"
        refused.refuse(400)
        assert refused.eof_received() is None

    asyncio.run(scenario())


def test_bytes_that_arrive_while_stalled_wait_behind_the_others(site_zip: Path) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> None:
        connection, _ = open_connection(app)
        connection.backlog = b"GET / "
        connection.data_received(b"HTTP/1.1\r\n")
        assert connection.backlog == b"GET / HTTP/1.1\r\n"

    asyncio.run(scenario())


def test_only_a_request_line_is_escaped_not_a_field(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    asyncio.run(converse(app, b"GET / HTTP/1.1\r\nHost: a\r\n", b"X: caf\xc3\xa9\r\n\r\n"))
    assert (b"x", b"caf\xc3\xa9") in log.records[0][0]["headers"]


def test_a_request_after_the_last_one_is_dropped_unanswered(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    last = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    written, _ = asyncio.run(converse(app, last + b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.count(b"HTTP/1.1 ") == 1 and [record[1] for record in log.records] == [200]


@pytest.mark.parametrize(
    ("limits", "tick"),
    [
        (Limits(header_timeout=2, keepalive_timeout=4, send_timeout=8), 0.5),  # a quarter of the shortest
        (Limits(header_timeout=8, keepalive_timeout=1.2, send_timeout=8), 0.3),
        (Limits(header_timeout=8, keepalive_timeout=8, send_timeout=0.8), 0.2),
        (Limits(header_timeout=9, keepalive_timeout=9, send_timeout=9), 0.5),  # LINGER, 2 s, is the shortest
        (Limits(header_timeout=0.1, keepalive_timeout=9, send_timeout=9), 0.05),  # never below 50 ms
    ],
)
def test_one_sweeper_per_server_ticks_at_a_quarter_of_the_shortest_wait(
    site_zip: Path, limits: Limits, tick: float
) -> None:
    app, _ = make_app(site_zip, limits)

    async def scenario() -> tuple[float, bool, bool]:
        first, _ = open_connection(app)
        sweeper = protocol.SWEEPERS[first.server_state]
        second = EblogProtocol(SimpleNamespace(loaded=True, loaded_app=app), first.server_state, {})
        second.connection_made(SocketTransport())  # type: ignore[arg-type]
        return sweeper.tick, protocol.SWEEPERS[first.server_state] is sweeper, sweeper.connections == {first, second}

    made, one, watched = asyncio.run(scenario())
    assert (round(made, 6), one, watched) == (tick, True, True)


def test_a_head_that_never_ends_is_closed_by_the_sweeper(site_zip: Path) -> None:
    app, _ = make_app(site_zip, Limits(header_timeout=0.2))

    async def scenario() -> bool:
        connection, transport = open_connection(app)
        connection.data_received(b"GET / HTTP/1.1\r\n")
        for _ in range(100):
            if transport.closed:
                return True
            await asyncio.sleep(0.05)
        return False

    assert asyncio.run(scenario())


@pytest.mark.parametrize("waiting", ["busy", "pending"])
def test_an_answer_in_progress_keeps_the_connection_through_a_half_close_and_a_shutdown(
    site_zip: Path, waiting: str
) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)

    async def scenario() -> tuple[bool | None, bool, bool]:
        connection, transport = open_connection(app)
        if waiting == "busy":
            connection.busy = True  # the ASGI app is answering
        else:
            connection.pending.append((None, 400))  # an answer waits its turn
        half_closed = connection.eof_received()
        connection.shutdown()
        return half_closed, connection.eof, transport.closed

    assert asyncio.run(scenario()) == (True, True, False)


@pytest.mark.parametrize("stall", ["write_paused", "busy", "pending"])
def test_what_arrives_while_stalled_is_kept_unparsed_and_reading_stops(site_zip: Path, stall: str) -> None:
    app, _ = make_app(site_zip, TIMEOUTS)
    request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"

    async def scenario() -> tuple[bytes | None, bool, bytes]:
        connection, transport = open_connection(app)
        if stall == "write_paused":
            connection.pause_writing()
        elif stall == "busy":
            connection.busy = True
        else:
            connection.pending.append((None, 400))
        connection.data_received(request)
        return connection.backlog, transport.reading, bytes(transport.written)

    assert asyncio.run(scenario()) == (request, False, b"")


def test_after_connect_nothing_more_is_parsed(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    connect = b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n"
    written, transport = asyncio.run(converse(app, connect, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.count(b"HTTP/1.1 ") == 1 and written.startswith(b"HTTP/1.1 405 ")
    assert [record[1] for record in log.records] == [405] and transport.eof


def test_a_head_split_after_whole_requests_is_measured_from_the_last_one(site_zip: Path) -> None:
    """Two big requests and the start of a third in one read: only the third's bytes count toward its limit."""
    app, log = make_app(site_zip, Limits(max_request_line=200, max_header_line=200, max_head=300))
    big = b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 150 + b"\r\n\r\n"
    first_read = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" + big + big + b"GET /hello HTTP/1.1\r\n"
    written, _ = asyncio.run(converse(app, first_read, b"Host: a\r\n\r\n"))
    assert [record[1] for record in log.records] == [200, 200, 200, 200]
    assert written.count(b"HTTP/1.1 200 OK\r\n") == 4


@pytest.mark.parametrize("before", [b"", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"], ids=["alone", "after a request"])
@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_a_head_still_arriving_is_refused_one_byte_past_its_limit(
    site_zip: Path, before: bytes, extra: int, refused: bool
) -> None:
    app, _ = make_app(site_zip, Limits(max_request_line=100, max_header_line=100, max_head=100))
    start = b"GET / HTTP/1.1\r\nX: "
    partial = start + b"v" * (100 + extra - len(start))  # 100 or 101 bytes of a head, no end yet
    written, transport = asyncio.run(converse(app, before + partial))
    assert written.count(b"HTTP/1.1 431 ") == refused and transport.eof == refused


@pytest.mark.parametrize(("length", "refused"), [(100, False), (101, True)])
def test_a_request_line_still_arriving_is_refused_past_its_limit(site_zip: Path, length: int, refused: bool) -> None:
    app, _ = make_app(site_zip, Limits(max_request_line=100, max_header_line=1000, max_head=1000))
    url = b"/" + b"a" * (length - 1)
    written, _ = asyncio.run(converse(app, b"GET " + url + b" HTTP/1.1\r\nHost: a\r\n"))
    assert written.count(b"HTTP/1.1 414 ") == refused


def test_a_target_split_over_reads_is_joined(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    written, _ = asyncio.run(converse(app, b"GET /hel", b"lo HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert written.startswith(b"HTTP/1.1 200 OK\r\n") and log.records[0][0]["path"] == "/hello"


def test_after_a_request_the_connection_is_idle_again(site_zip: Path) -> None:
    """A second request's line is escaped like the first's, and a shutdown closes the connection at once."""
    app, log = make_app(site_zip, TIMEOUTS)

    async def scenario() -> bool:
        connection, transport = open_connection(app)
        connection.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.data_received(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n")
        connection.shutdown()
        return transport.closed

    assert asyncio.run(scenario())
    assert [(record[0]["raw_path"], record[1]) for record in log.records] == [(b"/", 200), (b"/caf%C3%A9", 404)]


def test_an_answer_is_logged_with_its_size_and_encoding(site_zip: Path) -> None:
    app, log = make_app(site_zip)
    written, _ = asyncio.run(converse(app, b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n"))
    head, _, body = written.partition(b"\r\n\r\n")
    assert b"\r\ncontent-length: %d\r\n" % len(body) in head and body
    assert log.records[0][1:] == (200, len(body), "identity")
