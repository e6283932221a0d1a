"""The access log's cost per line: the old format, Combined, JSON, and the logging module as the baseline.

    .venv/bin/python bench/accesslog.py [--lines 200000] [--rounds 5] [--against main]

Each writer logs the same request (a browser's eight header fields, a query
string) into /dev/null, so the figure holds the formatting, the batching and
the write(2) calls, not a disk.  The old writer is server/accesslog.py as it
is at git revision --against (the one-line format before issue 16); the
baseline is a ``logging`` logger with a StreamHandler writing a Combined line
per record, what a server built on the logging module pays.  Each is timed in
batches of 1,000 lines, --rounds times over, taking turns, and the fastest
batch is kept: other work on the machine only ever makes a batch slower.
"""

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.accesslog import AccessLog, clf_time  # noqa: E402  (after the path: run as a script)

BATCH = 1000
SCOPE: dict[str, Any] = {
    "type": "http", "method": "GET", "path": "/posts/docker-should-be-fast/", "http_version": "1.1",
    "raw_path": b"/posts/docker-should-be-fast/", "query_string": b"utm_source=feed", "client": ("203.0.113.7", 50000),
    "headers": [
        (b"host", b"blog.example.org"),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        (b"accept-language", b"en-GB,en;q=0.5"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"referer", b"https://news.example.com/item?id=1"),
        (b"connection", b"keep-alive"),
        (b"if-none-match", b'"3f2a9c1b"'),
    ],
}  # fmt: skip
Record = Callable[[dict[str, Any], int, int, str, float], None]


def old_writer(revision: str, stream: TextIO) -> Record:
    """``record`` of server/accesslog.py at ``revision``, loaded from git beside this tree's."""
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{revision}:server/accesslog.py"], capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType("old_accesslog")
    exec(compile(source, f"{revision}:server/accesslog.py", "exec"), module.__dict__)  # noqa: S102 (our own file)
    record: Record = module.AccessLog(stream).record
    return record


def logging_writer(stream: TextIO) -> Record:
    """What the logging module costs for the same Combined line: a record, a formatter, a handler."""
    logger = logging.Logger("bench.access")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)

    def record(scope: dict[str, Any], status: int, size: int, encoding: str, started: float) -> None:
        headers = dict(scope["headers"])
        logger.info(
            '%s - - [%s] "%s %s?%s HTTP/%s" %d %d "%s" "%s"',
            scope["client"][0], clf_time(int(time.time())), scope["method"], scope["raw_path"].decode(),
            scope["query_string"].decode(), scope["http_version"], status, size,
            headers.get(b"referer", b"-").decode(), headers.get(b"user-agent", b"-").decode(),
        )  # fmt: skip

    return record


async def fastest_batch_us(record: Record, lines: int) -> float:
    fastest = float("inf")
    for _ in range(max(lines // BATCH, 1)):
        started = time.perf_counter()
        for _ in range(BATCH):
            record(SCOPE, 200, 5120, "gzip", started)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest / BATCH * 1e6


async def measure(writers: dict[str, Record], lines: int, rounds: int) -> dict[str, float]:
    best = {name: float("inf") for name in writers}
    for _ in range(rounds):
        for name, record in writers.items():
            best[name] = min(best[name], await fastest_batch_us(record, lines))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description="Cost of one access log line, per writer.")
    parser.add_argument("--lines", type=int, default=200_000, help="lines per writer per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", default="main", help="git revision whose server/accesslog.py is 'old format'")
    args = parser.parse_args()
    with open(os.devnull, "w") as null:
        writers = {
            f"old format ({args.against})": old_writer(args.against, null),
            "combined (this tree)": AccessLog(null, "combined").record,
            "json (this tree)": AccessLog(null, "json").record,
            "logging module, combined": logging_writer(null),
        }
        results = asyncio.run(measure(writers, args.lines, args.rounds))
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load}, {os.cpu_count()} CPUs; fastest batch of {BATCH} lines, {args.rounds} rounds")
    baseline = results["logging module, combined"]
    print(f"{'writer':<28} {'us/line':>8} {'vs logging':>11}")
    for name, us in results.items():
        print(f"{name:<28} {us:>8.3f} {us / baseline:>10.2f}x")


if __name__ == "__main__":
    main()
