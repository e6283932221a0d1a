"""Time the app's own work per request, in process, against a bare ASGI callable.

    .venv/bin/python bench/server_hotpath.py [--requests 200000] [--rounds 5] [--against REV]

No sockets and no uvicorn: each request is one call of the ASGI app with a
prepared scope and a send that does nothing, so the figure is what the app
adds on top of the server, free of network and scheduler noise (which
bench/server_wrk.py measures whole).  The baseline, timed in the same run, is
the least an ASGI app can do: send a fixed status, headers and body.

Each case is timed in batches of 500 requests, --rounds times over, and the
fastest batch is kept: on a shared machine, other work only ever makes a batch
slower.  With --against REV, the
server/ package of git revision REV is timed too, in separate processes that
take turns with this tree's round by round, and the ratio is printed: the way
to show a change to the hot path is no slower.
"""

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Message, Receive, Send], Awaitable[None]]
BATCH = 500
GZIP = (b"accept-encoding", b"gzip, deflate, br")
CASES: dict[str, tuple[str, tuple[tuple[bytes, bytes], ...]]] = {
    "20 KB page, gzip": ("/hello", (GZIP,)),
    "20 KB page, 304": ("/hello", (GZIP, (b"if-none-match", b"ETAG"))),  # ETAG: the page's gzip ETag
    "20 KB page, range": ("/hello", ((b"range", b"bytes=0-99"),)),
    "404": ("/no-such-page", (GZIP,)),
    "redirect": ("/hello/", ()),
}


async def bare(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def sink(message: Message) -> None:
    pass


async def nothing() -> Message:
    return {"type": "http.disconnect"}


def scope_for(path: str, *headers: tuple[bytes, bytes]) -> Message:
    return {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
        "client": ("127.0.0.1", 50000), "headers": [(b"host", b"127.0.0.1:8080"), *headers],
    }  # fmt: skip


async def per_request_us(app: App, scope: Message, count: int) -> float:
    """The fastest batch of BATCH requests, per request: a batch the scheduler interrupted is discarded."""
    fastest = float("inf")
    for _ in range(max(count // BATCH, 1)):
        started = time.perf_counter()
        for _ in range(BATCH):
            await app(scope, nothing, sink)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest / BATCH * 1e6


async def measure(count: int, zip_path: Path) -> dict[str, float]:
    """Microseconds per request for the bare callable and each (log setting, case) of this tree's app."""
    from server.app import create_app

    apps = {"log off": create_app(zip_path, access_log=False), "log on": create_app(zip_path, access_log=True)}
    apps["log on"].access_log.stream = io.StringIO()  # type: ignore[union-attr]  # the line's cost, not the disk's
    etag = apps["log off"].site.routes["/hello"].gzip.etag  # type: ignore[union-attr]
    results = {"bare ASGI callable": await per_request_us(bare, scope_for("/"), count)}
    for label, app in apps.items():
        for case, (path, fields) in CASES.items():
            headers = [(name, etag if value == b"ETAG" else value) for name, value in fields]
            results[f"eblog, {label:<7} {case}"] = await per_request_us(app, scope_for(path, *headers), count)  # type: ignore[arg-type]
    return results


def sample_zip(tmp: Path) -> Path:
    sys.path[:0] = [str(REPO)]  # imported late: a --worker process imports server/ from its own tree
    from testing.server_sample import write_site, write_zip

    write_site(tmp / "site")
    write_zip(tmp / "site", tmp / "assets.zip")
    return tmp / "assets.zip"


def export_server(revision: str, target: Path) -> Path:
    """server/ as it was at ``revision``, unpacked under ``target``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "server"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_round(tree: Path, count: int, zip_path: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", str(tree), "--requests", str(count), "--zip", str(zip_path)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tree).stdout
    results: dict[str, float] = json.loads(out)
    return results


def best(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {case: min(result[case] for result in rounds) for case in rounds[0]}


def compare(revision: str, count: int, rounds: int, zip_path: Path, tmp: Path) -> None:
    trees = {revision: export_server(revision, tmp / "base"), "this tree": REPO}
    timings: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            timings[name].append(run_round(tree, count, zip_path))
    before, after = best(timings[revision]), best(timings["this tree"])
    print(f"fastest of {rounds} rounds of {count} requests, the two trees taking turns; us/request")
    print(f"{'case':<36} {revision[:12]:>12} {'this tree':>10} {'ratio':>6}")
    for case in before:
        print(f"{case:<36} {before[case]:>12.2f} {after[case]:>10.2f} {after[case] / before[case]:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-request cost of the eblog app, in process.")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="also time server/ at this git revision, in turns")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--zip", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one round in a child process, importing server/ from the given tree
        sys.path[:0] = [str(args.worker)]
        print(json.dumps(asyncio.run(measure(args.requests, args.zip))))
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (other work on the machine shows as noise)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        zip_path = sample_zip(tmp)
        if args.against:
            compare(args.against, args.requests, args.rounds, zip_path, tmp)
            return
        results = best([run_round(REPO, args.requests, zip_path) for _ in range(args.rounds)])
    floor = results.pop("bare ASGI callable")
    print(f"bare ASGI callable: {floor:.2f} us/request (fastest of {args.rounds} rounds)")
    for case, cost in results.items():
        print(f"{case:<36} {cost:5.2f} us/request ({cost / floor:.1f}x the bare callable)")


if __name__ == "__main__":
    main()
