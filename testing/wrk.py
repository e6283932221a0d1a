"""wrk, the HTTP load generator (Debian's), run on one CPU for a bounded time, and its report parsed.

The server benchmarks pin the server to SERVER_CPU and wrk to WRK_CPU, so the two never share a core.
"""

import re
import subprocess
from dataclasses import dataclass

SERVER_CPU = "0"
WRK_CPU = "1"


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: int
    non_2xx_3xx: int


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def pinned(cpus: str | None) -> list[str]:
    """The taskset prefix that keeps a process on ``cpus``; none for None (the scheduler decides)."""
    return [] if cpus is None else ["taskset", "-c", cpus]


def wrk(url: str, connections: int, seconds: int, headers: list[str], cpus: str | None = WRK_CPU) -> WrkResult:
    command = [
        *pinned(cpus),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 2:  # no request finished (or a wrk that prints otherwise): say what it printed
        raise RuntimeError(f"wrk gave no latency percentiles for {url} at {connections} connections:\n{out}")

    def ms(key: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", latency[key]).groups()  # type: ignore[union-attr]
        return to_ms(number, unit)

    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=ms("50"),
        p99_ms=ms("99"),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        socket_errors=socket_errors,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )
