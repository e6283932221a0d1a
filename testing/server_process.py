"""Start the real server as a subprocess on a free port, talk to it byte for byte, and stop processes."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    port: int
    stdout: Path
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def raw(self, request: bytes, timeout: float = 5.0) -> bytes:
        """Send bytes as they are (no client tidying them up) and return the whole answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process, from /proc (clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return sorted(child for child in pids if parent_of(child) == pid)


def server_env(**extra: str) -> dict[str, str]:
    """The environment for a test server: none of the caller's server settings, and no drain on SIGTERM.

    Nothing balances load to a test server, so the drain (seconds of serving after SIGTERM) would only
    slow every test down; the drain tests ask for one.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("EBLOG_ZIP", "EBLOG_ACCESS_LOG", "PORT", "WORKERS")}
    env["EBLOG_DRAIN"] = "0"
    env.update(extra)
    return env


def start_server(
    tmp: Path,
    args: list[str],
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    port: int | None = None,
) -> RunningServer:
    """Start ``python -m server ARGS --port PORT`` (or PREFIX + ARGS; a free port by default), wait for /healthz."""
    port = port or free_port()
    stdout, stderr = tmp / f"server-{port}.out", tmp / f"server-{port}.err"
    command = [*(prefix or [sys.executable, "-m", "server"]), *args, "--host", "127.0.0.1", "--port", str(port)]
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env or server_env(), stdout=out, stderr=err, text=True)
    running = RunningServer(process, port, stdout, stderr)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {stderr.read_text()}")
        try:
            if httpx.get(f"{running.url}/healthz", timeout=1).status_code == 200:
                return running
        except httpx.TransportError:
            time.sleep(0.02)
    running.stop(signal.SIGKILL)
    raise AssertionError(f"server did not answer within 15 s: {stderr.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still running 5 s later: for a process we started."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
