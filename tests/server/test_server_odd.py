"""Odd requests, sent byte for byte to the real server.

Always 400, 404 or 431: never a 500 or a file outside the site.
"""

import re

import pytest

from testing.server_process import RunningServer
from testing.server_sample import SampleSite

ENDING = b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    assert match, answer[:200]
    return int(match.group(1))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (b"/%2e%2e/%2e%2e/etc/passwd", 404),
        (b"/../../etc/passwd", 404),
        (b"/static/..%2f..%2f..%2fetc%2fpasswd", 404),
        (b"/%2fetc%2fpasswd", 404),
        (b"/hello/%2e%2e", 404),
        (b"/.%2e/hello", 404),
        (b"//hello", 404),
        (b"//evil.example/", 404),  # not an open redirect
        (b"///hello/", 404),
        (b"/hello%2f", 301),  # decoded like nginx does: the same as /hello/
        (b"/%00", 400),
        (b"/hello%00.html", 400),
        (b"/hello%0d%0aSet-Cookie:%20x=1", 400),
        (b"/%ff%fe", 400),
        (b"/%c3%28", 400),
        (b"/\xff\xfe", 400),
        (b"/" + b"a" * 100_000, 414),  # past the 8 KB request line, as nginx
        (b"/" + b"a" * 4000, 404),
        (b"*", 400),  # asterisk-form is for OPTIONS only (RFC 9112 3.2.4)
        (b"hello", 400),
        (b"http://127.0.0.1/hello", 200),  # absolute-form: the path is what counts
        (b"http://evil.example/hello/", 301),
    ],
)
def test_odd_targets(server: RunningServer, target: bytes, expected: int) -> None:
    answer = server.raw(b"GET " + target + ENDING)
    assert status_of(answer) == expected
    assert b"root:" not in answer


def test_absolute_form_redirect_stays_on_this_site(server: RunningServer) -> None:
    answer = server.raw(b"GET http://evil.example/hello/" + ENDING)
    assert b"\r\nlocation: /hello\r\n" in answer


def test_raw_nul_and_garbage(server: RunningServer) -> None:
    assert status_of(server.raw(b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n")) == 400
    assert status_of(server.raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")) == 400  # a TLS hello
    assert status_of(server.raw(b"BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n")) == 400


def test_huge_and_repeated_headers(server: RunningServer, site: SampleSite) -> None:
    big = server.raw(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\nConnection: close\r\n\r\n")
    assert status_of(big) == 431
    many = server.raw(b"GET /hello HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 500 + b"Connection: close\r\n\r\n")
    assert status_of(many) == 431
    some = server.raw(b"GET /hello HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 50 + b"Connection: close\r\n\r\n")
    assert status_of(some) == 200
    # a list field given twice counts as one list
    twice = server.raw(
        b"GET /hello HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    assert status_of(twice) == 200 and b"\r\ncontent-encoding: gzip\r\n" in twice
    # a single-valued field given twice is invalid and ignored
    ranges = server.raw(
        b"GET /hello HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\nConnection: close\r\n\r\n"
    )
    assert status_of(ranges) == 200
    assert ranges.endswith(site.files["hello.html"])


def test_still_healthy_and_no_tracebacks_after_all_that(server: RunningServer) -> None:
    assert status_of(server.raw(b"GET /healthz" + ENDING)) == 200
    errors = server.stderr.read_text()
    assert "Traceback" not in errors and "Exception in ASGI application" not in errors
