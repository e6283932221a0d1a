"""The access log through TestClient: one well-formed line per request, whatever the path holds."""

import asyncio
import io
import re

import pytest
from starlette.testclient import TestClient

from server.accesslog import FLUSH_AFTER, FLUSH_LINES, MAX_PATH, AccessLog, printable_path
from server.app import create_app
from server.assets import load_zip
from testing.server_sample import SampleSite

LINE = re.compile(
    r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (\S+) "(GET|HEAD|POST) (\S+)" (\d{3}) (\d+) (gzip|identity|-) \d+\.\d{3}ms'
)


@pytest.fixture
def logged(site: SampleSite) -> tuple[TestClient, io.StringIO]:
    app = create_app(site.zip, access_log=True)
    stream = io.StringIO()
    app.access_log.stream = stream  # type: ignore[union-attr]
    return TestClient(app, follow_redirects=False), stream


def test_one_line_per_request_with_every_field(logged: tuple[TestClient, io.StringIO], site: SampleSite) -> None:
    client, stream = logged
    with client:
        client.get("/hello", headers={"accept-encoding": "gzip"})
        client.head("/hello", headers={"accept-encoding": "identity"})
        client.get("/nope", headers={"accept-encoding": "identity"})
        client.post("/hello")
        client.get("/healthz")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5
    fields = [LINE.fullmatch(line).groups() for line in lines]  # type: ignore[union-attr]
    gzipped = load_zip(site.zip)[0]["hello.html"].gzip or b""
    assert fields[0][1:] == ("GET", "/hello", "200", str(len(gzipped)), "gzip")
    assert fields[1][1:] == ("HEAD", "/hello", "200", "0", "identity")
    assert fields[2][1:] == ("GET", "/nope", "404", str(len(site.files["404.html"])), "identity")
    assert fields[3][1:4] == ("POST", "/hello", "405")
    assert fields[4][1:4] == ("GET", "/healthz", "200")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"/hello", "/hello"),
        (b"/caf%C3%A9", "/caf%C3%A9"),  # as sent, still percent-encoded
        (b'/a"b', "/a\\x22b"),  # can't close the quoted field
        (b"/a\nb", "/a\\nb"),  # can't start a forged line
        (b"/\xff", "/\\xff"),
    ],
)
def test_paths_are_logged_on_one_safe_line(raw: bytes, shown: str) -> None:
    assert printable_path(raw) == shown


def test_long_paths_are_cut() -> None:
    shown = printable_path(b"/" + b"a" * 10_000)
    assert len(shown) == MAX_PATH + 3 and shown.endswith("...")


def test_lines_go_out_in_batches() -> None:
    stream = io.StringIO()
    log = AccessLog(stream)
    scope = {"method": "GET", "path": "/hello", "raw_path": b"/hello", "client": ("127.0.0.1", 1)}

    async def burst() -> tuple[int, int, int]:
        log.record(scope, 200, 1, "gzip", 0.0)
        held = stream.getvalue().count("\n")  # not written yet: waits for more lines or the timer
        for _ in range(FLUSH_LINES - 1):
            log.record(scope, 200, 1, "gzip", 0.0)
        at_limit = stream.getvalue().count("\n")
        log.record(scope, 200, 1, "gzip", 0.0)
        await asyncio.sleep(FLUSH_AFTER * 3)
        return held, at_limit, stream.getvalue().count("\n")

    assert asyncio.run(burst()) == (0, FLUSH_LINES, FLUSH_LINES + 1)
