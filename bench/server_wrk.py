"""Load-test the eblog server against nginx (gzip_static) serving the same site, in one run.

    .venv/bin/python bench/server_wrk.py [--seconds 3] [--rounds 5] [--connections 64] [--tail-connections 256]
        [--flood-connections 1024] [--flood-seconds 10] [--soak 30] [--boots 5]

Builds a small site with a ~20 KB page (testing/server_sample.py), zips
it with the real prezip, and unzips it for nginx with a .gz beside each file,
written from the very same zip stream the server wraps (so both send the same
gzip bytes).  Each server is pinned to CPU 0 with taskset, wrk (one thread)
to CPU 1, everything on 127.0.0.1, every run bounded by --seconds.

Scenarios: the page with gzip, the page without (identity), and a 404.  The
eblog server runs twice, with the access log off and on (stdout to a file).
The three servers take turns, scenario by scenario, for --rounds rounds; the
medians are printed, and each ratio to nginx is the median of per-round
ratios of runs seconds apart, so a shared machine's changing background load
weighs on both sides of a ratio alike.

Then the tail: the gzip page at --tail-connections (256), the three servers
taking turns for --rounds rounds, and eblog's p99 over nginx's of the same
round (median of the rounds).  Then the flood: each server once at
--flood-connections (1024) for --flood-seconds, where eblog must show no
socket error and no answer but 2xx (its connection cap, EBLOG_MAX_CONNECTIONS,
admits 1024 by default).  The soft limit on open files is raised for this
process, and so for wrk and nginx, within the hard limit; the eblog server
raises its own (server/__main__.py).  Then a soak: the eblog server with its
log on, 256 connections for --soak seconds, which must show zero socket
errors.  Last, boot time: process start to the first 200, median of --boots
starts, against a minimal Starlette app on uvicorn started the same way.
Bytecode is compiled first (a warm-up start with PYTHONDONTWRITEBYTECODE
unset), as the Docker image ships it compiled.

Needs wrk and nginx (Debian: apt-get install wrk nginx-light).
Targets (issue 15), each printed with "met" or by how much it missed: the gzip
page at 64 connections >= 0.65 of nginx's req/s; p99 at 256 connections <= 1.5x
nginx's; zero errors at 1024 connections.  Also: zero errors in the soak, boot
median <= 200 ms.
"""

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as `python bench/server_wrk.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.verdict import verdict
from server.__main__ import allow_open_files
from server.assets import load_zip
from server.site import CSP
from testing.ports import free_port
from testing.server_process import children_of, cpu_seconds, stop
from testing.server_sample import write_site, write_zip
from testing.wrk import SERVER_CPU, WRK_CPU, WrkResult, pinned, wrk

REPO = Path(__file__).resolve().parent.parent

PAGE = "/hello"
MISSING = "/no-such-page"
GZIP_PAGE = "20 KB page, gzip"  # the scenario the targets are set on
TARGET_RPS = 0.65  # eblog's req/s over nginx's, gzip page, --connections
TARGET_P99 = 1.5  # eblog's p99 over nginx's, gzip page, --tail-connections
FD_HEADROOM = 256  # open files beyond the connections: listening sockets, logs, nginx's files

NGINX_CONF = """\
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/body;
    gzip off;
    gzip_static on;
    gzip_vary on;
    server_tokens off;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        error_page 404 /404.html;
        # the same headers the eblog server sends, so both answers weigh the same
        add_header Cache-Control "public, max-age=60, s-maxage=30, stale-while-revalidate=30" always;
        add_header X-Eblog-Commit unknown always;
        add_header X-Content-Type-Options nosniff always;
        add_header Content-Security-Policy "{csp}" always;
        add_header Referrer-Policy strict-origin-when-cross-origin always;
        add_header X-Frame-Options DENY always;
        location = / {{ try_files /index.html =404; }}
        location / {{ try_files $uri $uri.html =404; }}
    }}
}}
"""

MINIMAL_STARLETTE = """\
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def home(request):
    return PlainTextResponse("ok")

app = Starlette(routes=[Route("/", home)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", loop="uvloop", log_level="warning")
"""


def first_status(port: int, path: str = "/") -> int | None:
    """The status of one GET, or None while nothing listens."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.\d (\d+)", head)
    return int(match.group(1)) if match else None


def start(
    command: list[str], port: int, log: Path, env: dict[str, str] | None = None, cpus: str | None = SERVER_CPU
) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server pinned to ``cpus``; return it and the ms from start to its first 200 on /."""
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen([*pinned(cpus), *command], cwd=REPO, stdout=out, stderr=out, env=env)
    deadline = started + 20
    while time.perf_counter() < deadline:
        if first_status(port) == 200:
            return process, (time.perf_counter() - started) * 1000
        if process.poll() is not None:
            sys.exit(f"server_wrk: {command[0]} exited with {process.returncode}; see {log}")
        time.sleep(0.001)
    stop(process)
    sys.exit(f"server_wrk: {command[0]} did not answer in 20 s; see {log}")


def unzip_for_nginx(zip_path: Path, root: Path) -> None:
    """Each file, plus file.gz from the same zip stream (what gzip_static looks for)."""
    assets, _ = load_zip(zip_path)
    for name, asset in assets.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset.body)
        if asset.gzip is not None:
            path.with_name(path.name + ".gz").write_bytes(asset.gzip)


def python_env(bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def eblog_command(zip_path: Path, port: int, access_log: bool) -> list[str]:
    command = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), "--zip", str(zip_path)]
    return command if access_log else [*command, "--no-access-log"]


Scenario = tuple[str, str, list[str]]  # name, path, request headers
SCENARIOS: list[Scenario] = [
    (GZIP_PAGE, PAGE, ["Accept-Encoding: gzip"]),
    ("20 KB page, identity", PAGE, []),
    ("404", MISSING, ["Accept-Encoding: gzip"]),
]


def machine_load() -> str:
    """The load averages and CPU count, printed beside every figure: the machine may be shared."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}, {os.cpu_count()} CPUs"


def check_same_answers(nginx_port: int, eblog_port: int) -> None:
    """Both servers must give the same status and body size per scenario, or the race is unfair."""
    for name, path, headers in SCENARIOS:
        sizes = []
        for port in (nginx_port, eblog_port):
            lines = [f"GET {path} HTTP/1.1", "Host: x", *headers, "Connection: close", "", ""]
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall("\r\n".join(lines).encode())
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            sizes.append((head.split(b" ")[1], len(body)))
        if sizes[0] != sizes[1]:
            sys.exit(f"server_wrk: {name}: nginx answers {sizes[0]}, eblog {sizes[1]} (status, body bytes)")


@dataclass
class Run(WrkResult):
    """One wrk run, and the CPU time the server spent on it per request (steadier than req/s on a busy machine)."""

    cpu_us: float = 0.0


Samples = dict[str, dict[str, list[Run]]]  # server -> scenario -> one run per round


def measured(port: int, pid: int, scenario: Scenario, connections: int, seconds: int) -> Run:
    """wrk against the server on ``port``, with the CPU time of its process ``pid`` over the run."""
    _, path, headers = scenario
    before = cpu_seconds(pid)
    result = wrk(f"http://127.0.0.1:{port}{path}", connections, seconds, headers)
    return Run(**vars(result), cpu_us=(cpu_seconds(pid) - before) * 1e6 / max(result.requests, 1))


def race(
    servers: dict[str, tuple[int, int]],
    seconds: int,
    connections: int,
    rounds: int,
    scenarios: list[Scenario] = SCENARIOS,
) -> Samples:
    """Every (server, scenario), ``rounds`` times; the servers run back to back within a scenario.

    ``servers``: label -> (port, the pid that answers: nginx's worker, eblog's process).
    """
    samples: Samples = {label: {name: [] for name, _, _ in scenarios} for label in servers}
    for port, _ in servers.values():
        for _, path, headers in scenarios:
            wrk(f"http://127.0.0.1:{port}{path}", connections, 1, headers)  # warm-up
    for _ in range(rounds):
        for scenario in scenarios:
            for label, (port, pid) in servers.items():
                samples[label][scenario[0]].append(measured(port, pid, scenario, connections, seconds))
    print(f"\n{connections} connections, {rounds} rounds of {seconds} s; {machine_load()} after:")
    for label, by_scenario in samples.items():
        for name, runs in by_scenario.items():
            rps, p50, p99, cpu = (
                statistics.median(getattr(r, key) for r in runs) for key in ("rps", "p50_ms", "p99_ms", "cpu_us")
            )
            errors = sum(r.socket_errors for r in runs)
            print(
                f"  {label:<16} {name:<22} {rps:>9.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                f"CPU {cpu:5.1f} us/request (medians)  socket errors {errors}"
            )
    return samples


def round_ratios(samples: Samples, label: str, baseline: str, scenario: str, key: str) -> list[float]:
    """``label``'s figure over the baseline's run just before it, round by round.

    Pairing runs seconds apart cancels most of the drift of a shared machine's load.
    """
    runs = zip(samples[label][scenario], samples[baseline][scenario], strict=True)
    return [getattr(run, key) / getattr(base, key) for run, base in runs]


def report_ratios(samples: Samples, baseline: str) -> None:
    """Each server's req/s over the baseline's, per scenario: the median of the per-round ratios."""
    print(f"\nratios to {baseline} (req/s, median of the per-round ratios):")
    for label, by_scenario in samples.items():
        if label == baseline:
            continue
        parts = []
        for name in by_scenario:
            ratios = round_ratios(samples, label, baseline, name, "rps")
            parts.append(f"{name} {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})")
        errors = sum(r.socket_errors for runs in by_scenario.values() for r in runs)
        p99 = max(statistics.median(r.p99_ms for r in runs) for runs in by_scenario.values())
        print(f"  {label}: {'; '.join(parts)}; worst median p99 {p99:.2f} ms; socket errors {errors}")
        gzip = statistics.median(round_ratios(samples, label, baseline, GZIP_PAGE, "rps"))
        met = verdict(gzip, TARGET_RPS, at_least=True)
        print(f"    target >= {TARGET_RPS:.2f} of {baseline}'s req/s ({GZIP_PAGE}): {met}")
        # The same comparison by CPU time: what req/s would show on a machine with no other work.
        cpu = statistics.median(1 / r for r in round_ratios(samples, label, baseline, GZIP_PAGE, "cpu_us"))
        print(f"    {baseline}'s CPU per request over this one's ({GZIP_PAGE}, median of rounds): {cpu:.2f}")


def report_tails(samples: Samples, baseline: str, connections: int) -> None:
    """Each server's p99 over the baseline's, gzip page: the median of the per-round ratios, and the target."""
    base = statistics.median(r.p99_ms for r in samples[baseline][GZIP_PAGE])
    print(f"\np99 at {connections} connections, {GZIP_PAGE}, over {baseline}'s ({base:.2f} ms, median):")
    for label, by_scenario in samples.items():
        if label == baseline:
            continue
        p99 = statistics.median(r.p99_ms for r in by_scenario[GZIP_PAGE])
        ratios = round_ratios(samples, label, baseline, GZIP_PAGE, "p99_ms")
        ratio = statistics.median(ratios)
        print(
            f"  {label}: p99 {p99:.2f} ms, ratio {ratio:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); "
            f"target <= {TARGET_P99:.1f}x: {verdict(ratio, TARGET_P99)}"
        )


def flood(servers: dict[str, tuple[int, int]], seconds: int, connections: int) -> None:
    """Each server once at ``connections``: eblog must answer every request with a 2xx and lose no socket."""
    print(f"\n{connections} connections, gzip page, {seconds} s each:")
    for label, (port, pid) in servers.items():
        result = measured(port, pid, SCENARIOS[0], connections, seconds)
        errors = result.socket_errors + result.non_2xx_3xx
        target = "" if label == "nginx" else f"; target zero errors: {'met' if errors == 0 else 'missed'}"
        print(
            f"  {label:<16} {result.requests} requests, {result.rps:.0f} req/s, p99 {result.p99_ms:.2f} ms, "
            f"CPU {result.cpu_us:.1f} us/request, socket errors {result.socket_errors}, "
            f"non-2xx/3xx {result.non_2xx_3xx}{target}"
        )
    print(f"  {machine_load()}")


def open_files_for(connections: int) -> None:
    """Raise the soft limit on open files (wrk and nginx inherit it) so ``connections`` fit, within the hard limit."""
    wanted = connections + FD_HEADROOM
    allow_open_files(wanted)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        sys.exit(
            f"server_wrk: {connections} connections need {wanted} open files, the hard limit is {hard} (ulimit -Hn)"
        )


def boot_median(command: list[str], port: int, log: Path, runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        process, ms = start(command, port, log, env)
        stop(process)
        times.append(ms)
    return statistics.median(times)


def soak_run(tmp: Path, port: int, seconds: int) -> None:
    """256 connections on the article page for ``seconds``: the errors, if any, and the p99."""
    process, _ = start(eblog_command(tmp / "assets.zip", port, True), port, tmp / "eblog.log", python_env(True))
    try:
        soak = wrk(f"http://127.0.0.1:{port}{PAGE}", 256, seconds, ["Accept-Encoding: gzip"])
    finally:
        stop(process)
    print(
        f"\nsoak: eblog, log on, 256 connections, {seconds} s: {soak.requests} requests, {soak.rps:.0f} req/s, "
        f"p99 {soak.p99_ms:.2f} ms, socket errors {soak.socket_errors}, non-2xx/3xx {soak.non_2xx_3xx}; "
        f"{machine_load()}"
    )


def boot_race(tmp: Path, port: int, boots: int) -> None:
    """Process start to first 200: eblog against a minimal Starlette app, both with bytecode compiled."""
    env = python_env(True)
    eblog_boot = boot_median(eblog_command(tmp / "assets.zip", port, True), port, tmp / "boot.log", boots, env)
    script = tmp / "minimal_starlette.py"
    script.write_text(MINIMAL_STARLETTE)
    minimal_command = [sys.executable, str(script), str(port)]
    stop(start(minimal_command, port, tmp / "boot.log", env)[0])  # compiles its bytecode
    minimal = boot_median(minimal_command, port, tmp / "boot.log", boots, env)
    print(
        f"\nboot, process start to first 200, median of {boots}, bytecode compiled: "
        f"eblog {eblog_boot:.0f} ms, minimal Starlette on uvicorn {minimal:.0f} ms "
        f"(ratio {eblog_boot / minimal:.2f}); {machine_load()}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="wrk: the eblog server against nginx gzip_static, same run.")
    parser.add_argument("--seconds", type=int, default=3, help="length of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="turns each server takes per scenario (median kept)")
    parser.add_argument("--connections", type=int, default=64, help="for the req/s race, every scenario")
    parser.add_argument("--tail-connections", type=int, default=256, help="for the p99 race, gzip page (0 to skip)")
    parser.add_argument("--flood-connections", type=int, default=1024, help="one run per server (0 to skip)")
    parser.add_argument("--flood-seconds", type=int, default=10, help="length of each flood run")
    parser.add_argument("--soak", type=int, default=30, help="seconds at 256 connections (0 to skip)")
    parser.add_argument("--boots", type=int, default=5, help="starts for the boot-time median (0 to skip)")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "taskset"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            sys.exit(f"server_wrk: {tool} not found (Debian: apt-get install wrk nginx-light util-linux)")
    if (os.cpu_count() or 1) < 2:
        sys.exit("server_wrk: needs 2 CPUs (server on one, wrk on the other)")
    open_files_for(max(args.connections, args.tail_connections, args.flood_connections, 256))
    return args


def prepare(tmp: Path) -> None:
    """The sample site, its zip, and the same files unzipped (with .gz beside them) for nginx."""
    tmp.chmod(0o755)  # nginx's worker runs as another user
    write_site(tmp / "site")
    write_zip(tmp / "site", tmp / "assets.zip")
    unzip_for_nginx(tmp / "assets.zip", tmp / "www")
    (tmp / "nginx").mkdir()


def server_commands(tmp: Path, ports: dict[str, int]) -> dict[str, list[str]]:
    conf = tmp / "nginx" / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=tmp / "nginx", port=ports["nginx"], root=tmp / "www", csp=CSP))
    return {
        "nginx": ["nginx", "-p", str(tmp / "nginx"), "-c", str(conf), "-g", "daemon off;"],
        "eblog, log off": eblog_command(tmp / "assets.zip", ports["eblog, log off"], False),
        "eblog, log on": eblog_command(tmp / "assets.zip", ports["eblog, log on"], True),
    }


def races(tmp: Path, ports: dict[str, int], args: argparse.Namespace) -> None:
    """The three servers listening at once (idle ones cost nothing): req/s, then p99, then the flood.

    The first eblog start compiles the bytecode, as the image ships it.  The log goes to a file,
    as a container runtime's would.
    """
    processes = []
    servers: dict[str, tuple[int, int]] = {}  # label -> (port, the pid that answers)
    try:
        for label, command in server_commands(tmp, ports).items():
            log = tmp / f"{label.replace(', ', '-')}.log"
            processes.append(start(command, ports[label], log, python_env(True))[0])
            pid = processes[-1].pid  # taskset execs the server: the same pid
            servers[label] = (ports[label], children_of(pid)[0] if label == "nginx" else pid)  # nginx: its worker
        check_same_answers(ports["nginx"], ports["eblog, log on"])
        samples = race(servers, args.seconds, args.connections, args.rounds)
        tails = (
            race(servers, args.seconds, args.tail_connections, args.rounds, SCENARIOS[:1])
            if args.tail_connections
            else None
        )
        if args.flood_connections:
            flood(servers, args.flood_seconds, args.flood_connections)
    finally:
        for process in processes:
            stop(process)
    report_ratios(samples, "nginx")
    nginx_p99 = max(statistics.median(r.p99_ms for r in runs) for runs in samples["nginx"].values())
    print(f"  nginx: worst median p99 {nginx_p99:.2f} ms (same run, for scale)")
    if tails is not None:
        report_tails(tails, "nginx", args.tail_connections)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="eblog-wrk-") as tmp_name:
        tmp = Path(tmp_name)
        prepare(tmp)
        page = load_zip(tmp / "assets.zip")[0]["hello.html"]
        print(
            f"wrk 1 thread on CPU {WRK_CPU}, servers on CPU {SERVER_CPU}, {args.seconds} s per run, 127.0.0.1; "
            f"page {PAGE}: {len(page.body)} bytes, gzip {len(page.gzip or b'')}; open files (soft) "
            f"{resource.getrlimit(resource.RLIMIT_NOFILE)[0]}; {machine_load()} (other work on the machine "
            "shows up as noise)"
        )
        ports = {"nginx": free_port(), "eblog, log off": free_port(), "eblog, log on": free_port()}
        races(tmp, ports, args)
        eblog_port = ports["eblog, log on"]  # free again: reused for the soak and the boots
        if args.soak:
            soak_run(tmp, eblog_port, args.soak)
        if args.boots:
            boot_race(tmp, eblog_port, args.boots)
    print(f"{machine_load()} at the end")


if __name__ == "__main__":
    main()
