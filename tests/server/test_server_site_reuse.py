"""A site built with ``previous`` (what the preview swaps in after an edit) answers as one built from scratch.

Also ``make_asset``, which the zip loader and the preview share: gzip only when smaller.
"""

import gzip
import zlib

import pytest

from server.app import EblogApp
from server.assets import Asset, make_asset
from server.site import Site

PAGE = b"<!doctype html><title>x</title>" + b"<p>words words words</p>" * 40
POLICY = "/*\n  Content-Security-Policy: default-src 'none'; script-src 'self'\n"


def deflated(body: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def asset(name: str, body: bytes) -> Asset:
    return make_asset(name, body, deflated(body), zlib.crc32(body))


def scope(path: str, *headers: tuple[bytes, bytes]) -> dict[str, object]:
    return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "headers": list(headers)}


REQUESTS = [
    ("/", ()),
    ("/a", ()),
    ("/a", ((b"accept-encoding", b"gzip"),)),
    ("/a.html", ()),
    ("/b", ()),
    ("/c", ()),
    ("/static/s.css", ()),
    ("/gone", ()),
    ("/old", ()),
]


def answers(site: Site) -> list[tuple[int, bytes, bytes]]:
    """Every request's status, wire headers and body: what a client would see."""
    seen = []
    for path, headers in REQUESTS:
        status, fields, body, _ = site.answer(scope(path, *headers))
        seen.append((status, site.wire(fields), body))
    return seen


def first_site() -> tuple[dict[str, Asset], Site]:
    bodies = {
        "index.html": PAGE,
        "a.html": PAGE + b"a",
        "b.html": PAGE + b"b",
        "static/s.css": b"body{}",
        "gone.html": PAGE,
        "_redirects": b"/old /b 301\n",
    }
    files = {name: asset(name, body) for name, body in bodies.items()}
    return files, Site(files, "c1")


def test_a_changed_added_and_removed_file_answer_as_in_a_fresh_site() -> None:
    files, before = first_site()
    after = dict(files)
    after["a.html"] = asset("a.html", PAGE + b"a, edited")
    after["c.html"] = asset("c.html", PAGE + b"c")
    del after["gone.html"]
    lent = Site(after, "c1", previous=before)
    fresh = Site(after, "c1")
    assert answers(lent) == answers(fresh)
    assert lent.answer(scope("/a"))[2].endswith(b"a, edited")
    assert lent.answer(scope("/gone"))[0] == 404
    assert lent.answer(scope("/c"))[0] == 200


def test_unchanged_files_are_lent_not_built_again() -> None:
    files, before = first_site()
    after = {**files, "a.html": asset("a.html", PAGE + b"a, edited")}
    lent = Site(after, "c1", previous=before)
    assert lent.routes["/b"] is before.routes["/b"]
    assert lent.routes["/a"] is not before.routes["/a"]
    headers = lent.routes["/b"].identity.ok
    assert lent.encoded[id(headers)] is before.encoded[id(headers)]


def test_a_new_policy_lends_nothing_and_every_answer_carries_it() -> None:
    files, before = first_site()
    after = {**files, "_headers": asset("_headers", POLICY.encode())}
    lent = Site(after, "c1", previous=before)
    assert lent.routes["/b"] is not before.routes["/b"]
    assert answers(lent) == answers(Site(after, "c1"))
    status, fields, _, _ = lent.answer(scope("/b"))
    assert status == 200
    assert b"content-security-policy: default-src 'none'; script-src 'self'\r\n" in lent.wire(fields)


def test_a_new_redirect_rule_is_followed() -> None:
    files, before = first_site()
    after = {**files, "_redirects": asset("_redirects", b"/old /a 301\n")}
    lent = Site(after, "c1", previous=before)
    status, fields, _, _ = lent.answer(scope("/old"))
    assert (status, dict(fields)[b"location"]) == (301, b"/a")


@pytest.mark.parametrize(("body", "gzipped"), [(PAGE, True), (b"tiny", False)])
def test_make_asset_keeps_gzip_only_when_it_is_smaller(body: bytes, gzipped: bool) -> None:
    made = make_asset("x.html", body, deflated(body), zlib.crc32(body))
    assert (made.gzip is not None) == gzipped
    if made.gzip is not None:
        assert gzip.decompress(made.gzip) == body
    assert made.media_type == "text/html; charset=utf-8"
    assert made.last_modified is None


def test_the_app_answers_from_the_site_it_was_given_last() -> None:
    files, before = first_site()
    app = EblogApp(before, "test", None)
    after = Site({**files, "a.html": asset("a.html", PAGE + b"a, edited")}, "c1", previous=before)
    app.replace_site(after)
    answer = app.answer(scope("/a"))
    assert answer is not None and answer[2].endswith(b"a, edited")
