"""SIGTERM drains: readiness fails while pages are still served, then in-flight answers finish, exit 0."""

import json
import signal
import socket
import time
from pathlib import Path

import pytest

from testing.server_process import RunningServer, start_server
from testing.server_sample import write_site, write_zip

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run


def ask(running: RunningServer, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: status, headers, body."""
    answer = running.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (field.partition(":") for field in fields)}
    return int(status.split()[1]), headers, body


def read_answer(sock: socket.socket) -> tuple[bytes, bytes]:
    """Head and body of one answer with a Content-Length, read off a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


def test_readiness_fails_and_pages_are_served_during_the_drain(site_zip: Path, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site_zip), "--drain", "1.5"])
    kept = socket.create_connection(("127.0.0.1", running.port), timeout=5)
    try:
        kept.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _ = read_answer(kept)
        assert b"connection: close" not in head.lower()
        started = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        status, headers, body = ask(running, "/healthz")
        assert (status, json.loads(body)["status"]) == (503, "draining")
        assert headers["cache-control"] == "no-store" and headers["connection"] == "close"
        status, _, body = ask(running, "/livez")
        assert (status, json.loads(body)["status"]) == (200, "alive")
        status, headers, _ = ask(running, "/hello")
        assert status == 200 and headers["connection"] == "close"
        # A connection kept alive from before the SIGTERM is served once more, and told to go.
        kept.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _ = read_answer(kept)
        assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nconnection: close" in head
        assert running.process.wait(timeout=10) == 0
        assert 1.5 <= time.monotonic() - started < 1.5 + 2.0
    finally:
        kept.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


def test_a_second_sigterm_ends_the_drain(site_zip: Path, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site_zip), "--drain", "30"])
    running.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert ask(running, "/healthz")[0] == 503
    started = time.monotonic()
    assert running.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 2.0


@pytest.fixture(scope="module")
def site_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site with an 8 MB page, which a slow client takes a while to read."""
    base = tmp_path_factory.mktemp("drain-site")
    write_site(base / "site", page_bytes=8_000_000)
    write_zip(base / "site", base / "assets.zip")
    return base / "assets.zip"


def test_an_answer_in_flight_is_finished_before_the_exit(site_zip: Path, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site_zip), "--drain", "0", "--shutdown-timeout", "5"])
    with socket.socket() as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        slow.connect(("127.0.0.1", running.port))
        slow.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        received = slow.recv(65536)
        running.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 1.0  # read slowly for a second: the answer is still being sent
        while time.monotonic() < deadline:
            received += slow.recv(16384)
            time.sleep(0.01)
        assert running.process.poll() is None, "the server left before its answer was read"
        while chunk := slow.recv(1 << 20):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert len(body) == int(next(line for line in head.split(b"\r\n") if line.startswith(b"content-length:"))[15:])
    assert len(body) > 8_000_000
    assert running.process.wait(timeout=5) == 0
