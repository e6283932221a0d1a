"""A rolling replace under load behind a real load balancer (Debian's HAProxy): not one request fails.

Two replicas of site v1 (server processes, as `python -m server` runs in each container) sit
behind HAProxy, which checks /healthz every 200 ms; wrk keeps 32 connections busy through it
while a prober asks for the page every 20 ms to see which version answers. The replace goes as
the Deployment in deploy/k8s does it (maxSurge 1, maxUnavailable 0), one replica at a time:
start a v2 replica, wait until HAProxy sends it traffic, SIGTERM a v1 replica (it drains: its
/healthz says 503, so HAProxy takes it out, while it still answers what reaches it), wait for
it to exit 0. wrk's socket errors and non-2xx answers and the prober's failures must all be 0,
with HAProxy told not to retry anything.
"""

import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from testing.ports import free_port
from testing.server_process import RunningServer, start_server, stop
from testing.wrk import WrkResult, wrk
from tests.deploy.deploy_support import FIGURES, site_version, version_in, wait_for_port

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

DRAIN = 2.0  # seconds; HAProxy notices a failing check within about 0.2 s
LOAD = 16  # seconds of wrk: the replace (two replicas, each a start and a drain) takes 6 to 9
HAPROXY = """\
global
    maxconn 4096
    stats socket {prefix}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    # No retries, unlike a production balancer: a request a replica drops is a failure here, so
    # only the replicas' drain can keep the count at 0 (with --drain 0 this test fails).
    retries 0
backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 2
{servers}
frontend site
    bind 127.0.0.1:{port}
    default_backend replicas
"""


@dataclass
class Prober:
    """Asks the balancer for the page every 20 ms: which version answered, and when."""

    url: str
    started: float = field(default_factory=time.monotonic)
    seen: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    running: bool = True

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while self.running:
                try:
                    response = client.get(self.url)
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code} at {time.monotonic() - self.started:.2f} s")
                    self.seen.append((round(time.monotonic() - self.started, 2), version_in(response.content)))
                except httpx.HTTPError as error:
                    self.failures.append(f"{error!r} at {time.monotonic() - self.started:.2f} s")
                time.sleep(0.02)

    def first(self, version: str) -> float | None:
        return next((at for at, seen in self.seen if seen == version), None)

    def last(self, version: str) -> float | None:
        return max((at for at, seen in self.seen if seen == version), default=None)


def server_states(admin: Path) -> dict[str, str]:
    """Each backend server's status as HAProxy sees it (its stats socket's `show stat`)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(admin))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    rows = [line.split(",") for line in data.decode().splitlines() if line and not line.startswith("#")]
    return {row[1]: row[17] for row in rows if row[0] == "replicas" and row[1] != "BACKEND"}


def wait_until(admin: Path, name: str, status: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while server_states(admin).get(name) != status:
        assert time.monotonic() < deadline, f"HAProxy: {name} not {status} after {seconds} s: {server_states(admin)}"
        time.sleep(0.05)


def start_haproxy(prefix: Path, port: int, backends: dict[str, int]) -> subprocess.Popen[bytes]:
    prefix.mkdir()
    servers = "\n".join(f"    server {name} 127.0.0.1:{backend} check" for name, backend in backends.items())
    (prefix / "haproxy.cfg").write_text(HAPROXY.format(prefix=prefix, port=port, servers=servers))
    log = prefix / "haproxy.log"
    command = ["/usr/sbin/haproxy", "-db", "-f", str(prefix / "haproxy.cfg")]
    with log.open("wb") as out:
        haproxy = subprocess.Popen(command, stdout=out, stderr=out)
    wait_for_port(port, haproxy, log)
    deadline = time.monotonic() + 5
    while not (prefix / "admin.sock").exists():
        assert time.monotonic() < deadline, f"no stats socket: {log.read_text()}"
        time.sleep(0.02)
    return haproxy


class Rollout:
    """The replicas behind the balancer, replaced one at a time as a Deployment with maxSurge 1 does."""

    def __init__(self, work: Path, ports: dict[str, int], admin: Path):
        self.work, self.ports, self.admin = work, ports, admin
        self.replicas: dict[str, RunningServer] = {}

    def start(self, name: str, site: Path) -> None:
        args = ["--zip", str(site), "--drain", str(DRAIN), "--no-access-log"]
        self.replicas[name] = start_server(self.work, args, port=self.ports[name])
        wait_until(self.admin, name, "UP")

    def replace(self, retired: str, added: str, site: Path) -> None:
        self.start(added, site)
        self.replicas[retired].process.send_signal(signal.SIGTERM)
        wait_until(self.admin, retired, "DOWN")  # its /healthz said 503 while it went on serving
        assert self.replicas[retired].process.wait(timeout=DRAIN + 8) == 0

    def stop(self) -> None:
        """All at once: each one drains for DRAIN seconds."""
        running = [replica.process for replica in self.replicas.values() if replica.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            process.wait(timeout=DRAIN + 8)


def test_a_rolling_replace_under_load_fails_no_request(debian_tools: None, tmp_path: Path) -> None:
    old, new = site_version(tmp_path, "v1"), site_version(tmp_path, "v2")
    ports = {name: free_port() for name in ("old1", "old2", "new1", "new2")}
    port = free_port()
    haproxy = start_haproxy(tmp_path / "haproxy", port, ports)
    rollout = Rollout(tmp_path, ports, tmp_path / "haproxy" / "admin.sock")
    prober = Prober(f"http://127.0.0.1:{port}/hello")
    results: list[WrkResult] = []
    load = threading.Thread(target=lambda: results.append(wrk(f"http://127.0.0.1:{port}/hello", 32, LOAD, [], None)))
    probe = threading.Thread(target=prober.run)
    try:
        for name in ("new1", "new2"):  # nothing listens there yet
            wait_until(rollout.admin, name, "DOWN")
        rollout.start("old1", old)
        rollout.start("old2", old)
        load.start()
        probe.start()
        time.sleep(1.0)
        began = time.monotonic() - prober.started
        rollout.replace("old1", "new1", new)
        rollout.replace("old2", "new2", new)
        done = time.monotonic() - prober.started
        load.join(timeout=LOAD + 30)
    finally:
        prober.running = False
        if probe.is_alive():
            probe.join(timeout=10)  # its last request, before the balancer goes
        stop(haproxy)
        rollout.stop()
    (result,) = results
    served = result.requests + len(prober.seen)
    failed = result.socket_errors + result.non_2xx_3xx + len(prober.failures)
    first_new, last_old = prober.first("v2"), prober.last("v1")
    FIGURES.append(
        f"rolling replace (HAProxy, 2 replicas, wrk 32 connections for {LOAD} s + a prober): {served} requests "
        f"served, {failed} failed; replace began at {began:.2f} s, v2 first seen at {first_new} s, "
        f"v1 last seen at {last_old} s, replace done at {done:.2f} s"
    )
    assert prober.failures == [] and (result.socket_errors, result.non_2xx_3xx) == (0, 0), (prober.failures, result)
    assert result.requests > 1000  # the load really ran through the replace
    assert first_new is not None and last_old is not None and began < first_new < done
    assert done < LOAD, "the replace outlasted the load"
    assert {version for at, version in prober.seen if at > done} == {"v2"}
    assert re.search(r"Server replicas/old[12] is DOWN", (tmp_path / "haproxy" / "haproxy.log").read_text())
