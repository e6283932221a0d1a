"""Header parsing on its own: Accept-Encoding q-values, ETag lists, HTTP dates, byte ranges."""

import pytest

from server.negotiation import UNSATISFIABLE, byte_range, etag_listed, gzip_preferred, parse_http_date


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        (b"gzip", True),
        (b"gzip, deflate, br", True),
        (b"GZIP", True),
        (b"x-gzip", True),
        (b"br", False),
        (b"", False),
        (b"gzip;q=0", False),
        (b"gzip; q=0.000", False),
        (b"gzip;q=0.001", True),
        (b"*", True),
        (b"*;q=0", False),
        (b"*, gzip;q=0", False),
        (b"gzip;q=0.5, identity;q=1", False),  # identity wanted more
        (b"gzip;q=0.5, identity;q=0.5", True),  # a tie goes to the smaller body
        (b"gzip;q=0.5", True),  # unlisted identity ranks last
        (b"identity;q=0, gzip;q=0.1", True),
        (b"gzip;q=2", False),  # not a valid qvalue: treated as not acceptable
        (b"gzip;q=abc", False),
        (b"gzip;q=nan", False),
        (b"deflate;q=1, *;q=0.3", True),
        (b"*;q=0.3, gzip;q=0.1", False),  # identity, through *, wanted more
        (b",, gzip ;q=1 ,", True),
    ],
)
def test_gzip_preferred(header: bytes, gzip: bool) -> None:
    assert gzip_preferred(header) is gzip


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (b'"abc"', True),
        (b'W/"abc"', True),
        (b'"x", W/"abc"', True),
        (b'"x" ,"abc" ', True),
        (b"*", True),
        (b'"abcd"', False),
        (b"abc", False),
        (b'"x", "y"', False),
        (b"", False),
    ],
)
def test_etag_listed(header: bytes, matches: bool) -> None:
    assert etag_listed(header, b'"abc"') is matches


def test_strong_comparison_for_if_match() -> None:
    assert etag_listed(b'"abc"', b'"abc"', strong=True)
    assert etag_listed(b"*", b'"abc"', strong=True)
    assert not etag_listed(b'W/"abc"', b'"abc"', strong=True)


@pytest.mark.parametrize(
    "text",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_all_three_http_date_forms(text: str) -> None:
    assert parse_http_date(text.encode()) == 784111777


@pytest.mark.parametrize("text", [b"", b"yesterday", b"Sun, 06 Nov 99999 08:49:37 GMT", b"\xff\xfe", b"0" * 5000])
def test_bad_dates_are_none(text: bytes) -> None:
    assert parse_http_date(text) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"bytes=0-9", (0, 9)),
        (b"bytes=10-", (10, 99)),
        (b"bytes=-10", (90, 99)),
        (b"bytes=-1000", (0, 99)),
        (b"bytes=90-1000", (90, 99)),
        (b"BYTES=0-0", (0, 0)),
        (b"bytes=0-" + b"9" * 5000, (0, 99)),  # absurd end: clamped, and no int() overflow
        (b"bytes=100-", UNSATISFIABLE),
        (b"bytes=" + b"9" * 5000 + b"-", UNSATISFIABLE),
        (b"bytes=-0", UNSATISFIABLE),
        (b"bytes=9-3", None),  # invalid: ignored
        (b"bytes=a-b", None),
        (b"bytes=0-1,5-6", None),  # several ranges: the whole body instead
        (b"items=0-9", None),
        (b"bytes 0-9", None),
        (b"bytes=", None),
        (b"bytes=-", None),
        (b"bytes=+1-2", None),
    ],
)
def test_byte_range(header: bytes, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


def test_no_range_of_an_empty_body_is_satisfiable() -> None:
    assert byte_range(b"bytes=-5", 0) == UNSATISFIABLE
    assert byte_range(b"bytes=0-", 0) == UNSATISFIABLE
