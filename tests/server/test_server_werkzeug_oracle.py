"""Our hand-written conditional requests, dates and ranges against werkzeug's parsers, for the same inputs.

werkzeug (Flask's HTTP layer) parses If-None-Match, If-Match, HTTP dates, Range and If-Range,
and decides "modified or not"; the test puts its verdicts in RFC 9110 13.2.2's order (If-Match,
If-Unmodified-Since, If-None-Match / If-Modified-Since, then Range) and expects our server's
status, and for a 206 the bytes, to be what they imply.  Where werkzeug departs from RFC 9110
the input is left out, and named here:

- an If-Range date later than Last-Modified: werkzeug sends the range, RFC 9110 13.1.5 asks
  for an exact match (we send the whole body);
- an If-Range of a weak ETag: werkzeug drops the ``W/`` and sends the range, RFC 9110 13.1.5
  says a weak tag never matches (we send the whole body);
- ``bytes=-0``: werkzeug finds no range at all, RFC 9110 14.1.1 calls it unsatisfiable (our 416);
- a suffix range longer than the body (``bytes=-999999999``): werkzeug answers 416, RFC 9110
  14.1.3 sends the whole body as the range (our 206);
- werkzeug's own Response.make_conditional answers 416 to a malformed or multi-range Range and
  evaluates Range before If-None-Match; RFC 9110 lets a server ignore the first two (we send 200)
  and puts preconditions first, so only its parsers and ``is_resource_modified`` are used.
"""

import datetime as dt
from email.utils import format_datetime

import pytest
from starlette.testclient import TestClient
from werkzeug.http import is_resource_modified, parse_date, parse_etags, parse_if_range_header, parse_range_header

from server.negotiation import parse_http_date

Validators = dict[str, str]  # etag, last-modified, and the identity body's length


def validators(client: TestClient, encoding: str) -> Validators:
    answer = client.get("/hello", headers={"accept-encoding": encoding})
    return {"etag": answer.headers["etag"], "last-modified": answer.headers["last-modified"]}


def filled(value: str, tags: dict[str, str], last_modified: dt.datetime) -> str:
    """A header value with its placeholders (TAG, GZTAG, LM, LM-1d, LM+1d, LM-850, LM-asctime) filled in."""
    day = dt.timedelta(days=1)
    forms = {
        "LM-850": last_modified.strftime("%A, %d-%b-%y %H:%M:%S GMT"),  # strftime: the C locale of the test run
        "LM-asctime": last_modified.strftime("%a %b %e %H:%M:%S %Y"),
        "LM-1d": format_datetime(last_modified - day, usegmt=True),
        "LM+1d": format_datetime(last_modified + day, usegmt=True),
        "LM": format_datetime(last_modified, usegmt=True),
        "GZTAG": tags["gzip"],
        "TAG": tags["identity"],
    }
    for placeholder, text in forms.items():
        value = value.replace(placeholder, text)
    return value


def werkzeug_status(headers: dict[str, str], etag: str, last_modified: dt.datetime, size: int) -> tuple[int, str]:
    """Status (and Content-Range for 206) from werkzeug's evaluation of each header, in RFC 9110's order."""
    bare_etag = etag.strip('"')
    if "if-match" in headers:
        tags = parse_etags(headers["if-match"])
        if not (tags.star_tag or tags.is_strong(bare_etag)):
            return 412, ""
    elif "if-unmodified-since" in headers:
        since = parse_date(headers["if-unmodified-since"])
        if since is not None and last_modified > since:
            return 412, ""
    cache_fields = {key: headers[key] for key in ("if-none-match", "if-modified-since") if key in headers}
    environ = {
        "REQUEST_METHOD": "GET",
        **{"HTTP_" + key.upper().replace("-", "_"): v for key, v in cache_fields.items()},
    }
    if cache_fields and not is_resource_modified(environ, etag, last_modified=last_modified):
        return 304, ""
    if "range" not in headers:
        return 200, ""
    if "if-range" in headers:
        condition = parse_if_range_header(headers["if-range"])
        range_environ = {"HTTP_RANGE": headers["range"], "HTTP_IF_RANGE": headers["if-range"]}
        if condition.etag is None and condition.date is None:
            return 200, ""
        if is_resource_modified(range_environ, etag, last_modified=last_modified, ignore_if_range=False):
            return 200, ""
    parsed = parse_range_header(headers["range"])
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) > 1:
        return 200, ""  # ignored: malformed, another unit, or several ranges (we send no multipart answers)
    span = parsed.range_for_length(size)
    if span is None:
        return 416, f"bytes */{size}"
    return 206, f"bytes {span[0]}-{span[1] - 1}/{size}"


CONDITIONAL = [
    {"if-none-match": "TAG"},
    {"if-none-match": "W/TAG"},
    {"if-none-match": '"other"'},
    {"if-none-match": '"other", TAG'},
    {"if-none-match": '"a",TAG,"b"'},
    {"if-none-match": "*"},
    {"if-none-match": "GZTAG"},
    {"if-modified-since": "LM"},
    {"if-modified-since": "LM+1d"},
    {"if-modified-since": "LM-1d"},
    {"if-modified-since": "LM-850"},
    {"if-modified-since": "LM-asctime"},
    {"if-modified-since": "yesterday"},
    {"if-none-match": '"other"', "if-modified-since": "LM+1d"},  # If-None-Match decides alone
    {"if-none-match": "TAG", "if-modified-since": "LM-1d"},
    {"if-match": "TAG"},
    {"if-match": "*"},
    {"if-match": '"other"'},
    {"if-match": "W/TAG"},  # If-Match compares strongly
    {"if-match": '"other", TAG'},
    {"if-unmodified-since": "LM"},
    {"if-unmodified-since": "LM-1d"},
    {"if-unmodified-since": "LM+1d"},
    {"if-unmodified-since": "not a date"},
    {"if-match": '"other"', "if-none-match": "TAG"},  # 412 before 304
    {"if-match": "TAG", "if-none-match": "TAG"},
    {"if-unmodified-since": "LM+1d", "if-modified-since": "LM"},
]
RANGES = [
    {"range": "bytes=0-99"},
    {"range": "bytes=0-0"},
    {"range": "bytes=100-"},
    {"range": "bytes=-10"},
    {"range": "bytes=0-999999999"},
    {"range": "bytes=999999999-"},
    {"range": "bytes=5-1"},
    {"range": "bytes=a-b"},
    {"range": "items=0-1"},
    {"range": "bytes=0-1,5-6"},
    {"range": "bytes=0-99", "if-range": "TAG"},
    {"range": "bytes=0-99", "if-range": '"other"'},
    {"range": "bytes=0-99", "if-range": "LM"},
    {"range": "bytes=0-99", "if-range": "LM-1d"},
    {"range": "bytes=0-99", "if-none-match": "TAG"},  # 304 before the range
    {"range": "bytes=0-99", "if-none-match": '"other"'},
    {"range": "bytes=0-99", "if-match": '"other"'},
]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize("fields", CONDITIONAL, ids=repr)
def test_conditional_requests_agree_with_werkzeug(client: TestClient, fields: dict[str, str], encoding: str) -> None:
    tags = {name: validators(client, name)["etag"] for name in ("identity", "gzip")}
    last_modified = parse_date(validators(client, encoding)["last-modified"])
    assert last_modified is not None
    headers = {name: filled(value, tags, last_modified) for name, value in fields.items()}
    expected, _ = werkzeug_status(headers, tags[encoding], last_modified, 0)
    answer = client.get("/hello", headers={**headers, "accept-encoding": encoding})
    assert answer.status_code == expected, headers


@pytest.mark.parametrize("fields", RANGES, ids=repr)
def test_ranges_agree_with_werkzeug(client: TestClient, fields: dict[str, str]) -> None:
    tags = {name: validators(client, name)["etag"] for name in ("identity", "gzip")}
    whole = client.get("/hello", headers={"accept-encoding": "identity"})
    last_modified = parse_date(whole.headers["last-modified"])
    assert last_modified is not None
    headers = {name: filled(value, tags, last_modified) for name, value in fields.items()}
    expected, content_range = werkzeug_status(headers, tags["identity"], last_modified, len(whole.content))
    answer = client.get("/hello", headers={**headers, "accept-encoding": "identity"})
    assert (answer.status_code, answer.headers.get("content-range", "")) == (expected, content_range), headers
    if expected == 206:
        first, last = (int(n) for n in content_range.split()[1].split("/")[0].split("-"))
        assert answer.content == whole.content[first : last + 1]


@pytest.mark.parametrize(
    "text",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Tue, 14 Nov 2023 22:13:20 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "sun, 06 nov 1994 08:49:37 gmt",
        "Sun, 06 Nov 1994 08:49:37 +0200",
        "not a date",
        "",
        "Sun, 32 Nov 1994 08:49:37 GMT",
    ],
)
def test_http_dates_parse_as_werkzeug_parses_them(text: str) -> None:
    theirs = parse_date(text)
    assert parse_http_date(text.encode()) == (None if theirs is None else int(theirs.timestamp()))
