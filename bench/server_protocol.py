"""The same app behind eblog's connection (server/protocol.py) and behind uvicorn's httptools protocol, in one run.

    .venv/bin/python bench/server_protocol.py [--rounds 5] [--seconds 3] [--connections 64]

Why eblog has its own connection code, measured: both servers load the same
zip into the same EblogApp; one is ``python -m server``, the other plain
uvicorn with ``--http httptools`` (uvicorn's protocol, as main had it).  Each
is pinned to CPU 0, wrk to CPU 1, on 127.0.0.1; they take turns, scenario by
scenario.  Printed per scenario: the median req/s and the median CPU time the
server process spent per request (from /proc), which a busy machine disturbs
far less than req/s.  Needs wrk (Debian: apt-get install wrk).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as `python bench/server_protocol.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.server_wrk import python_env, start
from testing.ports import free_port
from testing.server_process import cpu_seconds, stop
from testing.server_sample import write_site, write_zip
from testing.wrk import SERVER_CPU, WRK_CPU

SCENARIOS = {
    "20 KB page, gzip": ("/hello", ["-H", "Accept-Encoding: gzip"]),
    "404": ("/no-such-page", []),
    "redirect": ("/hello/", []),
}


def load(port: int, pid: int, path: str, extra: list[str], seconds: int, connections: int) -> tuple[float, float]:
    """req/s, and the server's CPU microseconds per request, for one wrk run."""
    before = cpu_seconds(pid)
    command = ["taskset", "-c", WRK_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *extra]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True)
    used = cpu_seconds(pid) - before
    requests = int(re.search(r"(\d+) requests in", out.stdout).group(1))  # type: ignore[union-attr]
    return requests / seconds, used / max(requests, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="eblog's connection against uvicorn's httptools protocol.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; servers on CPU {SERVER_CPU}, wrk on {WRK_CPU}"
    )
    with tempfile.TemporaryDirectory(prefix="eblog-protocol-") as tmp_name:
        tmp = Path(tmp_name)
        write_site(tmp / "site")
        write_zip(tmp / "site", tmp / "assets.zip")
        ports = {"eblog connection": free_port(), "uvicorn httptools": free_port()}
        env = {**python_env(True), "EBLOG_ZIP": str(tmp / "assets.zip"), "EBLOG_ACCESS_LOG": "off"}
        commands = {
            "eblog connection": [sys.executable, "-m", "server", "--host", "127.0.0.1",
                                 "--port", str(ports["eblog connection"])],
            "uvicorn httptools": [sys.executable, "-m", "uvicorn", "--factory", "server.app:uvicorn_factory",
                                  "--host", "127.0.0.1", "--port", str(ports["uvicorn httptools"]), "--http",
                                  "httptools", "--loop", "uvloop", "--no-access-log", "--no-server-header",
                                  "--log-level", "warning"],
        }  # fmt: skip
        processes = {
            name: start(command, ports[name], tmp / f"{name}.log", env)[0] for name, command in commands.items()
        }
        try:
            runs: dict[str, dict[str, list[tuple[float, float]]]] = {s: {n: [] for n in commands} for s in SCENARIOS}
            for _ in range(args.rounds):
                for scenario, (path, extra) in SCENARIOS.items():
                    for name, process in processes.items():
                        result = load(ports[name], process.pid, path, extra, args.seconds, args.connections)
                        runs[scenario][name].append(result)
        finally:
            for process in processes.values():
                stop(process)
    for scenario, by_server in runs.items():
        rps = {name: statistics.median(r for r, _ in results) for name, results in by_server.items()}
        cpu = {name: statistics.median(c for _, c in results) for name, results in by_server.items()}
        print(f"{scenario}:")
        for name in by_server:
            print(
                f"  {name:<18} {rps[name]:>8.0f} req/s   {cpu[name]:6.1f} us CPU/request   (medians of {args.rounds})"
            )
        ours, theirs = "eblog connection", "uvicorn httptools"
        print(f"  eblog/uvicorn: {rps[ours] / rps[theirs]:.2f}x the req/s, {cpu[ours] / cpu[theirs]:.2f}x the CPU")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
