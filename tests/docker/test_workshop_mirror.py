"""The room's mirror without an engine: what it records, what it replays, what it refuses, and over TLS.

Clients here are Python's own urllib with the proxy set, as pip's and uv's are in a build; the
HTTPS ones trust only the authority workshop/trust.py made with openssl, and verify strictly.
"""

import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.ports import free_port
from workshop import trust
from workshop.engine import REPO
from workshop.mirror import CERTIFICATE_FILE, KEY_FILE, MirrorServer, Store, tls_context

WHEEL = "demo-1.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("authority")
    trust.make_certificates(folder)
    return folder


def mirror(folder: Path, authority: Path, recording: bool) -> MirrorServer:
    (folder / "kept").mkdir(exist_ok=True)
    (folder / "wheels").mkdir(exist_ok=True)
    tls = tls_context(authority / CERTIFICATE_FILE, authority / KEY_FILE)
    server = MirrorServer(Store.open(folder / "kept", folder / "wheels"), tls, recording=recording)
    server.start()
    return server


def opener(server: MirrorServer, authority: Path) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=str(authority / trust.CA_FILE))
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # what Python 3.13 (the base images') does by default
    proxies = urllib.request.ProxyHandler({"http": server.address, "https": server.address})
    return urllib.request.build_opener(proxies, urllib.request.HTTPSHandler(context=context))


@pytest.fixture
def upstream() -> Iterator[str]:
    """A plain-HTTP origin (as Debian's mirror is) that counts its requests in a header-free body."""
    hits: list[str] = []

    class Origin(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = f"origin answer {len(hits)} for {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/x-origin")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_recorded_answers_are_replayed_with_the_origin_gone(tmp_path: Path, authority: Path, upstream: str) -> None:
    recorder = mirror(tmp_path, authority, recording=True)
    first = opener(recorder, authority).open(f"{upstream}/dists/trixie/InRelease")
    assert (first.read(), first.headers["Content-Type"]) == (
        b"origin answer 1 for /dists/trixie/InRelease",
        "text/x-origin",
    )
    again = opener(recorder, authority).open(f"{upstream}/dists/trixie/InRelease").read()
    assert again == b"origin answer 1 for /dists/trixie/InRelease", "kept, not fetched twice"
    recorder.shutdown()
    assert recorder.tally.served == {"wheelhouse": 0, "kept": 1, "upstream": 1}

    replayer = mirror(tmp_path, authority, recording=False)  # a new process's view: the index on disk
    client = opener(replayer, authority)
    assert client.open(f"{upstream}/dists/trixie/InRelease").read() == b"origin answer 1 for /dists/trixie/InRelease"
    with pytest.raises(urllib.error.HTTPError) as missing:
        client.open(f"{upstream}/pool/main/b/binutils.deb")
    assert missing.value.code == 404
    assert f"not in the workshop bundle's mirror: {upstream}/pool/main/b/binutils.deb" in missing.value.read().decode()
    assert replayer.tally.missing == [f"{upstream}/pool/main/b/binutils.deb"]
    replayer.shutdown()


def test_https_for_pypi_is_answered_from_the_wheelhouse_and_the_kept_pages(tmp_path: Path, authority: Path) -> None:
    server = mirror(tmp_path, authority, recording=False)
    (tmp_path / "wheels" / WHEEL).write_bytes(b"the wheel's bytes")
    server.store.keep("https://pypi.org/simple/demo/", b"<a href='x'>demo</a>", "text/html")
    client = opener(server, authority)
    wheel = client.open(f"https://files.pythonhosted.org/packages/ab/cd/{WHEEL}")
    assert wheel.read() == b"the wheel's bytes"
    page = client.open("https://pypi.org/simple/demo/")
    assert (page.read(), page.headers["Content-Type"]) == (b"<a href='x'>demo</a>", "text/html")
    head = client.open(urllib.request.Request(f"https://files.pythonhosted.org/packages/ab/cd/{WHEEL}", method="HEAD"))
    assert (head.headers["Content-Length"], head.read()) == ("17", b"")
    with pytest.raises(urllib.error.HTTPError) as missing:
        client.open("https://files.pythonhosted.org/packages/ab/cd/other-2.0-py3-none-any.whl")
    assert missing.value.code == 404
    assert server.tally.served == {"wheelhouse": 2, "kept": 1, "upstream": 0}
    server.shutdown()


def test_a_host_not_mirrored_is_refused_when_replaying(tmp_path: Path, authority: Path) -> None:
    server = mirror(tmp_path, authority, recording=False)
    with pytest.raises(urllib.error.URLError, match="403"):
        opener(server, authority).open("https://example.org/")
    assert server.tally.missing == ["https://example.org/"]
    assert "example.org is not mirrored: a build that needs it cannot run offline" in server.log
    server.shutdown()


def test_the_authority_signs_only_the_mirrored_hosts_and_its_key_is_gone(authority: Path) -> None:
    assert sorted(p.name for p in authority.iterdir()) == ["ca.crt", "mirror.crt", "mirror.key"]
    text = subprocess.run(
        ["openssl", "x509", "-in", str(authority / "ca.crt"), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Permitted:" in text and "DNS:pypi.org" in text and "DNS:files.pythonhosted.org" in text
    leaf = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-CAfile", str(authority / "ca.crt"), str(authority / "mirror.crt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert leaf.returncode == 0, leaf.stdout + leaf.stderr
    assert oct(os.stat(authority / "mirror.key").st_mode & 0o077) == "0o0", (
        "the mirror's key is readable by its owner only"
    )


def test_a_client_that_does_not_trust_the_authority_gets_no_answer(tmp_path: Path, authority: Path) -> None:
    server = mirror(tmp_path, authority, recording=False)
    (tmp_path / "wheels" / WHEEL).write_bytes(b"x")
    proxies = urllib.request.ProxyHandler({"https": server.address})
    stranger = urllib.request.build_opener(proxies, urllib.request.HTTPSHandler(context=ssl.create_default_context()))
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        stranger.open(f"https://files.pythonhosted.org/packages/ab/cd/{WHEEL}")
    server.shutdown()


def workshop(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "workshop", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_the_mirror_command_starts_one_process_that_outlives_it_and_stops_it(tmp_path: Path, authority: Path) -> None:
    room, port = tmp_path / "room", free_port()
    (room / "mirror").mkdir(parents=True)
    (room / "wheels").mkdir()
    for name in (trust.CA_FILE, CERTIFICATE_FILE, KEY_FILE):
        shutil.copy2(authority / name, room / "mirror" / name)
    (room / "wheels" / WHEEL).write_bytes(b"from the room")
    where = (f"--room={room}", f"--port={port}")
    assert (
        workshop("mirror", *where).stderr.strip()
        == "workshop: no room is loaded here: ./scripts/workshop load FILE first"
    )
    (room / "mirror" / "index.json").write_text("{}\n")
    try:
        started = workshop("mirror", *where)
        assert started.stdout == f"the room's mirror answers on http://127.0.0.1:{port}: builds download through it\n"
        pid = int((room / "mirror.pid").read_text())
        assert workshop("mirror", *where).returncode == 0 and int((room / "mirror.pid").read_text()) == pid, "one"
        arguments = workshop("mirror", "--build-args", *where).stdout.splitlines()
        assert f"HTTPS_PROXY=http://127.0.0.1:{port}" in arguments and "no_proxy=localhost,127.0.0.1,::1" in arguments
        proxies = urllib.request.ProxyHandler({"https": f"http://127.0.0.1:{port}"})
        context = ssl.create_default_context(cafile=str(authority / trust.CA_FILE))
        client = urllib.request.build_opener(proxies, urllib.request.HTTPSHandler(context=context))
        assert client.open(f"https://files.pythonhosted.org/packages/x/{WHEEL}").read() == b"from the room"
        assert workshop("mirror", "--stop", *where).stdout == "the room's mirror stopped\n"
        assert not Path(f"/proc/{pid}").exists()
    finally:
        workshop("mirror", "--stop", *where)
    assert "GET /packages/x/" in (room / "mirror.log").read_text()
