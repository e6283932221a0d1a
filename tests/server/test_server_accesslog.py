"""The access log through TestClient: one well-formed line per request, whatever the request holds.

The expected lines are written out here; tests/server/test_server_process.py checks them from
the real server, and tests/deploy/test_goaccess.py has GoAccess read them.
"""

import asyncio
import io
import json
import logging
import re

import pytest
from starlette.testclient import TestClient

from server.accesslog import FLUSH_AFTER, FLUSH_LINES, MAX_TEXT, AccessLog, LogHandler, clf_time, json_string, printable
from server.app import create_app
from server.assets import load_zip
from testing.server_sample import SampleSite

# Apache's and nginx's "combined": host ident user [time] "request" status bytes "referer" "agent"
COMBINED = re.compile(
    r'(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"'
)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def logged_client(site: SampleSite, style: str) -> tuple[TestClient, io.StringIO]:
    app = create_app(site.zip, access_log=True, log_style=style)  # type: ignore[arg-type]
    stream = io.StringIO()
    app.log.stream = stream
    return TestClient(app, follow_redirects=False), stream


def send_requests(client: TestClient) -> None:
    with client:
        client.get("/hello?utm_source=feed&x=1", headers={"accept-encoding": "gzip", "user-agent": BROWSER,
                                                          "referer": "https://example.org/a?b=c"})  # fmt: skip
        client.head("/hello", headers={"accept-encoding": "identity", "user-agent": "curl/8.5.0"})
        client.get("/nope", headers={"accept-encoding": "identity", "user-agent": 'evil"\n127.0.0.1 - - x'})
        client.post("/hello", headers={"user-agent": "curl/8.5.0"})
        client.get("/healthz", headers={"user-agent": "kube-probe/1.31"})


def test_combined_log_format_by_default(site: SampleSite) -> None:
    client, stream = logged_client(site, "combined")
    send_requests(client)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("eblog: serving ")  # the start-up line, through the same writer
    fields = [COMBINED.fullmatch(line).groups() for line in lines[1:]]  # type: ignore[union-attr]
    gzipped = load_zip(site.zip)[0]["hello.html"].gzip or b""
    assert [field[0] for field in fields] == ["testclient"] * 5
    assert fields[0][2:] == (
        "GET /hello?utm_source=feed&x=1 HTTP/1.1", "200", str(len(gzipped)), "https://example.org/a?b=c", BROWSER
    )  # fmt: skip
    assert fields[1][2:] == ("HEAD /hello HTTP/1.1", "200", "0", "-", "curl/8.5.0")
    assert fields[2][2:] == (
        "GET /nope HTTP/1.1", "404", str(len(site.files["404.html"])), "-", "evil\\x22\\x0a127.0.0.1 - - x"
    )  # fmt: skip
    assert fields[3][2:5] == ("POST /hello HTTP/1.1", "405", "0")
    assert fields[4][2:4] == ("GET /healthz HTTP/1.1", "200")
    assert len(lines) == 6


def test_json_lines(site: SampleSite) -> None:
    client, stream = logged_client(site, "json")
    send_requests(client)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert records[0]["level"] == "info" and records[0]["message"].startswith("eblog: serving ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", records[0]["time"])
    requests = records[1:]
    assert all(isinstance(record.pop("duration_ms"), float) for record in requests)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.pop("time")) for record in requests)
    gzipped = load_zip(site.zip)[0]["hello.html"].gzip or b""
    common = {"remote_addr": "testclient", "protocol": "HTTP/1.1"}
    assert requests[0] == {
        **common, "method": "GET", "uri": "/hello?utm_source=feed&x=1", "status": 200, "bytes": len(gzipped),
        "referer": "https://example.org/a?b=c", "user_agent": BROWSER, "encoding": "gzip",
    }  # fmt: skip
    assert requests[1] == {
        **common, "method": "HEAD", "uri": "/hello", "status": 200, "bytes": 0, "referer": None,
        "user_agent": "curl/8.5.0", "encoding": "identity",
    }  # fmt: skip
    assert requests[2]["user_agent"] == 'evil"\n127.0.0.1 - - x'  # kept whole: JSON escapes it
    assert [(r["method"], r["uri"], r["status"]) for r in requests[2:]] == [
        ("GET", "/nope", 404), ("POST", "/hello", 405), ("GET", "/healthz", 200)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"/hello", "/hello"),
        (b"/caf%C3%A9", "/caf%C3%A9"),  # as sent, still percent-encoded
        (b'/a"b', "/a\\x22b"),  # can't close the quoted field
        (b"/a\nb", "/a\\x0ab"),  # can't start a forged line
        (b"/a\\x22", "/a\\x5cx22"),  # a backslash sent is escaped too: an escape in the log is always ours
        (b"/\xff", "/\\xff"),
        ("Mozilla/5.0 (Linux; Android 14) é".encode(), "Mozilla/5.0 (Linux; Android 14) \\xc3\\xa9"),
    ],
)
def test_client_text_is_logged_on_one_safe_line(raw: bytes, shown: str) -> None:
    assert printable(raw) == shown


@pytest.mark.parametrize(
    ("raw", "value"),
    [(b"/hello", "/hello"), ("café".encode(), "café"), (b'a"b\n', 'a"b\n'), (b"\xff", "\\xff")],
)
def test_json_strings_carry_any_bytes(raw: bytes, value: str) -> None:
    assert json.loads(json_string(raw)) == value


def test_long_values_are_cut() -> None:
    shown = printable(b"/" + b"a" * 10_000)
    assert len(shown) == MAX_TEXT + 3 and shown.endswith("...")
    assert json.loads(json_string(b"b" * 10_000)) == "b" * MAX_TEXT + "..."


def test_clf_time_is_english_and_utc() -> None:
    assert clf_time(0) == "01/Jan/1970:00:00:00 +0000"
    assert clf_time(1_796_027_143) == "30/Nov/2026:08:25:43 +0000"


def test_messages_go_with_the_lines_and_errors_apart() -> None:
    out, err = io.StringIO(), io.StringIO()
    log = AccessLog(out, "combined", err)
    log.message("eblog: serving 3 assets")
    log.message("eblog: something broke", "error")
    assert (out.getvalue(), err.getvalue()) == ("eblog: serving 3 assets\n", "eblog: something broke\n")
    json_out = io.StringIO()
    json_log = AccessLog(json_out, "json", err)
    json_log.message("broke", "error")
    record = json.loads(json_out.getvalue())
    assert (record["level"], record["message"]) == ("error", "broke")


def test_the_logging_modules_errors_come_through_the_writer() -> None:
    out = io.StringIO()
    logger = logging.getLogger("eblog-test-handler")
    logger.propagate = False
    LogHandler(AccessLog(out, "json")).take_over(logger)
    logger.info("chatter")  # below warnings: left out
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("Exception in ASGI application")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "error" and record["message"].startswith("Exception in ASGI application\nTraceback")
    assert record["message"].endswith("RuntimeError: boom")


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
