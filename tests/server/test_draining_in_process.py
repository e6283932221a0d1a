"""server/draining.py in the test's own process: the stop handler, the drain, the supervisor's hooks.

tests/server/test_server_drain.py and test_stop_signals.py show the same through a real server
process; these call the functions and the DrainingServer methods directly, so that a changed line
is seen by the tests that reach it (bench/mutation.py).  ``os._exit`` and the clock are replaced
where the real ones would end the test or make it wait; the drain and the lifeline run a real
uvicorn server on 127.0.0.1, with the real event loop and a real pipe.
"""

import asyncio
import io
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import uvicorn

from server import draining
from server.accesslog import AccessLog
from server.app import EblogApp, create_app
from server.draining import DrainingServer, exit_cleanly
from server.protocol import EblogProtocol
from testing.in_process import Exited, Stream, exit_raising
from testing.server_sample import SampleSite

CLOCK = 100.0  # what the replaced time.monotonic reads, unless a test moves it
WAIT = 5.0  # the longest a scenario waits for the server to start or stop


@pytest.fixture(autouse=True)
def signals_not_raised_again(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """uvicorn raises each signal it handled again once serve() returns, so the default action
    (or a KeyboardInterrupt, from asyncio.run's own SIGINT handler) follows; here the signals only
    come from the tests' calls, and raised for real they would stop the test run itself."""
    raised: list[int] = []
    monkeypatch.setattr(signal, "raise_signal", raised.append)
    return raised


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "_exit", exit_raising)


@pytest.mark.usefixtures("exits")
@pytest.mark.parametrize(
    ("out_error", "err_error"), [(None, None), (ValueError, OSError), (OSError, ValueError)], ids=str
)
def test_a_stop_by_signal_flushes_both_streams_and_exits_0(
    out_error: type[Exception] | None, err_error: type[Exception] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = Stream(out_error), Stream(err_error)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(Exited) as exited:
        exit_cleanly(signal.SIGTERM, None)
    assert (exited.value.status, out.flushes, err.flushes) == (0, 1, 1)


@pytest.fixture
def app(site: SampleSite, uvicorn_logging: None) -> EblogApp:
    """A fresh app (the drain flags it), its messages kept in memory to be read."""
    app = create_app(site.zip, access_log=False)
    app.log = AccessLog(stream=io.StringIO(), errors=io.StringIO())
    return app


def server_for(app: EblogApp, drain: float, **hooks: Any) -> DrainingServer:
    config = uvicorn.Config(app, http=EblogProtocol, ws="none", lifespan="on", access_log=False, server_header=False)
    return DrainingServer(config, app, drain, **hooks)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """draining.py's clock, set by the test; asyncio and uvicorn keep the real one."""
    fake = SimpleNamespace(now=CLOCK)
    monkeypatch.setattr(draining, "time", SimpleNamespace(monotonic=lambda: fake.now))
    return fake


def test_uvicorn_s_warnings_and_errors_go_to_the_app_s_log_and_nowhere_else(app: EblogApp) -> None:
    errors = io.StringIO()
    app.log = AccessLog(stream=io.StringIO(), errors=errors)
    server_for(app, drain=5)
    logging.getLogger("uvicorn.error").error("cannot bind")
    logging.getLogger("uvicorn.error").info("Started server process")
    handlers = logging.getLogger("uvicorn").handlers
    assert [getattr(handler, "log", None) for handler in handlers] == [app.log]
    assert errors.getvalue() == "cannot bind\n"


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(("drain", "ends"), [(5, CLOCK + 5), (0.25, CLOCK + 0.25)])
def test_the_first_sigterm_while_serving_starts_the_drain(app: EblogApp, drain: float, ends: float) -> None:
    server = server_for(app, drain)
    server.started = True
    server.handle_exit(signal.SIGTERM, None)
    assert (app.draining, server.drain_ends, server.should_exit) == (True, ends, False)
    assert server._captured_signals == []  # not raised again at the end: the drain is the stop


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    ("sig", "drain", "serving"),
    [(signal.SIGINT, 5, True), (signal.SIGTERM, 0, True), (signal.SIGINT, 0, True), (signal.SIGTERM, 5, False)],
)
def test_sigint_a_drain_of_0_or_a_signal_before_serving_stop_at_once(
    app: EblogApp, sig: int, drain: float, serving: bool
) -> None:
    server = server_for(app, drain)
    server.started = serving
    server.handle_exit(sig, None)
    assert (app.draining, server.drain_ends, server.should_exit) == (False, None, True)
    assert server._captured_signals == [sig]  # uvicorn raises it again once shut down: exit_cleanly ends the process


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_during_the_drain_stops_at_once(app: EblogApp, clock: SimpleNamespace, second: int) -> None:
    server = server_for(app, drain=5)
    server.started = True
    server.handle_exit(signal.SIGTERM, None)
    clock.now += 1
    server.handle_exit(second, None)
    assert (app.draining, server.drain_ends, server.should_exit) == (True, CLOCK + 5, True)
    assert server._captured_signals == [second]


def tick(server: DrainingServer, counter: int) -> bool:
    if not server.config.loaded:  # once serving, uvicorn has loaded it: on_tick reads its headers
        server.config.load()
    return asyncio.run(server.on_tick(counter))


def test_the_drain_ends_on_the_first_tick_at_or_past_its_deadline(app: EblogApp, clock: SimpleNamespace) -> None:
    server = server_for(app, drain=5)
    server.started = True
    assert tick(server, 0) is False
    server.handle_exit(signal.SIGTERM, None)
    seen = []
    for now in (CLOCK, CLOCK + 4.99, CLOCK + 5, CLOCK + 6):
        clock.now = now
        seen.append((tick(server, 1), server.should_exit))
    assert seen == [(False, False), (False, False), (True, True), (True, True)]


@pytest.mark.usefixtures("clock")
def test_a_tick_still_does_uvicorn_s_work(app: EblogApp) -> None:
    server = server_for(app, drain=5)
    assert tick(server, 1) is False
    assert server.server_state.default_headers == []  # uvicorn stamps the Date header every 10th tick
    assert tick(server, 10) is False
    assert [name for name, _ in server.server_state.default_headers] == [b"date"]
    server.should_exit = True  # a stop that is not a drain
    assert tick(server, 11) is True


async def ask(port: int, path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection: the status and the lower-cased head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
    return int(head.split()[1]), head.lower()


async def until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)


async def start(server: DrainingServer) -> tuple["asyncio.Task[None]", int]:
    """The server serving on a free port of 127.0.0.1, and ready: its task and the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started)
    port: int = sock.getsockname()[1]
    assert (await ask(port, "/healthz"))[0] == 200
    return serving, port


def test_during_the_drain_readiness_fails_pages_are_served_and_then_the_server_stops(app: EblogApp) -> None:
    drain = 0.4
    server = server_for(app, drain)

    async def scenario() -> None:
        serving, port = await start(server)
        started = time.monotonic()
        server.handle_exit(signal.SIGTERM, None)
        status, head = await ask(port, "/healthz")
        assert status == 503 and b"\r\nconnection: close\r\n" in head
        status, head = await ask(port, "/hello")
        assert status == 200 and b"\r\nconnection: close\r\n" in head
        assert not serving.done()
        await asyncio.wait_for(serving, WAIT)
        assert drain <= time.monotonic() - started < drain + 2

    asyncio.run(scenario())


def test_the_hook_runs_once_serving_and_a_closed_lifeline_stops_the_server(app: EblogApp) -> None:
    lifeline, supervisor_end = os.pipe()
    calls: list[bool] = []

    def on_started() -> None:
        calls.append(server.started)

    server = server_for(app, drain=5, on_started=on_started, lifeline=lifeline)

    async def scenario() -> None:
        serving, _ = await start(server)
        assert calls == [True]
        await asyncio.sleep(0.2)
        assert not serving.done()
        os.close(supervisor_end)  # the supervisor died
        await asyncio.wait_for(serving, WAIT)
        assert server.should_exit and not app.draining  # no drain: nobody is left to send a SIGTERM
        assert not asyncio.get_running_loop().remove_reader(lifeline), "the lifeline is still watched"

    try:
        asyncio.run(scenario())
    finally:
        os.close(lifeline)
    assert calls == [True]


def test_without_a_lifeline_or_hook_the_server_serves_until_told_to_stop(app: EblogApp) -> None:
    server = server_for(app, drain=5)

    async def scenario() -> None:
        serving, _ = await start(server)
        server.handle_exit(signal.SIGINT, None)
        await asyncio.wait_for(serving, WAIT)

    asyncio.run(scenario())


def test_when_uvicorn_comes_back_without_starting_nothing_is_hooked(
    app: EblogApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As older uvicorns did on a port already taken: startup returns, ``started`` still False."""

    async def not_started(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        return None

    monkeypatch.setattr(uvicorn.Server, "startup", not_started)
    lifeline, supervisor_end = os.pipe()
    calls: list[bool] = []
    server = server_for(app, drain=5, on_started=lambda: calls.append(True), lifeline=lifeline)

    async def scenario() -> None:
        await server.startup()
        assert not asyncio.get_running_loop().remove_reader(lifeline), "the lifeline is watched"

    try:
        asyncio.run(scenario())
    finally:
        os.close(lifeline)
        os.close(supervisor_end)
    assert calls == []
