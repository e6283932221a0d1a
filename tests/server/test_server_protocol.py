"""server/protocol.py in process, on a transport that records what it is told: paths sockets can't reach easily."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response
from uvicorn.server import ServerState

from server.app import EblogApp, create_app
from server.protocol import EblogProtocol
from testing.hostile_cases import SECURITY_HEADERS
from testing.hostile_wire import split_replies
from testing.server_sample import SampleSite


class RecordingTransport:
    """Just enough of asyncio.Transport: keeps what is written and whether it was closed."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = self.eof = False
        self.reading = True

    def write(self, data: bytes) -> None:
        assert not self.eof
        self.written += data

    def writelines(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True

    abort = close

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8080) if name in ("peername", "sockname") else default


async def converse(app: EblogApp, *reads: bytes) -> tuple[bytes, RecordingTransport]:
    """Feed ``reads`` to one connection, let any task finish, and return what it wrote."""
    state = ServerState()
    config = SimpleNamespace(loaded=True, loaded_app=app)
    protocol = EblogProtocol(config, state, {})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    for data in reads:
        protocol.data_received(data)
        while state.tasks:
            await asyncio.gather(*state.tasks)
            # A gather of tasks already done returns without a turn of the loop (Python 3.12+), and
            # the callback that takes a finished task out of the set only runs on one: give it that.
            await asyncio.sleep(0)
    return bytes(transport.written), transport


@pytest.fixture
def app(site: SampleSite) -> EblogApp:
    return create_app(site.zip, access_log=False)


def test_a_failing_app_answers_500_with_the_security_headers(app: EblogApp, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.router.routes[0], "app", request_response(broken))
    requests = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n"
    written, _ = asyncio.run(converse(app, requests))
    replies = split_replies(written)
    assert [reply.status for reply in replies] == [500, 200]
    for name, value in SECURITY_HEADERS.items():
        assert replies[0].header(name) == value


def test_connect_is_answered_then_the_connection_closes(app: EblogApp) -> None:
    written, transport = asyncio.run(converse(app, b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n\x16\x03\x01tls..."))
    assert [reply.status for reply in split_replies(written)] == [405]
    assert transport.eof  # half-closed after the answer, the rest is dropped


def test_an_ignored_upgrade_goes_on_with_the_next_request(app: EblogApp) -> None:
    upgrade = b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    written, transport = asyncio.run(converse(app, upgrade + b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert [reply.status for reply in split_replies(written)] == [200, 404]
    assert not transport.eof


def test_a_head_split_over_many_reads_is_measured_as_a_whole(app: EblogApp) -> None:
    head = b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
    reads = [head[i : i + 100] for i in range(0, len(head), 100)] + [b"\r\n"]
    written, transport = asyncio.run(converse(app, *reads))
    assert [reply.status for reply in split_replies(written)] == [431]
    assert transport.eof


def test_answers_to_one_read_go_out_in_order(app: EblogApp) -> None:
    requests = b"".join(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path for path in (b"/tiny.txt", b"/healthz", b"/nope"))
    written, _ = asyncio.run(converse(app, requests * 3))
    assert [reply.status for reply in split_replies(written)] == [200, 200, 404] * 3
