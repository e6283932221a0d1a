"""The room's package mirror: an HTTP proxy on 127.0.0.1 that answers a build's downloads from the bundle.

A laptop with no network cannot reach PyPI or Debian, and `uv sync --frozen` fetches the exact
URLs uv.lock names (no index setting redirects them). So the builds are given this proxy instead,
through the proxy build arguments Docker passes to every RUN without any ARG in the Dockerfile:
pip, uv and apt all send their requests to it.

    record  (`prep`, online)  a request it cannot answer is fetched upstream, answered and kept
    replay  (`load`, offline) only what was kept is answered; anything else gets a 404 saying so

Plain HTTP (apt's Debian mirror) is proxied as is. HTTPS arrives as CONNECT: for the hosts in
HTTPS_HOSTS the proxy ends TLS itself with a certificate from the room's own authority, which the
bundle's base images trust (workshop/trust.py); other hosts are tunnelled untouched when recording
and refused when replaying. The lock's wheels are served from the bundle's wheelhouse by file
name, so they are not kept twice.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOM = Path(__file__).resolve().parent.parent / ".workshop"  # where `load` unpacks the bundle
PORT = 3141  # fixed, so that every shell and script of the laptop finds the one mirror
HTTPS_HOSTS = ("pypi.org", "files.pythonhosted.org")
NOT_PROXIED = "localhost,127.0.0.1,::1"  # the suite's own servers, in the builds that run tests
INDEX = "index.json"
CERTIFICATE_FILE, KEY_FILE = "mirror.crt", "mirror.key"  # beside the index: what workshop/trust.py signs
FORWARDED_HEADERS = ("Accept", "User-Agent")


@dataclass
class Store:
    """What the mirror can answer: kept responses (folder/index.json and their bodies) and a wheelhouse."""

    folder: Path
    wheels: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, folder: Path, wheels: Path) -> "Store":
        store = cls(folder, wheels)
        index = folder / INDEX
        if index.is_file():
            store.entries = json.loads(index.read_text())
        return store

    def find(self, url: str) -> tuple[Path, str, str] | None:
        """The file that answers url, its content type and where it is kept, or None."""
        name = url.rsplit("/", 1)[-1]
        if url.startswith("https://files.pythonhosted.org/") and name.endswith(".whl"):
            wheel = self.wheels / name
            if wheel.is_file():
                return wheel, "application/octet-stream", "wheelhouse"
        entry = self.entries.get(url)
        return (self.folder / entry["file"], entry["content_type"], "kept") if entry else None

    def keep(self, url: str, body: bytes, content_type: str) -> tuple[Path, str, str]:
        """Keep an upstream answer under its URL's hash (written whole before the index names it)."""
        name = hashlib.sha256(url.encode()).hexdigest()
        path = self.folder / name
        partial = path.with_name(name + ".partial")
        partial.write_bytes(body)
        partial.replace(path)
        with self.lock:
            self.entries[url] = {"file": name, "content_type": content_type}
            index = self.folder / INDEX
            index.with_suffix(".partial").write_text(json.dumps(self.entries, indent=1, sort_keys=True) + "\n")
            index.with_suffix(".partial").replace(index)
        return path, content_type, "upstream"


@dataclass
class Tally:
    """What the mirror did, for the tests and the log: answers by where they came from, and misses."""

    served: dict[str, int] = field(default_factory=lambda: {"wheelhouse": 0, "kept": 0, "upstream": 0})
    missing: list[str] = field(default_factory=list)
    tunnelled: list[str] = field(default_factory=list)


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: Store, tls: ssl.SSLContext, recording: bool, port: int = 0, echo: bool = False) -> None:
        super().__init__(("127.0.0.1", port), MirrorHandler)
        self.store, self.tls, self.recording, self.tally = store, tls, recording, Tally()
        self.echo = echo  # also print each line on stderr (the mirror as its own process)
        self.log: list[str] = []

    def note(self, line: str) -> None:
        self.log.append(line)
        if self.echo:
            print(f"mirror: {line}", file=sys.stderr, flush=True)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def build_args(self) -> dict[str, str]:
        """The predefined proxy build arguments that send a build's downloads here."""
        return proxy_build_args(self.address)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="workshop-mirror", daemon=True)
        thread.start()
        return thread


def proxy_build_args(address: str) -> dict[str, str]:
    names = {"HTTP_PROXY": address, "HTTPS_PROXY": address, "NO_PROXY": NOT_PROXIED}
    return {**names, **{key.lower(): value for key, value in names.items()}}


def tls_context(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context


class MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MirrorServer
    origin = ""  # "https://HOST" once a CONNECT has been answered on this connection

    def do_CONNECT(self) -> None:
        host, _, port = self.path.partition(":")
        if host not in HTTPS_HOSTS:
            self.refuse_or_tunnel(host, int(port or 443))
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            secured = self.server.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.note(f"TLS with the client failed for {host}: {error} (does its base image trust the room's CA?)")
            self.close_connection = True
            return
        self.connection, self.origin = secured, f"https://{host}"
        self.close_connection = False  # an HTTP/1.0 CONNECT (Python's http.client) would end it here
        self.rfile, self.wfile = secured.makefile("rb"), secured.makefile("wb")

    def do_GET(self) -> None:
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def answer(self, body: bool) -> None:
        url = self.origin + self.path if self.origin else self.path
        found = self.server.store.find(url)
        if found is None and self.server.recording:
            found = self.fetch(url)
        if found is None:
            self.server.tally.missing.append(url)
            self.note(f"not in the room's mirror: {url}")
            self.send_text(404, f"not in the workshop bundle's mirror: {url}\n", body)
            return
        path, content_type, source = found
        self.server.tally.served[source] += 1
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        if body:
            with path.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)
        self.wfile.flush()

    def fetch(self, url: str) -> tuple[Path, str, str] | None:
        """Record mode: the upstream answer, kept; None (and a note) if upstream did not give one."""
        headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers[name]}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as response:  # noqa: S310
                content = response.read()
                content_type = response.headers.get("Content-Type", "application/octet-stream")
        except (urllib.error.URLError, OSError) as error:
            self.note(f"upstream gave no answer for {url}: {error}")
            return None
        return self.server.store.keep(url, content, content_type)

    def refuse_or_tunnel(self, host: str, port: int) -> None:
        if not self.server.recording:
            self.server.tally.missing.append(f"https://{host}/")
            self.note(f"{host} is not mirrored: a build that needs it cannot run offline")
            self.send_text(403, f"{host} is not mirrored in the workshop bundle\n", True)
            self.close_connection = True
            return
        self.server.tally.tunnelled.append(host)
        self.note(f"tunnelled {host} untouched: the room will not have what it sent")
        upstream = socket.create_connection((host, port), timeout=60)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        pipe_both_ways(self.connection, upstream)
        self.close_connection = True

    def send_text(self, status: int, text: str, body: bool) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)
        self.wfile.flush()

    def note(self, line: str) -> None:
        self.server.note(line)

    def log_message(self, format: str, *args: Any) -> None:
        self.server.note(format % args)


def pipe_both_ways(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes each way until either side closes (record mode's tunnel for a host not mirrored)."""

    def copy(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            target.close()

    other = threading.Thread(target=copy, args=(upstream, client), daemon=True)
    other.start()
    copy(client, upstream)
    other.join(timeout=60)


def loaded(room: Path = ROOM) -> bool:
    """Whether `./scripts/workshop load` unpacked a room's mirror here."""
    return (room / "mirror" / INDEX).is_file()


def answering(port: int = PORT) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def room_server(room: Path, recording: bool, port: int = 0, echo: bool = False) -> MirrorServer:
    """The mirror over a room's layout (room/mirror: kept answers and certificate; room/wheels), not started.

    `prep` writes that layout and records into it; `load` unpacks it and replays from it.
    """
    folder = room / "mirror"
    tls = tls_context(folder / CERTIFICATE_FILE, folder / KEY_FILE)
    return MirrorServer(Store.open(folder, room / "wheels"), tls, recording, port=port, echo=echo)


def serve(room: Path = ROOM, port: int = PORT) -> None:
    """The room's mirror in this process, replaying only, until it is stopped."""
    server = room_server(room, recording=False, port=port, echo=True)
    (room / "mirror.pid").write_text(f"{os.getpid()}\n")
    print(f"mirror: answering on {server.address} from {room / 'mirror'}", file=sys.stderr, flush=True)
    server.serve_forever()


def start(room: Path = ROOM, port: int = PORT) -> str:
    """The mirror's address, started as its own process (log: room/mirror.log) unless it already answers."""
    if not answering(port):
        with (room / "mirror.log").open("ab") as log:
            subprocess.Popen(
                [sys.executable, "-m", "workshop", "mirror", "--foreground", f"--room={room}", f"--port={port}"],
                cwd=ROOM.parent,  # the checkout, where `workshop` is importable
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # it outlives the command that started it
            )
        deadline = time.monotonic() + 15
        while not answering(port):
            if time.monotonic() > deadline:
                raise OSError(f"the room's mirror did not answer on port {port} within 15 s: see {room / 'mirror.log'}")
            time.sleep(0.1)
    return f"http://127.0.0.1:{port}"


def room_mirror_args(room: Path = ROOM) -> dict[str, str]:
    """The proxy build arguments for the room's mirror once a bundle is loaded here (started if need be), else none."""
    return proxy_build_args(start(room)) if loaded(room) else {}


def stop(room: Path = ROOM) -> bool:
    """Stop the mirror room/mirror.pid names, if that process is still the mirror; whether one was stopped."""
    try:
        pid = int((room / "mirror.pid").read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    if b"workshop\0mirror" not in command:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return True
