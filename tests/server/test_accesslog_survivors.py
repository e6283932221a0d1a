"""Tests for mutants of server/accesslog.py the rest of the suite let live (bench/mutation-survivors.md).

Each checks a log line, written out here, that the mutated code gets wrong.  The clocks are pinned
(``time.time`` for the stamp, ``time.perf_counter`` for the duration) so a line is exact.
"""

import asyncio
import io
import json
import logging
import time

import pytest
from starlette.types import Scope

from server.accesslog import FLUSH_AFTER, AccessLog, LogHandler, json_string, printable, style_of

NOW = 1_796_027_143  # 30 Nov 2026 08:25:43 UTC
JSON_LINE = (
    '{"time":"2026-11-30T08:25:43Z","remote_addr":"192.0.2.7","method":"GET","uri":"/a",'
    '"protocol":"HTTP/1.1","status":200,"bytes":12,"referer":null,"user_agent":null,'
    '"encoding":"gzip","duration_ms":250.000}\n'
)
SCOPE: Scope = {"method": "GET", "path": "/a", "raw_path": b"/a", "client": ("192.0.2.7", 4321), "http_version": "1.1"}


@pytest.fixture(autouse=True)
def pinned_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW + 0.5)
    monkeypatch.setattr(time, "perf_counter", lambda: 100.0)


def logged(log: AccessLog, scope: Scope, stream: io.StringIO) -> str:
    log.record(scope, 200, 12, "gzip", 99.75)  # 250 ms before perf_counter's pinned 100.0
    log.flush()
    return stream.getvalue()


def record_alone(log: AccessLog, scope: Scope, stream: io.StringIO) -> str:
    async def run() -> str:
        return logged(log, scope, stream)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("combined", '192.0.2.7 - - [30/Nov/2026:08:25:43 +0000] "GET /a HTTP/1.1" 200 12 "-" "-"\n'),
        ("on", '192.0.2.7 - - [30/Nov/2026:08:25:43 +0000] "GET /a HTTP/1.1" 200 12 "-" "-"\n'),
        ("json", JSON_LINE),
    ],
)
def test_each_setting_gives_its_line(setting: str, line: str) -> None:
    stream = io.StringIO()
    assert record_alone(AccessLog(stream, style_of(setting)), SCOPE, stream) == line


def test_the_default_style_is_combined() -> None:
    stream = io.StringIO()
    assert record_alone(AccessLog(stream), SCOPE, stream).startswith('192.0.2.7 - - [30/Nov/2026:08:25:43 +0000] "GET')


@pytest.mark.parametrize("setting", ["combined", "on", "off"])
def test_messages_of_the_combined_settings_stay_plain(setting: str) -> None:
    out = io.StringIO()
    AccessLog(out, style_of(setting)).message("eblog: serving")
    assert out.getvalue() == "eblog: serving\n"


def test_a_json_message_carries_the_time_now() -> None:
    out = io.StringIO()
    AccessLog(out, style_of("json")).message("eblog: serving")
    assert out.getvalue() == '{"time": "2026-11-30T08:25:43Z", "level": "info", "message": "eblog: serving"}\n'


def test_the_first_second_of_the_epoch_has_its_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1.0)
    stream = io.StringIO()
    assert "[01/Jan/1970:00:00:01 +0000]" in record_alone(AccessLog(stream), SCOPE, stream)


def test_a_request_without_client_or_version() -> None:
    """An ASGI scope may lack both (a Unix socket; HTTP/0.9): "-" for the address, no protocol."""
    scope: Scope = {"method": "GET", "path": "/a", "raw_path": b"/a"}
    stream = io.StringIO()
    combined = record_alone(AccessLog(stream, "combined"), scope, stream)
    assert combined == '- - - [30/Nov/2026:08:25:43 +0000] "GET /a" 200 12 "-" "-"\n'
    stream = io.StringIO()
    record = json.loads(record_alone(AccessLog(stream, "json"), scope, stream))
    assert (record["remote_addr"], record["protocol"]) == ("-", None)


@pytest.mark.parametrize(
    ("scope", "target"),
    [
        ({"path": "/caf\u00e9", "raw_path": b"/caf%C3%A9"}, "/caf%C3%A9"),  # the target as sent, not decoded
        ({"path": "/caf\u00e9"}, "/caf\\xc3\\xa9"),  # no raw_path: the path, as UTF-8
        ({"path": "/x\udcff"}, "/x\\x5cudcff"),  # a lone surrogate: backslash-escaped, then logged safely
    ],
)
def test_the_target_is_the_raw_path_or_else_the_path(scope: Scope, target: str) -> None:
    stream = io.StringIO()
    line = record_alone(AccessLog(stream, "combined"), {"method": "GET", **scope}, stream)
    assert line == f'- - - [30/Nov/2026:08:25:43 +0000] "GET {target}" 200 12 "-" "-"\n'


def test_a_single_line_goes_out_after_the_wait() -> None:
    stream = io.StringIO()

    async def one_request() -> tuple[str, str]:
        log = AccessLog(stream)
        log.record(SCOPE, 200, 12, "gzip", 99.75)
        held = stream.getvalue()
        await asyncio.sleep(FLUSH_AFTER * 3)
        return held, stream.getvalue()

    held, written = asyncio.run(one_request())
    assert held == ""
    assert written == '192.0.2.7 - - [30/Nov/2026:08:25:43 +0000] "GET /a HTTP/1.1" 200 12 "-" "-"\n'


def test_values_of_exactly_the_limit_are_not_cut() -> None:
    assert printable(b"a" * 512) == "a" * 512
    assert json_string(b"b" * 512) == '"' + "b" * 512 + '"'


def test_debug_messages_go_to_stdout_and_errors_default_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    log = AccessLog(out, "combined")
    log.message("eblog: detail", "debug")
    log.message("eblog: broke", "error")
    assert out.getvalue() == "eblog: detail\n"
    assert capsys.readouterr().err == "eblog: broke\n"


def test_taking_over_a_logger_removes_its_handlers() -> None:
    logger = logging.getLogger("eblog-test-take-over")
    logger.propagate = False
    before = io.StringIO()
    logger.addHandler(logging.StreamHandler(before))
    out, errors = io.StringIO(), io.StringIO()
    LogHandler(AccessLog(out, "combined", errors)).take_over(logger)
    logger.warning("eblog: careful")
    assert (before.getvalue(), out.getvalue(), errors.getvalue()) == ("", "", "eblog: careful\n")
