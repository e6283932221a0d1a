"""Every answer of server/site.py, whole: status, each header in order, body, and the log's encoding.

The rest of the suite checks these answers through a running server or a site a fixture built
before, which mutation testing could not tie to the code (see bench/mutation-survivors.md). Here
a Site is made from assets written in the test and asked directly, and each expected answer is
written out in full, so any changed name, value, status or body fails.
"""

import pytest

from server.assets import Asset, SiteError
from server.site import Site, bad_path, encode_headers, selecting_fields

COMMIT = "0123abc"
CSP = (
    b"default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COMMON = (
    (b"x-eblog-commit", b"0123abc"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)
PAGE_CACHE = b"public, max-age=60, s-maxage=45, stale-while-revalidate=45"
DAY = b"public, max-age=86400"
LAST_MODIFIED = "Tue, 03 Nov 2026 10:00:00 GMT"
MTIME = 1793700000  # LAST_MODIFIED in seconds
HTML = "text/html; charset=utf-8"
NO_STORE = (b"cache-control", b"no-store")
PLAIN = (b"content-type", b"text/plain; charset=utf-8")
REDIRECTS = "/old /post/ 301\n/moved /post/ 302\n/kept /post/ 308\n/fixed /post/?from=old 301\n"


def page(name: str, body: bytes, gzip: bytes | None = None, gzip_etag: str | None = '"g1"') -> Asset:
    return Asset(name, HTML, body, gzip, '"i1"', gzip_etag if gzip else None, LAST_MODIFIED, MTIME)


def text(name: str, body: bytes) -> Asset:
    return Asset(name, "text/plain; charset=utf-8", body, None, '"t"', None, None, None)


def site_assets(more: dict[str, Asset] | None = None, *, not_found: bool = True) -> dict[str, Asset]:
    return {
        "post/index.html": page("post/index.html", b"<p>post</p>", gzip=b"GZ"),
        "plain.html": page("plain.html", b"0123456789"),
        "_redirects": text("_redirects", REDIRECTS.encode()),
        **({"404.html": page("404.html", b"<p>lost</p>", gzip=b"GZ404")} if not_found else {}),
        **(more or {}),
    }


def make_site(more: dict[str, Asset] | None = None, *, not_found: bool = True) -> Site:
    return Site(site_assets(more, not_found=not_found), COMMIT, cdn_max_age=45)


def request(path: str, *headers: tuple[bytes, bytes], method: str = "GET", **scope: object) -> dict[str, object]:
    return {"method": method, "path": path, "headers": list(headers), **scope}


GZIP = (b"accept-encoding", b"gzip")


def test_a_page_in_each_encoding() -> None:
    site = make_site()
    validators = (
        (b"last-modified", LAST_MODIFIED.encode()),
        (b"cache-control", PAGE_CACHE),
        (b"vary", b"Accept-Encoding"),
    )
    assert site.answer(request("/post/")) == (
        200,
        ((b"content-type", HTML.encode()), (b"content-length", b"11"), (b"etag", b'"i1"'), (b"accept-ranges", b"bytes"),
         *validators, *COMMON),
        b"<p>post</p>",
        "identity",
    )  # fmt: skip
    assert site.answer(request("/post/", GZIP)) == (
        200,
        ((b"content-type", HTML.encode()), (b"content-length", b"2"), (b"etag", b'"g1"'),
         (b"content-encoding", b"gzip"), (b"accept-ranges", b"bytes"), *validators, *COMMON),
        b"GZ",
        "gzip",
    )  # fmt: skip
    assert site.answer(request("/post/", GZIP, method="HEAD"))[2] == b""


def test_a_file_without_gzip_has_no_vary_and_a_gzip_without_its_etag_is_not_served() -> None:
    site = make_site({"odd.html": page("odd.html", b"odd", gzip=b"GZ", gzip_etag=None)})
    status, headers, _, encoding = site.answer(request("/plain", GZIP))
    assert (status, encoding, b"vary" in dict(headers)) == (200, "identity", False)
    assert site.answer(request("/odd", GZIP))[2:] == (b"odd", "identity")


def test_not_modified_carries_the_etag_cache_control_vary_and_security_headers_only() -> None:
    site = make_site()
    revalidated = ((b"cache-control", PAGE_CACHE), (b"vary", b"Accept-Encoding"), *COMMON)
    assert site.answer(request("/post/", (b"if-none-match", b'"i1"'))) == (
        304, ((b"etag", b'"i1"'), *revalidated), b"", "-"
    )  # fmt: skip
    assert site.answer(request("/post/", GZIP, (b"if-none-match", b'"g1"'))) == (
        304, ((b"etag", b'"g1"'), *revalidated), b"", "-"
    )  # fmt: skip
    assert site.answer(request("/post/", (b"if-modified-since", LAST_MODIFIED.encode()))) == (
        304, ((b"etag", b'"i1"'), *revalidated), b"", "-"
    )  # fmt: skip
    assert site.answer(request("/post/", (b"if-modified-since", b"Tue, 03 Nov 2026 11:00:00 GMT")))[0] == 304
    assert site.answer(request("/post/", (b"if-modified-since", b"Tue, 03 Nov 2026 09:00:00 GMT")))[0] == 200


def test_failed_preconditions() -> None:
    site = make_site()
    failed = (412, (PLAIN, (b"content-length", b"0"), NO_STORE, *COMMON), b"", "-")
    assert site.answer(request("/post/", (b"if-match", b'"other"'))) == failed
    assert site.answer(request("/post/", (b"if-unmodified-since", b"Tue, 03 Nov 2026 09:00:00 GMT"))) == failed


def test_ranges() -> None:
    partial = ((b"content-type", HTML.encode()), (b"etag", b'"i1"'), (b"accept-ranges", b"bytes"),
               (b"last-modified", LAST_MODIFIED.encode()), (b"cache-control", DAY))  # fmt: skip
    site = make_site({"data.bin": Asset("data.bin", HTML, b"0123456789", None, '"i1"', None, LAST_MODIFIED, MTIME)})
    assert site.answer(request("/data.bin", (b"range", b"bytes=2-4"))) == (
        206,
        ((b"content-range", b"bytes 2-4/10"), (b"content-length", b"3"), *partial, *COMMON),
        b"234",
        "identity",
    )
    assert site.answer(request("/data.bin", (b"range", b"bytes=20-30"))) == (
        416,
        ((b"content-range", b"bytes */10"), (b"content-length", b"0"), *partial, *COMMON),
        b"",
        "-",
    )
    wire = site.wire(site.answer(request("/data.bin", (b"range", b"bytes=0-0")))[1])
    assert wire.startswith(b"content-range: bytes 0-0/10\r\ncontent-length: 1\r\n")


def test_redirects_and_their_cache() -> None:
    site = make_site()

    def expected(status: int, location: bytes, cache: bytes) -> tuple[int, tuple[tuple[bytes, bytes], ...], bytes, str]:
        return (
            status,
            ((b"location", location), (b"content-length", b"0"), (b"cache-control", cache), *COMMON),
            b"",
            "-",
        )

    assert site.answer(request("/old")) == expected(301, b"/post/", DAY)
    assert site.answer(request("/kept")) == expected(308, b"/post/", DAY)
    assert site.answer(request("/moved")) == expected(302, b"/post/", b"no-cache")
    assert site.answer(request("/old", query_string=b"a=1")) == expected(301, b"/post/?a=1", DAY)
    assert site.answer(request("/fixed", query_string=b"a=1")) == expected(301, b"/post/?from=old", DAY)


def test_not_found_with_and_without_the_sites_404_page() -> None:
    headers = ((b"cache-control", b"no-cache"), (b"vary", b"Accept-Encoding"), *COMMON)
    site = make_site()
    assert site.answer(request("/nowhere")) == (
        404, ((b"content-type", HTML.encode()), (b"content-length", b"11"), *headers), b"<p>lost</p>", "identity"
    )  # fmt: skip
    assert site.answer(request("/nowhere", GZIP)) == (
        404,
        ((b"content-type", HTML.encode()), (b"content-length", b"5"), (b"content-encoding", b"gzip"), *headers),
        b"GZ404",
        "gzip",
    )
    assert site.answer(request("/nowhere", method="HEAD")) == (
        404,
        site.answer(request("/nowhere"))[1],
        b"",
        "identity",
    )
    bare = make_site(not_found=False)
    assert bare.answer(request("/nowhere", GZIP)) == (
        404,
        (PLAIN, (b"content-length", b"10"), (b"cache-control", b"no-cache"), *COMMON),
        b"Not Found\n",
        "identity",
    )


def test_refusals() -> None:
    site = make_site()
    assert site.answer(request("/post/", method="POST")) == (
        405,
        (PLAIN, (b"content-length", b"0"), (b"allow", b"GET, HEAD"), NO_STORE, *COMMON),
        b"",
        "-",
    )
    too_many = [(b"x-%d" % number, b"1") for number in range(101)]
    assert site.answer(request("/post/", *too_many)) == (
        431,
        (PLAIN, (b"content-length", b"0"), NO_STORE, *COMMON, (b"connection", b"close")),
        b"",
        "-",
    )
    assert site.answer(request("/post/", *too_many[:100]))[0] == 200
    assert site.answer(request("/a%00", raw_path=b"/a%00")) == (
        400, (PLAIN, (b"content-length", b"0"), NO_STORE, *COMMON), b"", "-"
    )  # fmt: skip
    assert site.refusal == (PLAIN, NO_STORE, *COMMON)


def test_the_raw_path_decides_a_bad_path_and_the_decoded_one_stands_in_without_it() -> None:
    site = make_site()
    assert site.answer(request("/a\x00", raw_path=b"/a%00"))[0] == 400  # the path alone shows no escape
    assert site.answer(request("/a%00"))[0] == 400  # no raw_path: the path's own bytes
    assert site.answer(request("/caf\udce9"))[0] == 404  # a lone surrogate (undecodable byte) is no error


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        (b"/plain", False),
        (b"/a%20b", False),  # a space is allowed
        (b"/a%41", False),
        (b"/caf%C3%A9", False),
        (b"/a%00", True),
        (b"/a%1F", True),
        (b"/a%7F", True),  # DEL
        (b"/a%80", True),  # not UTF-8
        (b"/a%C3", True),
    ],
)
def test_bad_path(raw: bytes, bad: bool) -> None:
    assert bad_path(raw) is bad


def test_selecting_fields_join_lists_and_void_repeated_single_fields() -> None:
    fields = selecting_fields(
        [
            (b"accept-encoding", b"br"),
            (b"accept-encoding", b"gzip"),
            (b"if-match", b'"a"'),
            (b"if-none-match", b'"b"'),
            (b"if-none-match", b'"c"'),
            (b"if-unmodified-since", b"x"),
            (b"if-unmodified-since", b"y"),
            (b"range", b"bytes=0-1"),
            (b"other", b"z"),
        ]
    )
    assert fields == [b"br,gzip", b'"a"', b'"b","c"', b"", None, b"bytes=0-1", None]


def test_every_header_name_is_lowercase() -> None:
    """ASGI hands response headers on with lowercase names, as HTTP/2 requires them; the server's
    own connection code matches names in lowercase too."""
    site = make_site({"data.bin": page("data.bin", b"0123456789")})
    asks = [
        request("/post/"), request("/post/", GZIP), request("/post/", (b"if-none-match", b'"i1"')),
        request("/data.bin", (b"range", b"bytes=1-2")), request("/data.bin", (b"range", b"bytes=50-")),
        request("/old"), request("/old", query_string=b"a=1"), request("/nowhere"), request("/nowhere", GZIP),
        request("/post/", (b"if-match", b'"x"')), request("/", method="PUT"), request("/a%00", raw_path=b"/a%00"),
    ]  # fmt: skip
    names = {name for ask in asks for name, _ in site.answer(ask)[1]} | {name for name, _ in site.refusal}
    assert names == {name.lower() for name in names}
    assert {b"vary", b"etag", b"content-range", b"last-modified", b"allow", b"location"} <= names


def test_prebuilt_header_sets_are_sent_as_encoded_once() -> None:
    site = make_site()
    for status_headers in (site.answer(request("/post/"))[1], site.answer(request("/old"))[1], site.not_allowed):
        sent = site.wire(status_headers)
        assert sent == encode_headers(status_headers)
        assert sent is site.wire(status_headers)  # the bytes made at start-up, not encoded again


def test_a_site_built_from_a_previous_one_reuses_its_unchanged_redirects() -> None:
    assets = site_assets()
    first = Site(assets, COMMIT, cdn_max_age=45)
    second = Site(
        {**assets, "_redirects": text("_redirects", REDIRECTS.encode() + b"/new /post/ 302\n")}, COMMIT, first, 45
    )
    assert second.redirect_headers["/old"] is first.redirect_headers["/old"]
    assert second.answer(request("/old")) == first.answer(request("/old"))
    assert second.answer(request("/new"))[0] == 302


def test_pages_take_the_cdn_max_age_given() -> None:
    headers = dict(make_site().answer(request("/post/"))[1])
    assert headers[b"cache-control"] == PAGE_CACHE


@pytest.mark.parametrize("name", ["_redirects", "_headers"])
def test_a_build_file_that_is_not_utf8_is_named_in_the_error(name: str) -> None:
    with pytest.raises(SiteError, match=rf"^{name}: not UTF-8 \(byte 1\)$"):
        make_site({name: text(name, b"/\xff")})
