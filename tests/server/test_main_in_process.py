"""server/__main__.py in the test's own process: the command line, the start, uvicorn's settings.

tests/server/test_server_process.py, test_server_settings.py and the worker tests run
``python -m server`` as a process; these call main, start, load_and_serve, serve and
allow_open_files directly, so that a changed line is seen by the tests that reach it
(bench/mutation.py).  The supervisor, the loader and uvicorn's server are replaced where a test
looks only at what they are given; one test serves a real request through a real uvicorn on
127.0.0.1 and stops it by closing the supervisor's lifeline.
"""

import http.client
import os
import resource
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

import server.__main__ as entry
from server import draining
from server.app import EblogApp, app_from
from server.draining import exit_cleanly
from server.protocol import EblogProtocol
from server.settings import Limits, Settings
from testing.in_process import Stream
from testing.server_sample import SampleSite

WAIT = 5.0  # the longest the real server may take to answer


def streams(monkeypatch: pytest.MonkeyPatch) -> tuple[Stream, Stream]:
    """stdout and stderr replaced, from inside the test (pytest puts its own back after the fixtures)."""
    out, err = Stream(), Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out, err


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's variables unset: only the flags given count."""
    for name in list(os.environ):
        if name.startswith("EBLOG_") or name in ("PORT", "WORKERS"):
            monkeypatch.delenv(name)


# allow_open_files


class Limit:
    """getrlimit and setrlimit over one (soft, hard) pair: the test process keeps its own."""

    def __init__(self, soft: int, hard: int):
        self.soft, self.hard = soft, hard
        self.set: list[tuple[int, tuple[int, int]]] = []

    def getrlimit(self, which: int) -> tuple[int, int]:
        assert which == resource.RLIMIT_NOFILE
        return self.soft, self.hard

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        self.set.append((which, limits))


INFINITY = resource.RLIM_INFINITY


@pytest.mark.parametrize(
    ("soft", "hard", "wanted", "set_to"),
    [
        (1024, 4096, 1088, (1088, 4096)),  # raised to what is wanted
        (256, 512, 1088, (512, 512)),  # no higher than the hard limit
        (1024, INFINITY, 1088, (1088, INFINITY)),  # no hard limit: what is wanted
        (2000, 4096, 1088, None),  # already enough: left alone
        (1088, 4096, 1088, None),  # exactly enough
        (512, 512, 1088, None),  # already at the hard limit
        (INFINITY, INFINITY, 1088, None),  # no limit at all
    ],
)
def test_allow_open_files_raises_the_soft_limit_within_the_hard_one(
    monkeypatch: pytest.MonkeyPatch, soft: int, hard: int, wanted: int, set_to: tuple[int, int] | None
) -> None:
    limit = Limit(soft, hard)
    fake = SimpleNamespace(
        RLIMIT_NOFILE=resource.RLIMIT_NOFILE,
        RLIM_INFINITY=INFINITY,
        getrlimit=limit.getrlimit,
        setrlimit=limit.setrlimit,
    )
    monkeypatch.setattr(entry, "resource", fake)
    entry.allow_open_files(wanted)
    assert limit.set == ([] if set_to is None else [(resource.RLIMIT_NOFILE, set_to)])


# main


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """start replaced: the settings main hands it are kept, and it answers status 7."""
    given: list[Settings] = []

    def start(settings: Settings) -> int:
        given.append(settings)
        return 7

    monkeypatch.setattr(entry, "start", start)
    return given


BAD_PORT = "eblog-server: error: --port='x' is not a TCP port (1-65535)\n"


@pytest.mark.usefixtures("no_environment")
def test_a_bad_flag_is_one_line_and_status_2(
    starts: list[Settings], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m server"])
    assert entry.main(["--port", "x"]) == 2
    assert capsys.readouterr() == ("", BAD_PORT)
    assert starts == []


@pytest.mark.usefixtures("no_environment")
def test_without_argv_main_reads_the_command_line(
    starts: list[Settings], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m server", "--port", "x"])
    assert entry.main() == 2
    assert capsys.readouterr().err == BAD_PORT
    monkeypatch.setattr(sys, "argv", ["python -m server", "--port", "8124", "--workers", "2"])
    assert entry.main() == 7
    assert [(settings.port, settings.workers) for settings in starts] == [(8124, 2)]


@pytest.mark.usefixtures("no_environment")
def test_argv_given_is_read_instead_of_the_command_line(
    starts: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m server", "--port", "x"])
    assert entry.main([]) == 7
    assert entry.main(["--port", "8123", "--drain", "0.5"]) == 7
    assert [(settings.port, settings.drain) for settings in starts] == [(8080, 5.0), (8123, 0.5)]


# start


class Calls:
    """load_and_serve and the Supervisor, replaced: what each is given, and the status it answers."""

    def __init__(self) -> None:
        self.served: list[tuple[Settings, list[socket.socket] | None, bool]] = []
        self.supervised: list[tuple[Settings, Any]] = []

    def load_and_serve(self, settings: Settings, sockets: list[socket.socket] | None = None) -> int:
        open_then = sockets is not None and all(sock.fileno() != -1 for sock in sockets)
        self.served.append((settings, sockets, open_then))
        return 6

    def supervisor(self, settings: Settings, serve: Any) -> SimpleNamespace:
        self.supervised.append((settings, serve))
        return SimpleNamespace(run=lambda: 5)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    fake = Calls()
    monkeypatch.setattr(entry, "load_and_serve", fake.load_and_serve)
    monkeypatch.setattr(entry, "Supervisor", fake.supervisor)
    return fake


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    values = {"host": "127.0.0.1", "port": 0, "zip": tmp_path / "site.zip", **values}
    return Settings(**values)


def test_one_worker_is_served_here_on_a_socket_bound_for_it_and_closed_after(calls: Calls, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert entry.start(settings) == 6
    ((given, sockets, open_then),) = calls.served
    assert (given, calls.supervised, open_then) == (settings, [], True)
    assert sockets is not None
    (sock,) = sockets
    assert (sock.family, sock.fileno()) == (socket.AF_INET, -1)


def test_the_socket_for_one_worker_is_bound_on_the_host_without_reuse_port(
    calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, int, int]] = []

    def load_and_serve(settings: Settings, sockets: list[socket.socket] | None = None) -> int:
        assert sockets is not None
        (sock,) = sockets
        host, port = sock.getsockname()
        reuse_port = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        seen.append((host, port, reuse_port, sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)))
        return 0

    monkeypatch.setattr(entry, "load_and_serve", load_and_serve)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert entry.start(settings_for(tmp_path, port=free)) == 0
    assert seen == [("127.0.0.1", free, 0, 0)]  # uvicorn listens on it


@pytest.mark.parametrize("workers", [2, 5])
def test_more_workers_are_run_by_a_supervisor(calls: Calls, tmp_path: Path, workers: int) -> None:
    settings = settings_for(tmp_path, workers=workers)
    assert entry.start(settings) == 5
    assert calls.supervised == [(settings, entry.load_and_serve)]
    assert calls.served == []


def test_a_port_in_use_is_one_line_and_status_1(
    calls: Calls, tmp_path: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry.start(settings_for(tmp_path, port=taken_port)) == 1
    assert capsys.readouterr() == ("", f"eblog-server: error: 127.0.0.1:{taken_port}: address already in use\n")
    assert calls.served == []


def test_an_error_without_strerror_is_given_by_its_text_in_lower_case(
    calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(host: str, port: int, reuse_port: bool) -> socket.socket:
        raise OSError("No Such Address")

    monkeypatch.setattr(entry, "bind", refuse)
    assert entry.start(settings_for(tmp_path, port=8080)) == 1
    assert capsys.readouterr().err == "eblog-server: error: 127.0.0.1:8080: no such address\n"


def test_without_a_zip_or_the_packaged_one_the_server_says_how_to_build_it(
    calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    packaged = tmp_path / "assets.zip"
    monkeypatch.setattr(entry, "default_zip", lambda: packaged)
    assert entry.start(settings_for(tmp_path, zip=None)) == 1
    assert capsys.readouterr() == (
        "",
        (
            f"eblog-server: error: no site to serve: {packaged} does not exist; build it with ./scripts/serve "
            "(rendermd, buildindex, then prezip -o server/assets.zip), or give --zip FILE\n"
        ),
    )
    assert calls.served == []
    packaged.write_bytes(b"")  # there now: loading it is load_and_serve's business
    assert entry.start(settings_for(tmp_path, zip=None)) == 6
    assert len(calls.served) == 1


def test_a_zip_given_is_not_checked_here(calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry, "default_zip", lambda: tmp_path / "absent.zip")
    assert entry.start(settings_for(tmp_path, zip=tmp_path / "also-absent.zip")) == 6


LIMITS = (
    "limits=Limits(max_request_line=8192, max_header_line=8192, max_head=32768, header_timeout=10.0, "
    "keepalive_timeout=30.0, send_timeout=60.0, max_connections=1024))\n"
)


def test_verbose_prints_every_setting_in_force_first(
    calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = streams(monkeypatch)
    assert entry.start(settings_for(tmp_path, verbosity=1)) == 6
    assert err.getvalue() == (
        f"eblog-server: Settings(host='127.0.0.1', port=0, zip={tmp_path / 'site.zip'!r}, access_log='combined', "
        "max_site_bytes=1073741824, workers=1, reuse_port=True, drain=5.0, shutdown_timeout=3.0, base_path='', "
        "cdn_max_age=30, verbosity=1, " + LIMITS
    )
    assert (out.getvalue(), err.flushes) == ("", 1)


@pytest.mark.parametrize("verbosity", [0, -1])
def test_otherwise_the_settings_are_not_printed(
    calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbosity: int
) -> None:
    out, err = streams(monkeypatch)
    assert entry.start(settings_for(tmp_path, verbosity=verbosity)) == 6
    assert (out.getvalue(), err.getvalue(), err.flushes) == ("", "", 0)


# load_and_serve


class Serves:
    """serve replaced: what it is given, and status 4."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *given: Any) -> int:
        self.calls.append(given)
        return 4


@pytest.fixture
def serves(monkeypatch: pytest.MonkeyPatch) -> Serves:
    fake = Serves()
    monkeypatch.setattr(entry, "serve", fake)
    return fake


def test_a_zip_that_cannot_be_served_is_one_line_and_status_1(
    serves: Serves, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "site.zip"
    empty.write_bytes(b"")
    assert entry.load_and_serve(settings_for(tmp_path)) == 1
    assert capsys.readouterr() == ("", f"eblog-server: error: {empty}: empty file, not a zip\n")
    assert serves.calls == []


def test_the_site_is_loaded_then_served_with_what_was_given(serves: Serves, site: SampleSite) -> None:
    settings = Settings(host="127.0.0.1", port=0, zip=site.zip, access_log="off")
    sockets = [socket.socket()]
    try:
        assert entry.load_and_serve(settings) == 4
        assert entry.load_and_serve(settings, sockets, print, 9) == 4
    finally:
        sockets[0].close()
    (app, *rest), (_, *given) = serves.calls
    assert isinstance(app, EblogApp) and app.summary.startswith("eblog: serving ")
    assert f" assets from {site.zip} (" in app.summary  # the zip of the settings
    assert app.access_log is None  # the settings were followed
    assert rest == [settings, None, None, None]
    assert given == [settings, sockets, print, 9]


# serve


class Server:
    """DrainingServer replaced: what it is given and what is in force when it runs."""

    made: ClassVar[list["Server"]] = []
    started: ClassVar[bool] = True

    def __init__(self, config: Any, app: EblogApp, drain: float, on_started: Any, lifeline: int | None):
        self.config, self.app, self.drain, self.on_started, self.lifeline = config, app, drain, on_started, lifeline
        self.ran: list[tuple[list[socket.socket] | None, Any, Any]] = []
        Server.made.append(self)

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        self.ran.append((sockets, signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)))


@pytest.fixture
def handlers() -> Iterator[None]:
    """SIGTERM and SIGINT handled as before the test, whatever serve set."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch, handlers: None, uvicorn_logging: None) -> list[Server]:
    made: list[Server] = []
    monkeypatch.setattr(Server, "made", made)
    monkeypatch.setattr(Server, "started", True)
    monkeypatch.setattr(draining, "DrainingServer", Server)
    return made


@pytest.fixture
def open_files(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    wanted: list[int] = []
    monkeypatch.setattr(entry, "allow_open_files", wanted.append)
    return wanted


@pytest.fixture
def app(site: SampleSite) -> EblogApp:
    return app_from(Settings(zip=site.zip, access_log="off"))


def test_serve_runs_uvicorn_with_eblog_s_protocol_and_settings(
    servers: list[Server], open_files: list[int], app: EblogApp
) -> None:
    settings = Settings(host="::1", port=8123, drain=1.5, shutdown_timeout=7.5)
    sockets = [socket.socket()]
    try:
        assert entry.serve(app, settings, sockets, print, 9) == 0
    finally:
        sockets[0].close()
    (made,) = servers
    assert (made.app, made.drain, made.on_started, made.lifeline) == (app, 1.5, print, 9)
    assert made.ran == [(sockets, exit_cleanly, exit_cleanly)]
    config = made.config
    assert (config.app, config.host, config.port, config.http) == (app, "::1", 8123, EblogProtocol)
    assert (config.ws, config.loop, config.lifespan, config.log_level) == ("none", "uvloop", "on", "info")
    assert (config.access_log, config.server_header, config.proxy_headers) == (False, False, False)
    assert config.timeout_graceful_shutdown == 7.5
    assert open_files == [1024 + 64]


def test_serve_s_defaults_and_a_quiet_server_s_log_level(
    servers: list[Server], open_files: list[int], app: EblogApp
) -> None:
    settings = Settings(verbosity=-1, limits=Limits(max_connections=100))
    assert entry.serve(app, settings) == 0
    (made,) = servers
    assert (made.on_started, made.lifeline, made.ran[0][0], made.config.log_level) == (None, None, None, "warning")
    assert open_files == [164]


def test_serve_is_status_1_when_uvicorn_never_started(
    servers: list[Server], open_files: list[int], app: EblogApp
) -> None:
    Server.started = False
    assert entry.serve(app, Settings()) == 1


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.usefixtures("handlers", "uvicorn_logging")
def test_serve_answers_on_the_socket_given_until_the_lifeline_closes(app: EblogApp) -> None:
    """The real uvicorn, in this process: a request answered, then stopped as a worker is."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    lifeline, supervisor_end = os.pipe()
    answers: list[int] = []

    def client() -> None:
        try:
            answers.append(get(port, "/healthz"))
            answers.append(get(port, "/hello"))
        finally:
            os.close(supervisor_end)  # the supervisor died

    def on_started() -> None:
        threading.Thread(target=client, daemon=True).start()

    try:
        assert entry.serve(app, Settings(host="127.0.0.1", port=port), [sock], on_started, lifeline) == 0
    finally:
        sock.close()
        os.close(lifeline)
    assert answers == [200, 200]


def test_allow_open_files_within_this_process_s_own_limits() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        entry.allow_open_files(soft)  # already allowed: nothing to change
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
