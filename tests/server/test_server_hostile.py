"""Hostile traffic against the real server process, over raw sockets on 127.0.0.1.

Every case of hostile_cases.py must get exactly its expected answers, each
with the security headers, never a 500, never a byte from outside the site,
and the server's memory must stay bounded through all of them.  Then one test
per defect the torture test of issue 17 found.
"""

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.hostile_cases import SECURITY_HEADERS, Case, all_cases
from testing.hostile_wire import exchange, head_methods, open_half_sent, rss_kib, split_replies, still_open
from testing.server_process import RunningServer, server_env, start_server
from testing.server_sample import SampleSite

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

CASES = all_cases()
FAST_LIMITS = {"EBLOG_HEADER_TIMEOUT": "1", "EBLOG_KEEPALIVE_TIMEOUT": "1"}


@pytest.fixture(scope="module")
def hostile(site: SampleSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("hostile"), ["--zip", str(site.zip), "--no-access-log"], server_env(**FAST_LIMITS)
    )
    running.rss_before = rss_kib(running.process.pid)  # type: ignore[attr-defined]
    yield running
    running.stop()


def served_bodies(site: SampleSite) -> set[bytes]:
    """Every body a 200 may carry: the site's files, whole, in either encoding, and /healthz."""
    import gzip

    bodies = set(site.files.values())
    bodies |= {gzip.compress(data) for data in site.files.values()}
    return bodies


def test_there_are_at_least_200_cases() -> None:
    assert len(CASES) >= 200
    assert len({case.label for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_hostile_case(hostile: RunningServer, site: SampleSite, case: Case) -> None:
    answer = exchange(hostile.port, case.request)
    replies = split_replies(answer, head_methods(case.request))
    assert [reply.status for reply in replies] == list(case.expected), answer[:300]
    for reply in replies:
        for name, value in SECURITY_HEADERS.items():
            assert reply.header(name) == value, (name, reply.headers)
        assert reply.header(b"x-eblog-commit") == b"unknown"
        if reply.status == 200 and reply.body and reply.header(b"content-type") != b"application/json":
            assert reply.body in site.files.values() or reply.header(b"content-encoding") == b"gzip"
    assert b"root:" not in answer and b"[core]" not in answer


def test_memory_stayed_bounded_and_no_traceback(hostile: RunningServer) -> None:
    """Runs after the cases (pytest keeps file order): megabytes of hostile heads left no trace in memory."""
    grown = rss_kib(hostile.process.pid) - hostile.rss_before  # type: ignore[attr-defined]
    assert grown < 30_000, f"RSS grew by {grown} KiB"
    errors = hostile.stderr.read_text()
    assert "Traceback" not in errors and "Exception" not in errors, errors[-2000:]


# One test per defect of issue 17 (each failed on the server before the fix).


def test_an_endless_header_is_refused_early_and_memory_stays_flat(hostile: RunningServer) -> None:
    """Defect 1: httptools kept reading a header with no limit (a 512 MB one took RSS from 37 to 624 MB).

    One thread sends and, between chunks, looks for the answer without blocking: a reader thread
    could wait for the GIL while the sender pushed megabytes more (CI once counted 14 MB that way).
    """
    before = rss_kib(hostile.process.pid)
    received = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=5) as sock:
        try:
            sock.sendall(b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX-Endless: ")
            while sent < 64_000_000:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass  # refused and closed while we were still sending: what we want
        received = read_answer_head(sock)
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    assert sent < 8_000_000, f"the server read {sent} bytes of one header before refusing it"
    assert rss_kib(hostile.process.pid) - before < 20_000


def read_answer_head(sock: socket.socket) -> bytes:
    """The server's answer up to the end of its head (or what came before it closed or reset)."""
    received = b""
    try:
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
    except OSError:
        pass  # reset after its answer: what was read is the answer
    return received


def test_others_are_served_while_one_client_sends_an_endless_header(hostile: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=5) as hog:
        hog.sendall(b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX-Endless: " + b"a" * 20_000)
        started = time.monotonic()
        replies = split_replies(exchange(hostile.port, b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n"))
        assert [reply.status for reply in replies] == [200]
        assert time.monotonic() - started < 1.0


def test_slowloris_connections_are_closed_after_the_header_timeout(hostile: RunningServer) -> None:
    """Defect 8: half-sent heads stayed open (300 of them for 75 s); here the header timeout is 1 s."""
    sockets = open_half_sent(hostile.port, 100)
    try:
        time.sleep(0.3)
        assert still_open(sockets) == 100
        time.sleep(2.5)
        assert still_open(sockets) == 0
    finally:
        for sock in sockets:
            sock.close()


def test_a_silent_connection_is_closed_after_the_header_timeout(hostile: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=5) as sock:
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert 0.5 < time.monotonic() - started < 3.0


def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout(hostile: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=5) as sock:
        sock.sendall(b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert 0.5 < time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nBad header\r\n\r\n", 400),
        (b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
        (b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_the_parsers_own_refusals_carry_the_security_headers(
    hostile: RunningServer, request_bytes: bytes, status: int
) -> None:
    """Defect 9: 54 of 268 answers, uvicorn's own 400s, had none of them."""
    replies = split_replies(exchange(hostile.port, request_bytes))
    assert [reply.status for reply in replies] == [status]
    for name, value in SECURITY_HEADERS.items():
        assert replies[0].header(name) == value


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /tiny.txt HTTP/1.1\r\n\r\n", 400),
        (b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /tiny.txt HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        (b"POST /tiny.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"GET /tiny.txt HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ],
)
def test_what_rfc_9112_refuses_is_refused(hostile: RunningServer, request_bytes: bytes, status: int) -> None:
    """Defect 9: each of these got 200."""
    assert [reply.status for reply in split_replies(exchange(hostile.port, request_bytes))] == [status]


def test_pipelined_requests_are_all_answered_when_the_client_half_closes(hostile: RunningServer) -> None:
    """Defect 9: the request behind another was lost when the client shut its side after sending both."""
    request = b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n"
    for _ in range(5):
        replies = split_replies(exchange(hostile.port, request))
        assert [(reply.status, reply.body) for reply in replies][1:] == [(200, b"hi\n")]
        assert replies[0].status == 404


def test_past_the_connection_cap_a_clean_503(site: SampleSite, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site.zip)], server_env(EBLOG_MAX_CONNECTIONS="4"))
    held = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.2)
        replies = split_replies(exchange(running.port, b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\n\r\n"))
        assert [reply.status for reply in replies] == [503]
        assert replies[0].header(b"content-security-policy") == SECURITY_HEADERS[b"content-security-policy"]
        assert replies[0].header(b"connection") == b"close"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert [reply.status for reply in split_replies(exchange(running.port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))] == [
        200
    ]
    assert running.stop() == 0


def test_a_client_that_pipelines_and_never_reads_stays_bounded(hostile: RunningServer) -> None:
    """Answers to requests nobody reads must not pile up in memory (uvicorn's grew by 150 MB in 3 s here)."""
    before = rss_kib(hostile.process.pid)
    requests = b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n" * 5000
    with socket.create_connection(("127.0.0.1", hostile.port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                sent += sock.send(requests[sent % len(requests) :])
            except BlockingIOError:
                time.sleep(0.02)
        grown = rss_kib(hostile.process.pid) - before
    assert sent > 1_000_000  # the requests went out: the server read them, up to its limits
    assert grown < 20_000, f"RSS grew by {grown} KiB"


def read_to_the_end(sock: socket.socket) -> None:
    while sock.recv(65536):
        pass


def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout(site: SampleSite, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site.zip)], server_env(EBLOG_SEND_TIMEOUT="1"))
    try:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # 40 MB of answers, never read: more than the kernel's buffers hold, so the server's fill up
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n" * 2000)
            time.sleep(2.5)
            sock.settimeout(5)
            with pytest.raises(ConnectionResetError):  # the server gave up on it: reading hits the reset
                read_to_the_end(sock)
    finally:
        assert running.stop() == 0
