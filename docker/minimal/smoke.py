"""Run the server the way the image runs it, ask for every kind of answer, and check each one.

    python docker/minimal/smoke.py trace TRACE_FILE   the serve venv's interpreter, imports recorded
    python docker/minimal/smoke.py verify ROOT        chrooted into the minimal tree ROOT, as uid 10001

The Dockerfile's `minimal-tree` stage runs it twice. `trace` learns what the server loads: the
hook in docker/minimal/hook/ appends each process's sys.modules and mapped shared objects to
TRACE_FILE. `verify` proves the minimal tree holds all of it: the tree's own interpreter runs
chrooted, so it cannot fall back on anything outside the tree, and a missing module fails the
build instead of a user's request. Both runs do the same things, from /app with the image's
environment: start `python -m server` on the sample site the server tests use, request each
route in both encodings, HEAD, 304 (ETag and date), 206, 416, 301, 404, 405, 400, 412, bytes
that are not HTTP, a WebSocket upgrade and /healthz, run the image's HEALTHCHECK command, stop
the server with SIGTERM (exit 0 within 5 s, after a short drain), the same with --workers 2
(its supervisor, stopped by SIGINT), then the command-line paths: --help, a bad port,
a zip that is not there, a port already taken, and last the
imports in lazy-modules.txt, which no healthy request makes (the allow-list of lazy imports).
"""

import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

# The repository root (/src in the build), for the shared test helpers in testing/; this folder is
# sys.path[0] already, for image.py.
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from image import APP, HEALTHCHECK, IMAGE_ENV, USER

from testing.ports import free_port
from testing.server_sample import LAST_MODIFIED, STYLESHEET, write_site, write_zip

COMMIT = "smoke0commit"
LAZY_MODULES = Path(__file__).with_name("lazy-modules.txt")


class SmokeError(Exception):
    """A check failed; the message says which request and what came back."""


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class Runner(NamedTuple):
    """How to start a process the image's way: its command for python, environment and set-up."""

    python: str
    env: dict[str, str]
    preexec: Callable[[], None] | None
    app: Path  # /app as seen from here


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeError(what)


def fetch(port: int, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, headers={"Accept-Encoding": "identity", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def raw(port: int, data: bytes) -> bytes:
    """Bytes sent as they are (no client tidying them up), and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: sock.recv(65536), b""))


def url_of(name: str) -> str:
    """The clean URL the server answers a site file at."""
    if name == "index.html":
        return "/"
    return "/" + (name.removesuffix(".html") if name.endswith(".html") else name)


def check_site(port: int, files: dict[str, bytes]) -> int:
    """Every route and every kind of answer; returns the number of requests made."""
    made = 0

    def ask(method: str, path: str, **headers: str) -> Reply:
        nonlocal made
        made += 1
        return fetch(port, method, path, {k.replace("_", "-"): v for k, v in headers.items()})

    for name, data in files.items():
        if name == "404.html":
            continue
        path = url_of(name)
        plain = ask("GET", path)
        expect(plain.status == 200 and plain.body == data, f"GET {path}: {plain.status}, body differs from {name}")
        expect(plain.headers.get("x-eblog-commit") == COMMIT, f"GET {path}: commit header {plain.headers}")
        packed = ask("GET", path, Accept_Encoding="gzip")
        body = gzip.decompress(packed.body) if packed.headers.get("content-encoding") == "gzip" else packed.body
        expect(packed.status == 200 and body == data, f"GET {path} (gzip): {packed.status}, body differs")
    hello = ask("GET", "/hello", Accept_Encoding="gzip")
    expect(hello.headers.get("content-encoding") == "gzip", "GET /hello: the 20 KB page came back without gzip")
    head = ask("HEAD", "/hello")
    expect(
        head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len(files["hello.html"])),
        f"HEAD /hello: {head.status} {head.headers}",
    )
    tag = ask("GET", "/hello", Accept_Encoding="gzip", If_None_Match=hello.headers["etag"])
    expect(tag.status == 304 and tag.body == b"", f"If-None-Match: {tag.status}")
    date = ask("GET", "/hello", If_Modified_Since=LAST_MODIFIED)
    expect(date.status == 304, f"If-Modified-Since: {date.status}")
    part = ask("GET", "/hello", Range="bytes=5-14")
    expect(part.status == 206 and part.body == files["hello.html"][5:15], f"Range: {part.status}")
    beyond = ask("GET", "/hello", Range="bytes=99999999-")
    expect(beyond.status == 416, f"Range past the end: {beyond.status}")
    failed = ask("GET", "/hello", If_Match='"not-the-etag"')
    expect(failed.status == 412, f"If-Match: {failed.status}")
    moved = ask("GET", "/hello.html?ref=smoke")
    expect(moved.status == 301 and moved.headers.get("location") == "/hello?ref=smoke", f"/hello.html: {moved.status}")
    for encoding in ("identity", "gzip"):
        missing = ask("GET", "/no-such-page", Accept_Encoding=encoding)
        body = gzip.decompress(missing.body) if missing.headers.get("content-encoding") == "gzip" else missing.body
        expect(missing.status == 404 and body == files["404.html"], f"404 ({encoding}): {missing.status}")
    expect(ask("HEAD", "/no-such-page").status == 404, "HEAD of a missing page")
    expect(ask("POST", "/").status == 405, "POST /")
    expect(ask("GET", "/bad%00path").status == 400, "a NUL in the path")
    immutable = ask("GET", "/" + STYLESHEET)
    expect("immutable" in immutable.headers.get("cache-control", ""), f"hashed stylesheet: {immutable.headers}")
    made += 2
    garbage = raw(port, b"NOT HTTP AT ALL\r\n\r\n")
    expect(garbage.startswith(b"HTTP/1.1 400"), f"a request that is not HTTP: {garbage[:40]!r}")
    upgrade = raw(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c21va2Utc21va2Utc21va2U=\r\n\r\n",
    )
    expect(upgrade.startswith(b"HTTP/1.1 200"), f"a WebSocket upgrade (no WebSocket library): {upgrade[:40]!r}")
    health = ask("GET", "/healthz")
    expect(
        health.status == 200 and json.loads(health.body) == {"status": "ok", "commit": COMMIT}, f"/healthz: {health}"
    )
    expect(ask("HEAD", "/healthz").status == 200, "HEAD /healthz")
    expect(ask("POST", "/healthz").status == 405, "POST /healthz")
    return made


def wait_for_health(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if fetch(port, "GET", "/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SmokeError(f"no answer from /healthz within 30 s:\n{log.read_text()}")


def run(runner: Runner, args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [runner.python, *args],
            env={**runner.env, **env},
            cwd=None if runner.preexec else runner.app,
            preexec_fn=runner.preexec,  # noqa: PLW1509 (chroot before exec; the smoke run starts no threads first)
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def finished(runner: Runner, args: list[str], log: Path, **env: str) -> tuple[int, str]:
    """Exit status and output of a short command."""
    start = log.stat().st_size if log.exists() else 0
    status = run(runner, args, log, **env).wait(timeout=30)
    with log.open("rb") as out:
        out.seek(start)
        return status, out.read().decode(errors="replace")


def smoke(runner: Runner, work: Path) -> str:
    """Everything the module docstring lists; returns a one-line summary."""
    site = work / "site"
    files = write_site(site)
    server_dir = runner.app / "server"
    write_zip(site, server_dir / "assets.zip")
    (server_dir / "commit.txt").write_text(COMMIT + "\n")
    log = work / "server.log"
    port = free_port()
    started = time.monotonic()
    # A short drain (the default is 5 s), so the drain's code path is traced without waiting for it.
    process = run(runner, ["-m", "server", "--host", "127.0.0.1"], log, PORT=str(port), EBLOG_DRAIN="0.5")
    try:
        wait_for_health(port, process, log)
        boot = time.monotonic() - started
        requests = check_site(port, files)
        status, output = finished(runner, HEALTHCHECK[1:], work / "health.log", PORT=str(port))
        expect(status == 0, f"the HEALTHCHECK command exited {status}: {output}")
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=5)
        expect(code == 0, f"after SIGTERM the server exited {code}:\n{log.read_text()}")
        # The supervisor of --workers: what it imports is traced (the workers it forks run the code above).
        process = run(runner, ["-m", "server", "--host", "127.0.0.1", "--workers", "2"], log, PORT=str(port))
        wait_for_health(port, process, log)
        expect(fetch(port, "GET", "/livez").status == 200, "/livez with 2 workers")
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=5)
        expect(code == 0, f"after SIGINT the supervisor exited {code}:\n{log.read_text()}")
    except (SmokeError, OSError, subprocess.TimeoutExpired) as error:
        process.kill()
        raise SmokeError(f"{error}\n--- server output ---\n{log.read_text()}") from None
    cli = work / "cli.log"
    status, output = finished(runner, ["-m", "server", "--help"], cli)
    expect(status == 0 and "usage:" in output, f"--help: exit {status}: {output}")
    status, output = finished(runner, ["-m", "server", "--port", "http"], cli)
    expect(status == 2 and "not a TCP port" in output, f"a bad port: exit {status}: {output}")
    # A free port: the server binds before it reads the zip, and the build shares the host's ports.
    status, output = finished(runner, ["-m", "server"], cli, EBLOG_ZIP="/no/such.zip", PORT=str(free_port()))
    expect(status == 1 and "eblog-server: error: /no/such.zip" in output, f"a missing zip: exit {status}: {output}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, output = finished(
            runner, ["-m", "server", "--host", "127.0.0.1"], cli, PORT=str(taken.getsockname()[1])
        )
    expect(status != 0 and "address already in use" in output, f"a port in use: exit {status}: {output}")
    lazy = [line for line in LAZY_MODULES.read_text().splitlines() if line.strip() and not line.startswith("#")]
    status, output = finished(runner, ["-c", f"import {', '.join(lazy)}"], cli)
    expect(status == 0, f"the allow-listed lazy imports ({LAZY_MODULES.name}): exit {status}: {output}")
    (server_dir / "assets.zip").unlink()
    (server_dir / "commit.txt").unlink()
    return (
        f"{requests} requests, HEALTHCHECK, SIGTERM, 2 workers, 4 command lines and {len(lazy)} lazy imports passed; "
        f"first 200 after {boot:.2f} s"
    )


def jail(root: Path) -> Callable[[], None]:
    """In the child, before exec: enter the tree, cd to the image's WORKDIR, become the image's user."""

    def enter() -> None:
        os.chroot(root)
        os.chdir(APP)
        os.setgroups([])
        os.setgid(USER)
        os.setuid(USER)

    return enter


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("trace", "verify"):
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    mode, target = argv[0], Path(argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if mode == "trace":
            hook = Path(__file__).resolve().parent / "hook"
            env = {
                **IMAGE_ENV,
                "PATH": os.environ["PATH"],
                "PYTHONPATH": str(hook),
                "EBLOG_TRACE": str(target.resolve()),
            }
            runner = Runner("/opt/serve/bin/python", env, None, Path(APP))
        else:
            # Hard links: a copy of the tree that costs nothing, so the server package and the sample
            # site added here never reach the tree the image is made from.
            root = work / "root"
            shutil.copytree(target, root, symlinks=True, copy_function=os.link)
            shutil.copytree(APP, root / APP.lstrip("/"), symlinks=True)
            runner = Runner("python", {**IMAGE_ENV, "HOME": "/nonexistent"}, jail(root), root / APP.lstrip("/"))
        try:
            summary = smoke(runner, work)
        except SmokeError as error:
            print(f"smoke ({mode}): FAILED: {error}", file=sys.stderr)
            return 1
    print(f"smoke ({mode}): {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
