"""What the deploy tests share: paths, a site in two versions, Debian's nginx run as a test's own process."""

import os
import pwd
import re
import socket
import subprocess
import time
from pathlib import Path

from testing.server_sample import write_site, write_zip

REPO = Path(__file__).resolve().parents[2]

FIGURES: list[str] = []  # lines for the terminal summary
VERSION = re.compile(rb'<p id="version">([^<]*)</p>')


def site_version(work: Path, version: str) -> Path:
    """The sample site's zip, with ``version`` written into /hello; returns the zip."""
    root = work / f"site-{version}"
    write_site(root)
    page = root / "hello.html"
    marked = b'<h1>Hello</h1><p id="version">%s</p>' % version.encode()
    page.write_bytes(page.read_bytes().replace(b"<h1>Hello</h1>", marked))
    write_zip(root, work / f"{version}.zip")
    return work / f"{version}.zip"


def version_in(body: bytes) -> str:
    found = VERSION.search(body)
    return found.group(1).decode() if found else "?"


def program(process: subprocess.Popen[bytes]) -> str:
    """The program a process runs, for messages: the first word of its command."""
    command = process.args
    return os.fsdecode(command if isinstance(command, str | bytes | os.PathLike) else command[0])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{program(process)} exited with {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listens on {port} after {seconds} s: {log.read_text()}")


def start_nginx(prefix: Path, config: str, port: int) -> subprocess.Popen[bytes]:
    """Debian's nginx in the foreground with ``config`` (its paths under ``prefix``), once it listens on ``port``."""
    prefix.mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers would run as nobody, who can't enter pytest's private temporary
    # folders: they run as this user (as anyone else, nginx ignores the line).
    user = pwd.getpwuid(os.getuid()).pw_name
    (prefix / "nginx.conf").write_text(f"user {user};\n{config}")
    log = prefix / "stderr.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stdout=out,
            stderr=out,
        )
    wait_for_port(port, process, log)
    return process
