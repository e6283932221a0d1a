"""One worker against N workers (SO_REUSEPORT, and one shared socket), in one run: does a CPU buy as much?

    .venv/bin/python bench/server_workers.py [--workers N] [--seconds 3] [--rounds 5] [--connections 64]

Three servers on the same small site (testing/server_sample.py, the
~20 KB page with gzip, access log off), all listening at once on 127.0.0.1:
``python -m server`` (one process), ``--workers N`` (a socket each, the
default) and ``--workers N --reuse-port off`` (one shared socket).  None is
pinned: the workers and wrk share the machine's CPUs as a real host would.
They take turns for --rounds rounds of --seconds each; per run the bench
reads the servers' CPU seconds from /proc (utime + stime of the supervisor
and every worker) and wrk's from its rusage.

Per-core efficiency = (req/s per server CPU-second with N workers) / (the
same with 1 worker), the median of per-round ratios of runs seconds apart.
At 1.0 a worker does the same work per CPU-second as the single process, so
throughput grows with N as long as there are free cores; the target is at
least 0.90.  On a machine with fewer free cores than N + wrk's, req/s cannot
grow (the load average and CPU count are printed beside the figures), but
the efficiency still shows what each CPU-second buys.

Needs wrk (Debian: apt-get install wrk).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as `python bench/server_workers.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.server_wrk import python_env, start
from bench.verdict import verdict
from testing.ports import free_port
from testing.server_process import children_of, cpu_seconds, stop
from testing.server_sample import write_site, write_zip
from testing.wrk import wrk

PAGE = "/hello"
TARGET = 0.90


@dataclass
class Run:
    rps: float
    requests: int
    errors: int
    server_cpu: float  # seconds, all of the server's processes
    wrk_cpu: float  # seconds, user + system

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.server_cpu


def server_cpu(pid: int) -> float:
    """CPU seconds of a server process and its live children (a supervisor's workers)."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children_of(pid))


def children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def measure(pid: int, port: int, connections: int, seconds: int) -> Run:
    """One wrk run against the server ``pid``; wrk is the only child reaped meanwhile, so its CPU is the delta."""
    server_before, wrk_before = server_cpu(pid), children_cpu()
    result = wrk(f"http://127.0.0.1:{port}{PAGE}", connections, seconds, ["Accept-Encoding: gzip"], cpus=None)
    server_used, wrk_used = server_cpu(pid) - server_before, children_cpu() - wrk_before
    errors = result.socket_errors + result.non_2xx_3xx
    return Run(result.rps, result.requests, errors, server_used, wrk_used)


def report(runs: dict[str, list[Run]], baseline: str) -> None:
    print(
        f"{'':<28} {'req/s':>9} {'server CPU s':>13} {'wrk CPU s':>10} {'req per CPU s':>14} {'errors':>7}  (medians)"
    )
    for label, measured in runs.items():
        median = {key: statistics.median(getattr(r, key) for r in measured) for key in ("rps", "server_cpu", "wrk_cpu")}
        per_cpu = statistics.median(r.per_cpu_second for r in measured)
        errors = sum(r.errors for r in measured)
        print(
            f"{label:<28} {median['rps']:>9.0f} {median['server_cpu']:>13.2f} {median['wrk_cpu']:>10.2f} "
            f"{per_cpu:>14.0f} {errors:>7}"
        )
    print(f"\nper-core efficiency against {baseline} (req per server CPU-second, median of per-round ratios):")
    for label, measured in runs.items():
        if label == baseline:
            continue
        ratios = [r.per_cpu_second / b.per_cpu_second for r, b in zip(measured, runs[baseline], strict=True)]
        throughput = [r.rps / b.rps for r, b in zip(measured, runs[baseline], strict=True)]
        efficiency = statistics.median(ratios)
        print(
            f"  {label}: {efficiency:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}; target >= {TARGET:.2f}: "
            f"{verdict(efficiency, TARGET, at_least=True)}); req/s x{statistics.median(throughput):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="wrk: 1 worker against N workers, req/s and CPU seconds.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="N (default: the CPU count)")
    parser.add_argument("--seconds", type=int, default=3, help="length of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="turns each server takes (medians kept)")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("server_workers: wrk not found (Debian: apt-get install wrk)")
    if args.workers < 2:
        sys.exit("server_workers: --workers must be 2 or more (it is compared with 1)")

    with tempfile.TemporaryDirectory(prefix="eblog-workers-") as tmp_name:
        tmp = Path(tmp_name)
        write_site(tmp / "site")
        write_zip(tmp / "site", tmp / "assets.zip")
        base = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--zip", str(tmp / "assets.zip")]
        shapes = {
            "1 worker": [],
            f"{args.workers} workers, SO_REUSEPORT": ["--workers", str(args.workers)],
            f"{args.workers} workers, shared socket": ["--workers", str(args.workers), "--reuse-port", "off"],
        }
        print(
            f"wrk 1 thread, {args.connections} connections, {args.seconds} s per run, {args.rounds} rounds, "
            f"GET {PAGE} (gzip, 20 KB page), 127.0.0.1, nothing pinned; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f} before the run\n"
        )
        ports = {label: free_port() for label in shapes}
        servers: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for label, extra in shapes.items():
                command = [*base, "--port", str(ports[label]), "--no-access-log", "--drain", "0", *extra]
                servers[label] = start(command, ports[label], tmp / "server.log", python_env(True), cpus=None)[0]
            for port in ports.values():  # warm-up: every worker has served before the first count
                wrk(f"http://127.0.0.1:{port}{PAGE}", args.connections, 1, ["Accept-Encoding: gzip"], cpus=None)
            runs: dict[str, list[Run]] = {label: [] for label in shapes}
            for _ in range(args.rounds):
                for label, process in servers.items():
                    runs[label].append(measure(process.pid, ports[label], args.connections, args.seconds))
        finally:
            for process in servers.values():
                stop(process)
        report(runs, "1 worker")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
