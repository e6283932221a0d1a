"""The real server process: bytes on the wire, logs, signals, bad zips, the uvicorn CLI, imports."""

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import server.app
from testing.server_process import ROOT, RunningServer, children_of, server_env, start_server
from testing.server_sample import SampleSite

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

SHUTDOWN_BOUND = 3.0  # seconds; uvicorn is told to give in-flight requests 1 s


def raw_get(
    server: RunningServer, path: str, *headers: str, method: str = "GET"
) -> tuple[bytes, dict[str, str], bytes]:
    """Status line, headers and body of one request sent over a plain socket."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close", "", ""]
    answer = server.raw("\r\n".join(lines).encode("ascii"))
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *fields = head.split(b"\r\n")
    parsed = {}
    for field in fields:
        name, _, value = field.decode("latin-1").partition(":")
        parsed[name.strip().lower()] = value.strip()
    return status, parsed, body


def test_identity_and_gzip_bytes_on_the_wire(server: RunningServer, site: SampleSite) -> None:
    for name, data in site.files.items():
        if name == "404.html":
            continue
        path = "/" + ("" if name == "index.html" else name.removesuffix(".html") if name.endswith(".html") else name)
        status, headers, body = raw_get(server, path)  # no Accept-Encoding at all: identity
        assert status == b"HTTP/1.1 200 OK", path
        assert body == data and headers["content-length"] == str(len(data))
        status, headers, body = raw_get(server, path, "Accept-Encoding: gzip")
        assert int(headers["content-length"]) == len(body)
        if headers.get("content-encoding") == "gzip":
            assert gzip.decompress(body) == data and len(body) < len(data)
        else:
            assert body == data


def test_304_206_head_404_on_the_wire(server: RunningServer, site: SampleSite) -> None:
    _, headers, _ = raw_get(server, "/hello", "Accept-Encoding: gzip")
    status, not_modified, body = raw_get(server, "/hello", "Accept-Encoding: gzip", f"If-None-Match: {headers['etag']}")
    assert status == b"HTTP/1.1 304 Not Modified" and body == b"" and not_modified["etag"] == headers["etag"]

    status, headers, body = raw_get(server, "/hello", "Range: bytes=5-14")
    assert status == b"HTTP/1.1 206 Partial Content" and body == site.files["hello.html"][5:15]

    status, head, body = raw_get(server, "/hello", "Accept-Encoding: gzip", method="HEAD")
    assert status == b"HTTP/1.1 200 OK" and body == b"" and head["content-encoding"] == "gzip"
    assert head["content-length"] == str(len(raw_get(server, "/hello", "Accept-Encoding: gzip")[2]))

    status, headers, body = raw_get(server, "/no/such/page")
    assert status == b"HTTP/1.1 404 Not Found" and body == site.files["404.html"]
    assert "server" not in headers  # no version banner


def test_keep_alive_serves_many_requests_on_one_connection(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        statuses = {client.get("/hello").status_code for _ in range(50)}
    assert statuses == {200}


def test_access_log_and_startup_line(server: RunningServer, site: SampleSite) -> None:
    raw_get(server, "/hello", "Accept-Encoding: gzip")
    time.sleep(0.2)  # lines go out once per event-loop turn
    out = server.stdout.read_text().splitlines()
    startup = out[0]
    assert re.fullmatch(
        rf"eblog: serving {len(site.files)} assets from {re.escape(str(site.zip))} "
        rf"\({site.zip.stat().st_size} bytes\), commit unknown, boot \d+ ms",
        startup,
    ), startup
    line = re.compile(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:[\d:]{8} \+0000\] "GET /hello HTTP/1\.1" 200 (\d+) "-" "-"')
    assert any(line.fullmatch(entry) for entry in out), out[-5:]


def test_the_connections_own_refusals_are_logged(server: RunningServer) -> None:
    server.raw(b"GET /tiny.txt HTTP/1.1\r\nHost: a b\r\n\r\n")
    server.raw(b"\x16\x03\x01 not http")
    time.sleep(0.2)
    out = server.stdout.read_text().splitlines()
    start = r"127\.0\.0\.1 - - \[[^]]+\] "
    assert any(re.fullmatch(start + r'"- /tiny\.txt" 400 12 "-" "-"', line) for line in out), out[-5:]
    assert any(re.fullmatch(start + r'"- -" 400 12 "-" "-"', line) for line in out), out[-5:]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_access_log_can_be_turned_off(site: SampleSite, tmp_path: Path, how: str) -> None:
    args, env = ["--zip", str(site.zip)], server_env()
    if how == "flag":
        args.append("--no-access-log")
    else:
        env["EBLOG_ACCESS_LOG"] = "off"
    running = start_server(tmp_path, args, env)
    try:
        for _ in range(5):
            raw_get(running, "/hello")
    finally:
        assert running.stop() == 0
    out = running.stdout.read_text().splitlines()
    assert len(out) == 1 and out[0].startswith("eblog: serving")


@pytest.mark.parametrize("flag", ["-q", "", "-v"])
def test_quiet_and_verbose(site: SampleSite, tmp_path: Path, flag: str) -> None:
    running = start_server(tmp_path, ["--zip", str(site.zip), *([flag] if flag else [])])
    try:
        raw_get(running, "/hello")
        time.sleep(0.2)  # lines go out once per event-loop turn
    finally:
        assert running.stop() == 0
    out, err = running.stdout.read_text().splitlines(), running.stderr.read_text()
    assert out[0].startswith("eblog: serving")
    if flag == "-q":
        assert (len(out), err) == (1, "")  # no access log, no INFO lines
    else:
        assert any('"GET /hello HTTP/1.1" 200' in line for line in out[1:]), out
        assert (f"eblog-server: Settings(host='127.0.0.1', port={running.port}, zip=" in err) == (flag == "-v")
        assert ("max_connections=1024" in err) == (flag == "-v")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_promptly_with_status_0(site: SampleSite, tmp_path: Path, sig: int) -> None:
    running = start_server(tmp_path, ["--zip", str(site.zip)])
    idle = socket.create_connection(("127.0.0.1", running.port))  # a keep-alive client that went quiet
    try:
        idle.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        idle.recv(65536)
        started = time.monotonic()
        assert running.stop(sig) == 0
        # Not a speed figure: the graceful timeout is 1 s, so 3 s means a wait for the idle client.
        assert time.monotonic() - started < SHUTDOWN_BOUND
    finally:
        idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_sigterm_as_pid_1(site: SampleSite, tmp_path: Path) -> None:
    """In a container the server is PID 1, which the kernel only signals through installed handlers."""
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no permission for a PID namespace here")
    prefix = ["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-m", "server"]
    running = start_server(tmp_path, ["--zip", str(site.zip)], prefix=prefix)
    children = children_of(running.process.pid)
    assert len(children) == 1
    started = time.monotonic()
    os.kill(children[0], signal.SIGTERM)
    assert running.process.wait(timeout=5) == 0  # unshare passes on the child's status
    assert time.monotonic() - started < SHUTDOWN_BOUND


def run_bad(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "1", *args]
    return subprocess.run(command, cwd=ROOT, env=env or server_env(), capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("content", [None, b"", b"PK\x05\x06 this is not really a zip", b"PK\x03\x04" + b"\x00" * 100])
def test_bad_zip_is_one_line_and_non_zero(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "assets.zip"
    if content is not None:
        path.write_bytes(content)
    result = run_bad(["--zip", str(path)])
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"eblog-server: error: {path}: ")


def test_zip_from_the_environment_and_default_location(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.zip"
    result = run_bad([], server_env(EBLOG_ZIP=str(missing)))
    assert result.returncode == 1 and str(missing) in result.stderr
    # Without flag or variable, the zip is looked up inside the installed package, not the cwd.
    assert Path(str(server.app.default_zip())) == ROOT / "server" / "assets.zip"


def test_port_from_the_environment(site: SampleSite, tmp_path: Path) -> None:
    from testing.ports import free_port

    port = free_port()
    command = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--zip", str(site.zip)]
    env = server_env(PORT=str(port))
    with (tmp_path / "out").open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = RunningServer(process, port, tmp_path / "out", tmp_path / "out")  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"{running.url}/healthz").status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("no answer on $PORT")
    finally:
        assert running.stop() == 0


def test_help_documents_flags_and_variables() -> None:
    result = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    for word in ("--host", "--port", "--zip", "--no-access-log", "PORT", "EBLOG_ZIP", "EBLOG_ACCESS_LOG"):
        assert word in result.stdout


def test_the_documented_uvicorn_invocation(site: SampleSite, tmp_path: Path) -> None:
    prefix = [sys.executable, "-m", "uvicorn", "--factory", "server.app:uvicorn_factory", "--http",
              "server.protocol:EblogProtocol", "--loop", "uvloop", "--no-access-log"]  # fmt: skip
    documented = (server.app.__doc__ or "").split()
    assert all(word in documented for word in prefix[3:])
    running = start_server(tmp_path, [], server_env(EBLOG_ZIP=str(site.zip)), prefix=prefix)
    try:
        status, _headers, body = raw_get(running, "/hello")
        assert status == b"HTTP/1.1 200 OK" and body == site.files["hello.html"]
    finally:
        # plain uvicorn re-raises SIGTERM after its graceful stop (only `python -m server` maps it to 0)
        assert running.stop() in (0, -signal.SIGTERM)


def test_the_uvicorn_factory_reports_a_bad_zip_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"PK not really a zip")
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.app:uvicorn_factory", "--port", "0"]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=server_env(EBLOG_ZIP=str(tmp_path / "bad.zip")),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"eblog-server: error: {tmp_path / 'bad.zip'}: corrupt zip: File is not a zip file"
    ]


FORBIDDEN = ("jinja2", "pyromark", "markdown_it", "pygments", "yaml", "h11", "cmd")


def test_the_running_server_imports_no_render_packages(site: SampleSite, tmp_path: Path) -> None:
    """-X importtime lists every module the process imported, through start-up and real requests."""
    running = start_server(
        tmp_path, ["--zip", str(site.zip)], prefix=[sys.executable, "-X", "importtime", "-m", "server"]
    )
    try:
        for path in ("/hello", "/nope", "/hello/", "/healthz"):
            raw_get(running, path, "Accept-Encoding: gzip", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT")
    finally:
        assert running.stop() == 0
    imported = {
        m.group(1).split(".")[0]
        for m in re.finditer(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", running.stderr.read_text())
    }
    assert "uvloop" in imported and "httptools" in imported and "starlette" in imported
    assert not imported & set(FORBIDDEN)


def test_bad_port_is_a_usage_error(site: SampleSite) -> None:
    command = [sys.executable, "-m", "server", "--zip", str(site.zip)]
    result = subprocess.run(command, cwd=ROOT, env=server_env(PORT="http"), capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert result.stderr == "eblog-server: error: PORT='http' is not a TCP port (1-65535)\n"


def test_port_in_use_fails_at_start(site: SampleSite) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), "--zip", str(site.zip)]
        result = subprocess.run(command, cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=20)
    assert result.returncode == 1  # uvicorn's own status for it was 3
    assert result.stderr == f"eblog-server: error: 127.0.0.1:{port}: address already in use\n"


def test_json_log_from_the_real_server(site: SampleSite, tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site.zip)], server_env(EBLOG_ACCESS_LOG="json"))
    try:
        raw_get(running, "/hello?from=feed", "User-Agent: Wget/1.21", "Referer: http://127.0.0.1/")
    finally:
        assert running.stop() == 0
    records = [json.loads(line) for line in running.stdout.read_text().splitlines()]
    assert records[0]["level"] == "info" and records[0]["message"].startswith("eblog: serving ")
    assert all(record["uri"] == "/healthz" for record in records[1:-1])  # start_server's polls
    request = records[-1]
    assert {key: request[key] for key in ("remote_addr", "method", "uri", "protocol", "status", "referer")} == {
        "remote_addr": "127.0.0.1",
        "method": "GET",
        "uri": "/hello?from=feed",
        "protocol": "HTTP/1.1",
        "status": 200,
        "referer": "http://127.0.0.1/",
    }
    assert request["user_agent"] == "Wget/1.21"
