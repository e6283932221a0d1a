"""Talk to a server byte for byte and split what comes back into answers.

Used by the hostile-request tests and bench/hostile.py: no HTTP client library
in between, so nothing is tidied up on either side.
"""

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

STATUS_WITHOUT_BODY = (204, 304)


@dataclass
class Reply:
    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: bytes) -> bytes | None:
        values = [value for key, value in self.headers if key == name]
        return values[0] if len(values) == 1 else None


def exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` at once, half-close, and read until the server closes (or ``timeout``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server may refuse and close before taking everything
            pass
        chunks = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and (chunk := sock.recv(65536)):
                chunks.append(chunk)
        except OSError:
            pass
    return b"".join(chunks)


def head_methods(request: bytes) -> list[bool]:
    """For each request in ``request``, whether it was a HEAD (its answer then has no body)."""
    return [line.startswith(b"HEAD ") for line in request.split(b"\r\n") if line.split(b" ")[0] in METHODS]


METHODS = {b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE"}


def split_replies(data: bytes, heads: list[bool] | None = None) -> list[Reply]:
    """The answers in ``data``, framed by Content-Length (HEAD answers and 304s carry no body)."""
    replies: list[Reply] = []
    heads = list(heads or [])
    while data.startswith(b"HTTP/"):
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        status_line, *lines = data[:end].split(b"\r\n")
        reply = Reply(int(status_line.split(b" ")[1]))
        for line in lines:
            name, _, value = line.partition(b":")
            reply.headers.append((name.strip().lower(), value.strip()))
        is_head = heads.pop(0) if heads else False
        length = 0 if is_head or reply.status in STATUS_WITHOUT_BODY else int(reply.header(b"content-length") or 0)
        reply.body = data[end + 4 : end + 4 + length]
        replies.append(reply)
        data = data[end + 4 + length :]
    return replies


def rss_kib(pid: int) -> int:
    """Resident set size of process ``pid`` (VmRSS from /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for {pid}")


def open_half_sent(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each send the start of a head and then nothing (slowloris)."""
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX-%d: " % index)
        sockets.append(sock)
    return sockets


def still_open(sockets: list[socket.socket]) -> int:
    """How many of ``sockets`` the server has not closed (a closed one reads EOF or an error at once)."""
    alive = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            sock.recv(65536)  # EOF (b""), or an answer before the close: either way not left hanging
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return alive
