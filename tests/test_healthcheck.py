"""docker/healthcheck.py, the images' HEALTHCHECK, run as Docker runs it against a real socket:
exit 0 only for a 200 from /healthz, else exit 1 with one line saying why (no traceback)."""

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts processes and servers

HEALTHCHECK = Path(__file__).resolve().parents[1] / "docker" / "healthcheck.py"


def check(port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=10)


def answering(status: int) -> Iterator[int]:
    """A server on a free port whose /healthz answers with status; yields the port."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
    assert asked == ["/healthz"]


@pytest.fixture
def healthy() -> Iterator[int]:
    yield from answering(200)


@pytest.fixture
def unavailable() -> Iterator[int]:
    yield from answering(503)


def test_a_200_from_healthz_is_healthy(healthy: int) -> None:
    result = check(healthy)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_another_status_is_unhealthy_in_one_line(unavailable: int) -> None:
    result = check(unavailable)
    assert result.returncode == 1
    assert result.stderr == f"healthcheck: GET http://127.0.0.1:{unavailable}/healthz: 503\n"


def test_no_server_is_unhealthy_in_one_line() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = check(port)
    assert result.returncode == 1
    assert result.stderr.startswith(f"healthcheck: GET http://127.0.0.1:{port}/healthz: ")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_server_that_never_answers_is_unhealthy_after_two_seconds() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        result = check(silent.getsockname()[1])
    assert result.returncode == 1
    assert result.stderr.endswith("/healthz: timed out\n")
