"""Time the app's own work per request, in process, against a bare ASGI callable.

    .venv/bin/python bench/server_hotpath.py [--requests 200000]

No sockets and no uvicorn: each request is one call of the ASGI app with a
prepared scope and a send that does nothing, so the figure is what the app
adds on top of the server, free of network and scheduler noise (which
bench/server_wrk.py measures whole).  The baseline, timed in the same run, is
the least an ASGI app can do: send a fixed status, headers and body.
"""

import argparse
import asyncio
import io
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "server")]

from server_sample import write_site, write_zip  # noqa: E402

from server.app import create_app  # noqa: E402

App = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


async def bare(scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def sink(message: dict) -> None:
    pass


async def nothing() -> dict:
    return {"type": "http.disconnect"}


def scope_for(path: str, *headers: tuple[bytes, bytes]) -> dict:
    return {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
        "client": ("127.0.0.1", 50000), "headers": [(b"host", b"127.0.0.1:8080"), *headers],
    }  # fmt: skip


async def per_request_us(app: App, scope: dict, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await app(scope, nothing, sink)
    return (time.perf_counter() - started) / count * 1e6


async def main(count: int, zip_path: Path) -> None:
    apps = {"log off": create_app(zip_path, access_log=False), "log on": create_app(zip_path, access_log=True)}
    apps["log on"].access_log.stream = io.StringIO()  # type: ignore[union-attr]  # the cost of the line, not of the disk
    gzip = (b"accept-encoding", b"gzip, deflate, br")
    cases = {
        "20 KB page, gzip": scope_for("/hello", gzip),
        "20 KB page, 304": scope_for("/hello", gzip, (b"if-none-match", b'"x", "y"')),
        "404": scope_for("/no-such-page", gzip),
        "redirect": scope_for("/hello/"),
    }
    floor = await per_request_us(bare, scope_for("/"), count)
    print(f"bare ASGI callable: {floor:.2f} us/request")
    for label, app in apps.items():
        for case, scope in cases.items():
            cost = await per_request_us(app, scope, count)
            print(f"eblog, {label:<7} {case:<17} {cost:5.2f} us/request ({cost / floor:.1f}x the bare callable)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Per-request cost of the eblog app, in process.")
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_site(Path(tmp) / "site")
        write_zip(Path(tmp) / "site", Path(tmp) / "assets.zip")
        asyncio.run(main(args.requests, Path(tmp) / "assets.zip"))
