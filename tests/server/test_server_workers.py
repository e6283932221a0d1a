"""--workers: N processes on one port, one zip load each, a supervisor that restarts and stops them."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from server import settings
from testing.ports import free_port
from testing.server_process import ROOT, RunningServer, children_of, server_env, start_server
from testing.server_sample import SampleSite

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

WORKERS = 3


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.02)


def serving_lines(running: RunningServer) -> list[str]:
    return [line for line in running.stdout.read_text().splitlines() if line.startswith("eblog: serving")]


def start_workers(tmp: Path, site: SampleSite, *args: str, workers: int = WORKERS) -> RunningServer:
    """A supervisor with ``workers`` workers, returned once every one of them has loaded the site."""
    running = start_server(tmp, ["--zip", str(site.zip), "--workers", str(workers), "--no-access-log", *args])
    wait_for(lambda: len(serving_lines(running)) == workers, 15, f"{workers} workers serving")
    wait_for(lambda: len(children_of(running.process.pid)) == workers, 5, f"{workers} child processes")
    return running


@pytest.fixture
def workers(site: SampleSite, tmp_path: Path) -> Iterator[RunningServer]:
    running = start_workers(tmp_path, site)
    yield running
    running.stop()


def sockets(pid: int) -> set[str]:
    """The process's open sockets by inode ("socket:[123]"): one the readiness probe left closing is not a new one."""
    return {target for fd in Path(f"/proc/{pid}/fd").iterdir() if (target := os.readlink(fd)).startswith("socket:")}


def test_each_worker_loads_the_zip_once_and_takes_its_share_of_connections(
    workers: RunningServer, site: SampleSite
) -> None:
    assert workers.stdout.read_text().splitlines()[0] == (
        f"eblog: {WORKERS} workers on 127.0.0.1:{workers.port}, a socket each (SO_REUSEPORT)"
    )
    lines = serving_lines(workers)
    assert len(lines) == WORKERS and all(f"from {site.zip} " in line for line in lines)
    pids = children_of(workers.process.pid)
    before = {pid: sockets(pid) for pid in pids}
    clients = [httpx.Client(base_url=workers.url) for _ in range(40)]
    try:
        etags = {client.get("/hello", headers={"accept-encoding": "gzip"}).headers["etag"] for client in clients}
        gained = {pid: len(sockets(pid) - before[pid]) for pid in pids}
    finally:
        for client in clients:
            client.close()
    # 40 connections hashed over 3 sockets: each worker holds some (all on one: odds of 1 in 10^7).
    assert all(count > 0 for count in gained.values()), gained
    assert sum(gained.values()) == 40
    # Each worker hashed the body itself: one ETag, whichever process answered.
    assert len(etags) == 1


def test_a_worker_that_dies_is_replaced(workers: RunningServer) -> None:
    first = children_of(workers.process.pid)
    os.kill(first[1], signal.SIGKILL)
    wait_for(lambda: len(serving_lines(workers)) == WORKERS + 1, 15, "a new worker serving")
    now = children_of(workers.process.pid)
    assert len(now) == WORKERS and first[1] not in now and set(first) - {first[1]} < set(now)
    assert f"eblog: worker {first[1]} was killed by SIGKILL; starting another\n" in workers.stderr.read_text()
    with httpx.Client(base_url=workers.url) as client:
        assert {client.get("/hello").status_code for _ in range(20)} == {200}


def test_sigterm_drains_every_worker_and_exits_0(site: SampleSite, tmp_path: Path) -> None:
    running = start_workers(tmp_path, site, "--drain", "3")
    pids = children_of(running.process.pid)
    started = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # Draining: every worker says "not ready" and still serves pages (fresh connections reach each).
    statuses = set()
    for _ in range(8):
        statuses.add((ask(running, "/healthz"), ask(running, "/hello")))
    assert statuses == {(503, 200)}
    assert running.process.wait(timeout=15) == 0
    # Not a speed figure: at least the drain, and less than the supervisor's deadline for its workers.
    assert 3.0 <= time.monotonic() - started < 3.0 + 3.0 + 2.0
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


def ask(running: RunningServer, path: str) -> int:
    """The status of one GET on a connection of its own."""
    return int(running.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()).split(b" ", 2)[1])


def test_sigint_stops_at_once_without_a_drain(site: SampleSite, tmp_path: Path) -> None:
    running = start_workers(tmp_path, site, "--drain", "30")
    started = time.monotonic()
    assert running.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 3.0


def test_one_shared_socket_when_asked(site: SampleSite, tmp_path: Path) -> None:
    running = start_workers(tmp_path, site, "--reuse-port", "off", workers=2)
    try:
        assert running.stdout.read_text().splitlines()[0].endswith(", one shared socket")
        pids = children_of(running.process.pid)
        os.kill(pids[0], signal.SIGKILL)
        # The socket is the supervisor's: while a worker is replaced, connections wait in its queue.
        with httpx.Client(base_url=running.url) as client:
            assert {client.get("/hello").status_code for _ in range(20)} == {200}
        wait_for(lambda: len(serving_lines(running)) == 3, 15, "the replacement serving")
    finally:
        assert running.stop() == 0


def test_workers_stop_when_the_supervisor_is_killed(site: SampleSite, tmp_path: Path) -> None:
    running = start_workers(tmp_path, site, workers=2)
    pids = children_of(running.process.pid)
    running.process.kill()
    running.process.wait()
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "orphaned workers gone")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


def run_bad(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server", "--host", "127.0.0.1", *args]
    return subprocess.run(command, cwd=ROOT, env=server_env(**env), capture_output=True, text=True, timeout=30)


def test_a_bad_zip_is_one_line_once(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"PK not really a zip")
    result = run_bad(["--port", str(free_port()), "--zip", str(tmp_path / "bad.zip")], WORKERS="4")
    assert result.returncode == 1
    assert result.stderr == f"eblog-server: error: {tmp_path / 'bad.zip'}: corrupt zip: File is not a zip file\n"


def test_a_port_in_use_is_one_line_even_for_another_eblog(site: SampleSite, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bad(["--port", str(port), "--zip", str(site.zip), "--workers", "2"])
    assert result.returncode == 1
    assert result.stderr == f"eblog-server: error: 127.0.0.1:{port}: address already in use\n"
    # Another eblog's workers listen with SO_REUSEPORT, which would let a second one share the port.
    first = start_workers(tmp_path, site, workers=2)
    try:
        second = run_bad(["--port", str(first.port), "--zip", str(site.zip), "--workers", "2"])
        assert second.returncode == 1 and "address already in use" in second.stderr
    finally:
        assert first.stop() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "WORKERS='0' is not auto or a number of workers from 1 to 64"),
        ("65", "WORKERS='65' is not auto or a number of workers from 1 to 64"),
        ("two", "WORKERS='two' is not auto or a number of workers from 1 to 64"),
    ],
)
def test_a_bad_worker_count_is_a_usage_error(site: SampleSite, value: str, message: str) -> None:
    result = run_bad(["--port", "1", "--zip", str(site.zip)], WORKERS=value)
    assert (result.returncode, result.stderr) == (2, f"eblog-server: error: {message}\n")


def test_auto_is_one_worker_per_cpu_the_process_may_use() -> None:
    code = "from server.settings import load; print(load(['--workers', 'auto'], {}).workers)"
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert pinned.stdout == b"1\n", pinned.stderr
    cpu_max = Path("/sys/fs/cgroup/cpu.max")
    quota = cpu_max.read_text().split()[0] if cpu_max.exists() else "max"
    limited = quota != "max" and int(quota) < 2 * int(cpu_max.read_text().split()[1])
    if (os.cpu_count() or 1) >= 2 and not limited:  # two CPUs, and no container limit below two
        both = subprocess.run(["taskset", "-c", "0,1", sys.executable, "-c", code], cwd=ROOT, capture_output=True)
        assert both.stdout == b"2\n"


@pytest.mark.parametrize(("cpu_max", "cap"), [("50000 100000", 1), ("150000 100000", 2), ("max 100000", None)])
def test_auto_keeps_within_a_containers_cpu_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_max: str, cap: int | None
) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    monkeypatch.setattr(settings, "CGROUP_CPU_MAX", tmp_path / "cpu.max")
    cpus = len(os.sched_getaffinity(0))
    assert settings.load(["--workers", "auto"], {}).workers == (cpus if cap is None else min(cap, cpus))


def test_json_log_of_the_supervisor_and_its_workers(site: SampleSite, tmp_path: Path) -> None:
    """With EBLOG_ACCESS_LOG=json, the supervisor's own lines are JSON objects too: one stream a tool can read."""
    args = ["--zip", str(site.zip), "--workers", "2"]
    running = start_server(tmp_path, args, server_env(EBLOG_ACCESS_LOG="json"))
    try:
        httpx.get(f"{running.url}/hello?x=1")
    finally:
        assert running.stop() == 0
    records = [json.loads(line) for line in running.stdout.read_text().splitlines()]
    messages = [record["message"] for record in records if "message" in record]
    assert messages[0].startswith("eblog: 2 workers on 127.0.0.1:") and len(messages) == 3
    assert all(message.startswith("eblog: serving ") for message in messages[1:])
    assert [record["status"] for record in records if record.get("uri") == "/hello?x=1"] == [200]
