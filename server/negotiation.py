"""Reading the request headers that choose a response (RFC 9110 sections 12, 13, 14).

Every function takes raw header bytes and never raises: a malformed value is
treated the way RFC 9110 tells a recipient to treat it (ignored), so odd input
can't turn into a 500.
"""

import re
from datetime import datetime
from email.utils import mktime_tz, parsedate_tz

QVALUE = re.compile(rb"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")
BIG = 10**18  # larger than any body; stands in for absurdly long digit strings
UNSATISFIABLE = (-1, -1)

_gzip_choices: dict[bytes, bool] = {}  # clients send few distinct Accept-Encoding values


def qvalue(params: bytes) -> float:
    """The q parameter of one list member; a malformed q counts as 0 (not acceptable)."""
    for param in params.split(b";"):
        name, _, value = param.partition(b"=")
        if name.strip().lower() == b"q":
            value = value.strip()
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0


def gzip_preferred(accept_encoding: bytes) -> bool:
    """True when gzip is acceptable and at least as wanted as identity.

    ``*`` stands for every coding not listed.  Identity needs no listing to be
    acceptable (RFC 9110 12.5.3), but unlisted it only ranks last: a client
    that names gzip alone, whatever its q, gets gzip.  Ties go to gzip, the
    smaller body.  When nothing listed is acceptable the answer is identity,
    as 12.5.3 recommends over a 406.
    """
    choice = _gzip_choices.get(accept_encoding)
    if choice is None:
        gzip = identity = star = None
        for member in accept_encoding.split(b","):
            coding, _, params = member.partition(b";")
            coding = coding.strip().lower()
            if coding in (b"gzip", b"x-gzip"):
                gzip = qvalue(params)
            elif coding == b"identity":
                identity = qvalue(params)
            elif coding == b"*":
                star = qvalue(params)
        gzip = gzip if gzip is not None else (star or 0.0)
        identity = identity if identity is not None else (star or 0.0)
        choice = gzip > 0 and gzip >= identity
        if len(_gzip_choices) >= 1024:
            _gzip_choices.clear()
        _gzip_choices[accept_encoding] = choice
    return choice


def etag_listed(field: bytes, etag: bytes, strong: bool = False) -> bool:
    """Is ``etag`` in an If-None-Match (weak comparison) or If-Match (strong) list, or is the list ``*``?"""
    for raw_member in field.split(b","):
        member = raw_member.strip()
        if member == b"*" or (member if strong else member.removeprefix(b"W/")) == etag:
            return True
    return False


def parse_http_date(value: bytes) -> int | None:
    """Seconds since the epoch for any of the three HTTP-date forms, else None (``32 Nov`` too: not a date)."""
    try:
        parts = parsedate_tz(value.decode("latin-1"))
        if parts is None:
            return None
        datetime(*parts[:6])  # parsedate_tz takes any day and hour; a calendar date or ValueError
        return mktime_tz(parts)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def number(digits: bytes) -> int | None:
    if not digits.isdigit():
        return None
    return BIG if len(digits) > 18 else int(digits)


def byte_range(value: bytes, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as inclusive (first, last) clamped to ``size``.

    Returns None to ignore the header (bad syntax, another unit, or several
    ranges: RFC 9110 14.2 lets a server send the whole body instead), and
    UNSATISFIABLE when no byte of the body is selected (416).
    """
    unit, equals, spec = value.partition(b"=")
    if not equals or unit.strip().lower() != b"bytes" or b"," in spec:
        return None
    first, dash, last = spec.strip().partition(b"-")
    if not dash:
        return None
    if not first:
        suffix = number(last)
        if suffix is None:
            return None
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return (max(size - suffix, 0), size - 1)
    start = number(first)
    end = number(last) if last else BIG
    if start is None or end is None or end < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return (start, min(end, size - 1))
