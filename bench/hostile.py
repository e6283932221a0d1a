"""Hostile traffic against the eblog server and, when installed, nginx serving the same site, in one run.

    .venv/bin/python bench/hostile.py [--slowloris 300] [--timeout 10] [--endless-mb 64]

Sends every case of testing/hostile_cases.py to each server over a raw
socket (sent at once, then half-closed) and prints the statuses side by side
with what eblog must answer; then one client sending a header that never ends
(how many bytes each server reads before refusing it); the servers' resident
memory before and after; and a slowloris round: --slowloris connections that
each send half a head and stop, counted after the header timeout.

nginx (Debian: apt-get install nginx-light) gets the same header timeout and
keep-alive timeout as eblog (--timeout), the same security headers and clean
URLs (bench/server_wrk.py's configuration); without nginx its column says "-".
Everything runs on 127.0.0.1 and each step is bounded in time.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as `python bench/hostile.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.server_wrk import NGINX_CONF, start, unzip_for_nginx
from server.site import CSP
from testing.hostile_cases import Case, all_cases
from testing.hostile_wire import exchange, head_methods, open_half_sent, rss_kib, split_replies, still_open
from testing.ports import free_port
from testing.server_process import stop
from testing.server_sample import write_site, write_zip


def statuses(port: int, case: Case) -> str:
    replies = split_replies(exchange(port, case.request, timeout=3), head_methods(case.request))
    return " ".join(str(reply.status) for reply in replies) or "none"


def endless_header(port: int, limit: int) -> tuple[int, str]:
    """Bytes sent of one header that never ends before the server answered or closed; and its answer."""
    received: list[bytes] = []
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = threading.Thread(target=lambda: received.extend(iter(lambda: sock.recv(65536), b"")), daemon=True)
        reader.start()
        try:
            sock.sendall(b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX-Endless: ")
            while sent < limit and not received:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass
        reader.join(timeout=5)
    answer = b"".join(received)
    return sent, answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "closed without an answer"


def slowloris(port: int, count: int, wait: float) -> tuple[int, int]:
    """Half-sent connections still open right after opening them, and after ``wait`` seconds."""
    sockets = open_half_sent(port, count)
    try:
        time.sleep(0.5)
        opened = still_open(sockets)
        time.sleep(wait)
        return opened, still_open(sockets)
    finally:
        for sock in sockets:
            sock.close()


def nginx_worker(master: subprocess.Popen[bytes]) -> int:
    """The PID of nginx's worker (the process that holds the connections and their buffers)."""
    for _ in range(50):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master.pid:
                    return int(entry.name)
        time.sleep(0.05)
    return master.pid


def start_servers(tmp: Path, timeout: float) -> dict[str, tuple[subprocess.Popen[bytes], int, int]]:
    """eblog and (if installed) nginx: name -> (process, port, PID whose memory counts)."""
    write_site(tmp / "site")
    write_zip(tmp / "site", tmp / "assets.zip")
    servers = {}
    port = free_port()
    eblog = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port),
             "--zip", str(tmp / "assets.zip"), "--no-access-log",
             "--header-timeout", str(timeout), "--keepalive-timeout", str(timeout)]  # fmt: skip
    process, _ = start(eblog, port, tmp / "eblog.log")
    servers["eblog"] = (process, port, process.pid)
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        unzip_for_nginx(tmp / "assets.zip", tmp / "www")
        (tmp / "nginx").mkdir()
        port = free_port()
        timeouts = f"    client_header_timeout {timeout * 1000:.0f}ms;\n    keepalive_timeout {timeout * 1000:.0f}ms;\n"
        conf = NGINX_CONF.format(prefix=tmp / "nginx", port=port, root=tmp / "www", csp=CSP)
        conf = conf.replace("    keepalive_requests", timeouts + "    keepalive_requests", 1)
        (tmp / "nginx" / "nginx.conf").write_text(conf)
        command = ["nginx", "-p", str(tmp / "nginx"), "-c", str(tmp / "nginx" / "nginx.conf"), "-g", "daemon off;"]
        process, _ = start(command, port, tmp / "nginx.log")
        servers["nginx"] = (process, port, nginx_worker(process))
    return servers


def run_cases(servers: dict[str, tuple[subprocess.Popen[bytes], int, int]]) -> None:
    cases = all_cases()
    names = list(servers)
    print(f"{'case':<62} {'expected':>10} " + " ".join(f"{name:>10}" for name in names))
    as_expected = dict.fromkeys(names, 0)
    same_as_nginx = 0
    for case in cases:
        got = {name: statuses(port, case) for name, (_, port, _) in servers.items()}
        expected = " ".join(map(str, case.expected))
        for name in names:
            as_expected[name] += got[name] == expected
        same_as_nginx += "nginx" in got and got["nginx"] == got["eblog"]
        mark = "" if got["eblog"] == expected else "  <- eblog differs from expected"
        cells = " ".join(f"{got[name][:10]:>10}" for name in names)
        print(f"{case.label[:62]:<62} {expected[:10]:>10} {cells}{mark}")
    print()
    for name in names:
        print(f"{name}: {as_expected[name]} of {len(cases)} cases answered as eblog must")
    if "nginx" in servers:
        print(f"eblog and nginx gave the same statuses in {same_as_nginx} of {len(cases)} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description="Hostile requests: eblog beside nginx, same site, same run.")
    parser.add_argument("--slowloris", type=int, default=300, help="half-sent connections per server")
    parser.add_argument("--timeout", type=float, default=10.0, help="header and keep-alive timeout for both")
    parser.add_argument("--endless-mb", type=int, default=64, help="most MB of one endless header to send")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, 127.0.0.1 only")
    with tempfile.TemporaryDirectory(prefix="eblog-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's worker runs as another user
        servers = start_servers(tmp, args.timeout)
        if "nginx" not in servers:
            print("nginx not installed (apt-get install nginx-light): eblog alone")
        try:
            rss_before = {name: rss_kib(pid) for name, (_, _, pid) in servers.items()}
            run_cases(servers)
            print()
            for name, (_, port, _) in servers.items():
                sent, answer = endless_header(port, args.endless_mb << 20)
                print(f"endless header, {name}: {answer!r} after {sent / 1024:.0f} KiB sent")
            for name, (_, _, pid) in servers.items():
                after = rss_kib(pid)
                print(f"RSS {name}: {rss_before[name] / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
                      f"({(after - rss_before[name]) / 1024:+.1f} MiB)")  # fmt: skip
            for name, (_, port, _) in servers.items():
                opened, left = slowloris(port, args.slowloris, args.timeout + 3)
                print(f"slowloris, {name}: {opened} of {args.slowloris} half-sent connections open at first, "
                      f"{left} still open {args.timeout + 3:.0f} s later")  # fmt: skip
        finally:
            for process, _, _ in servers.values():
                stop(process)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
