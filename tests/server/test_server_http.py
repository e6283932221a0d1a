"""HTTP behaviour through Starlette's TestClient: negotiation, validators, ranges, URLs, headers."""

import gzip
import json
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

import server.app
from server.app import create_app
from server.assets import load_zip
from testing.server_sample import STYLESHEET, SampleSite, write_site, write_zip

# Written out here, not imported from the server: a weakened policy must fail this test.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE = "/hello"
PAGE_FILE = "hello.html"
IDENTITY = {"accept-encoding": "identity"}
GZIP = {"accept-encoding": "gzip, deflate, br"}


def fetch(client: TestClient, path: str, method: str = "GET", **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise gunzip it)."""
    with client.stream(method, path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_identity_body_is_the_file(client: TestClient, site: SampleSite) -> None:
    response, body = fetch(client, PAGE, **IDENTITY)
    assert response.status_code == 200
    assert body == site.files[PAGE_FILE]
    assert response.headers["content-length"] == str(len(body))
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["last-modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_gzip_body_is_the_precompressed_one(client: TestClient, site: SampleSite) -> None:
    response, body = fetch(client, PAGE, **GZIP)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(len(body))
    assert body == load_zip(site.zip)[0][PAGE_FILE].gzip
    assert gzip.decompress(body) == site.files[PAGE_FILE]
    assert response.headers["vary"] == "Accept-Encoding"
    identity, _ = fetch(client, PAGE, **IDENTITY)
    assert response.headers["etag"] != identity.headers["etag"]


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip;q=0", None), ("*", "gzip"), ("*;q=0, identity", None), ("br", None), ("gzip;q=0.5, identity;q=0.9", None)],
)
def test_accept_encoding_q_values(client: TestClient, accept: str, encoding: str | None) -> None:
    response, _ = fetch(client, PAGE, **{"accept-encoding": accept})
    assert response.headers.get("content-encoding") == encoding


def test_not_negotiable_files_have_no_vary(client: TestClient, site: SampleSite) -> None:
    for path in ("/static/logo.png", "/tiny.txt"):
        response, body = fetch(client, path, **GZIP)
        assert "vary" not in response.headers and "content-encoding" not in response.headers
        assert body == site.files[path[1:]]


def etag_of(client: TestClient, headers: dict[str, str]) -> str:
    return fetch(client, PAGE, **headers)[0].headers["etag"]


def test_if_none_match_gives_304_with_only_the_fields_rfc_9110_lets_it_carry(client: TestClient) -> None:
    """15.4.5: ETag, Cache-Control and Vary as the 200 would send them; no representation metadata."""
    tag = etag_of(client, GZIP)
    response, body = fetch(client, PAGE, **GZIP, **{"if-none-match": tag})
    assert response.status_code == 304 and body == b""
    assert sorted(response.headers) == [
        "cache-control",
        "content-security-policy",
        "etag",
        "referrer-policy",
        "vary",
        "x-content-type-options",
        "x-eblog-commit",
        "x-frame-options",
    ]
    assert response.headers["etag"] == tag
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "public, max-age=60, s-maxage=30, stale-while-revalidate=30"


@pytest.mark.parametrize("form", ["{tag}", "W/{tag}", '"other", {tag}', "*", ' "x" , W/{tag} '])
def test_if_none_match_weak_comparison_and_lists(client: TestClient, form: str) -> None:
    tag = etag_of(client, IDENTITY)
    response, _ = fetch(client, PAGE, **IDENTITY, **{"if-none-match": form.format(tag=tag)})
    assert response.status_code == 304


def test_if_none_match_compares_the_selected_encoding(client: TestClient) -> None:
    identity_tag = etag_of(client, IDENTITY)
    response, _ = fetch(client, PAGE, **GZIP, **{"if-none-match": identity_tag})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("Tue, 14 Nov 2023 22:13:20 GMT", 304),
        ("Wed, 15 Nov 2023 22:13:20 GMT", 304),
        ("Tuesday, 14-Nov-23 22:13:20 GMT", 304),
        ("Tue, 14 Nov 2023 22:13:19 GMT", 200),
        ("not a date", 200),
    ],
)
def test_if_modified_since(client: TestClient, since: str, status: int) -> None:
    response, _ = fetch(client, PAGE, **IDENTITY, **{"if-modified-since": since})
    assert response.status_code == status


def test_if_none_match_wins_over_if_modified_since(client: TestClient) -> None:
    headers = {"if-none-match": '"stale"', "if-modified-since": "Wed, 15 Nov 2023 22:13:20 GMT"}
    response, _ = fetch(client, PAGE, **IDENTITY, **headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"if-match": "{tag}"}, 200),
        ({"if-match": '"x", {tag}'}, 200),
        ({"if-match": "*"}, 200),
        ({"if-match": "W/{tag}"}, 412),  # If-Match compares strongly
        ({"if-match": '"other"'}, 412),
        ({"if-unmodified-since": "Tue, 14 Nov 2023 22:13:20 GMT"}, 200),
        ({"if-unmodified-since": "Mon, 13 Nov 2023 22:13:20 GMT"}, 412),
        ({"if-unmodified-since": "garbage"}, 200),
        ({"if-match": "{tag}", "if-unmodified-since": "Mon, 13 Nov 2023 22:13:20 GMT"}, 200),  # If-Match wins
        ({"if-match": '"other"', "if-none-match": "{tag}"}, 412),  # and comes before If-None-Match
    ],
)
def test_if_match_and_if_unmodified_since(client: TestClient, headers: dict[str, str], status: int) -> None:
    tag = etag_of(client, IDENTITY)
    response, body = fetch(client, PAGE, **IDENTITY, **{k: v.format(tag=tag) for k, v in headers.items()})
    assert response.status_code == status
    if status == 412:
        assert body == b""


def test_one_range_gives_206_of_the_identity_body(client: TestClient, site: SampleSite) -> None:
    data = site.files[PAGE_FILE]
    response, body = fetch(client, PAGE, **GZIP, range="bytes=100-199")
    assert response.status_code == 206
    assert body == data[100:200]
    assert response.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert response.headers["content-length"] == "100"
    assert "content-encoding" not in response.headers
    assert response.headers["etag"] == etag_of(client, IDENTITY)
    suffix, body = fetch(client, PAGE, range="bytes=-10")
    assert suffix.status_code == 206 and body == data[-10:]


def test_unsatisfiable_range_gives_416(client: TestClient, site: SampleSite) -> None:
    size = len(site.files[PAGE_FILE])
    response, body = fetch(client, PAGE, range=f"bytes={size}-")
    assert response.status_code == 416 and body == b""
    assert response.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    ("range_header", "method"),
    [("bytes=0-1,5-6", "GET"), ("bytes=5-1", "GET"), ("lines=1-2", "GET"), ("bytes=0-9", "HEAD")],
)
def test_ranges_ignored_give_the_whole_body(
    client: TestClient, site: SampleSite, range_header: str, method: str
) -> None:
    response, _ = fetch(client, PAGE, method, **IDENTITY, range=range_header)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(site.files[PAGE_FILE]))


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("{tag}", 206),
        ("W/{tag}", 200),
        ('"other"', 200),
        ("Tue, 14 Nov 2023 22:13:20 GMT", 206),
        ("Wed, 15 Nov 2023 22:13:20 GMT", 200),
    ],
)
def test_if_range(client: TestClient, if_range: str, status: int) -> None:
    tag = etag_of(client, IDENTITY)
    response, _ = fetch(client, PAGE, **IDENTITY, range="bytes=0-9", **{"if-range": if_range.format(tag=tag)})
    assert response.status_code == status


def test_not_modified_wins_over_range(client: TestClient) -> None:
    tag = etag_of(client, IDENTITY)
    response, _ = fetch(client, PAGE, **IDENTITY, range="bytes=0-9", **{"if-none-match": tag})
    assert response.status_code == 304


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/", "index.html"),
        ("/hello", "hello.html"),
        ("/tags/docker", "tags/docker.html"),
        (f"/{STYLESHEET}", STYLESHEET),
        ("/rss.xml", "rss.xml"),
        ("/feed.json", "feed.json"),
        ("/static/logo.png", "static/logo.png"),
    ],
)
def test_canonical_urls_serve_their_file(client: TestClient, site: SampleSite, path: str, file: str) -> None:
    response, body = fetch(client, path, **IDENTITY)
    assert response.status_code == 200 and body == site.files[file]


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/hello/", "/hello"),
        ("/hello.html", "/hello"),
        ("/index.html", "/"),
        ("/index", "/"),
        ("/tags/docker.html", "/tags/docker"),
        ("/tags/docker/", "/tags/docker"),
        ("/hello/?a=1&b=2", "/hello?a=1&b=2"),
    ],
)
def test_other_spellings_redirect_to_the_canonical_url(client: TestClient, path: str, location: str) -> None:
    response, body = fetch(client, path)
    assert response.status_code == 301 and body == b""
    assert response.headers["location"] == location
    assert fetch(client, location)[0].status_code == 200


@pytest.mark.parametrize(
    ("query", "location"),
    [
        (b"", b"/hello"),
        (b"a=1&b=%20x", b"/hello?a=1&b=%20x"),  # kept as sent
        (b"a=1\r\nSet-Cookie: x=1", b"/hello"),  # would break the header: dropped
        (b"a=\xff", b"/hello"),
        (b"a b", b"/hello"),
    ],
)
def test_a_redirect_keeps_a_safe_query_and_drops_any_other(client: TestClient, query: bytes, location: bytes) -> None:
    site = client.app.site  # type: ignore[attr-defined]
    scope = {"method": "GET", "path": "/hello/", "raw_path": b"/hello/", "query_string": query, "headers": []}
    status, headers, _, _ = site.answer(scope)
    assert status == 301 and dict(headers)[b"location"] == location


def test_no_redirect_leads_to_another_redirect(client: TestClient) -> None:
    site = client.app.site  # type: ignore[attr-defined]
    assert site.redirects
    for source, redirect in site.redirects.items():
        assert source not in site.routes and redirect.location in site.routes


@pytest.mark.parametrize(
    "path", ["/nope", "/404", "/404.html", "/hello.htm", "/static/", "/tags", "/hello//", "/hello.html/"]
)
def test_unknown_paths_get_the_site_404_page(client: TestClient, site: SampleSite, path: str) -> None:
    response, body = fetch(client, path, **IDENTITY)
    assert response.status_code == 404
    assert body == site.files["404.html"]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    zipped, body = fetch(client, path, **GZIP)
    assert zipped.status_code == 404 and gzip.decompress(body) == site.files["404.html"]


def test_plain_404_when_the_zip_has_no_404_page(tmp_path: Path) -> None:
    write_site(tmp_path / "site")
    (tmp_path / "site" / "404.html").unlink()
    write_zip(tmp_path / "site", tmp_path / "a.zip")
    with TestClient(create_app(tmp_path / "a.zip", access_log=False)) as client:
        response = client.get("/nope")
    assert response.status_code == 404 and response.text == "Not Found\n"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", [PAGE, "/nope", "/healthz"])
def test_other_methods_get_405_with_allow(client: TestClient, method: str, path: str) -> None:
    response, _ = fetch(client, path, method)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_healthz_reports_the_commit(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "commit": "unknown"}
    assert response.headers["x-eblog-commit"] == "unknown"
    assert response.headers["cache-control"] == "no-store"


def test_commit_comes_from_commit_txt(site: SampleSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "commit.txt").write_text("3f2a9c1b0d\n")
    monkeypatch.setattr(server.app, "files", lambda package: tmp_path)
    with TestClient(create_app(site.zip, access_log=False)) as client:
        assert client.get("/healthz").json()["commit"] == "3f2a9c1b0d"
        assert client.get("/nope").headers["x-eblog-commit"] == "3f2a9c1b0d"
    (tmp_path / "commit.txt").write_text("bad\r\nvalue")  # never let it break a header
    with TestClient(create_app(site.zip, access_log=False)) as client:
        assert client.get("/").headers["x-eblog-commit"] == "unknown"


@pytest.mark.parametrize(
    ("path", "cache"),
    [
        (PAGE, "public, max-age=60, s-maxage=30, stale-while-revalidate=30"),
        ("/", "public, max-age=60, s-maxage=30, stale-while-revalidate=30"),
        ("/rss.xml", "public, max-age=60, s-maxage=30, stale-while-revalidate=30"),
        (f"/{STYLESHEET}", "public, max-age=31536000, immutable"),
        ("/static/logo.png", "public, max-age=86400"),
        ("/nope", "no-cache"),
        ("/hello/", "public, max-age=86400"),
        ("/healthz", "no-store"),
    ],
)
def test_cache_control(client: TestClient, path: str, cache: str) -> None:
    assert fetch(client, path)[0].headers["cache-control"] == cache


EVERY_KIND = [
    ("GET", PAGE, {}),
    ("HEAD", PAGE, {}),
    ("GET", PAGE, {"range": "bytes=0-1"}),
    ("GET", PAGE, {"range": "bytes=999999-"}),
    ("GET", PAGE, {"if-modified-since": "Tue, 14 Nov 2023 22:13:20 GMT"}),
    ("GET", PAGE, {"if-match": '"other"'}),
    ("GET", "/hello/", {}),
    ("GET", "/nope", {}),
    ("POST", PAGE, {}),
    ("GET", "/healthz", {}),
    ("DELETE", "/healthz", {}),
    ("GET", "/%00", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), EVERY_KIND)
def test_security_and_commit_headers_on_every_response(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response, body = fetch(client, path, method, **headers)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-eblog-commit"] == "unknown"
    if "content-length" in response.headers and method != "HEAD":
        assert int(response.headers["content-length"]) == len(body)
    assert [k for k, _ in response.headers.multi_items()].count("x-eblog-commit") == 1


def test_healthz_body_is_json(client: TestClient) -> None:
    _response, body = fetch(client, "/healthz")
    assert json.loads(body)["status"] == "ok"


def test_placeholder_zip_date_is_not_a_last_modified(tmp_path: Path) -> None:
    """Without SOURCE_DATE_EPOCH every build says 1980-01-01: only the ETag can tell builds apart."""
    write_site(tmp_path / "site")
    write_zip(tmp_path / "site", tmp_path / "a.zip", epoch=None)
    with TestClient(create_app(tmp_path / "a.zip", access_log=False)) as client:
        response = client.get(PAGE, headers=IDENTITY)
        assert "last-modified" not in response.headers and response.headers["etag"]
        since = {"if-modified-since": "Tue, 01 Jan 1980 00:00:00 GMT"}
        assert client.get(PAGE, headers={**IDENTITY, **since}).status_code == 200
        if_range = {"range": "bytes=0-9", "if-range": "Tue, 01 Jan 1980 00:00:00 GMT"}
        assert client.get(PAGE, headers={**IDENTITY, **if_range}).status_code == 200
        unmodified = {"if-unmodified-since": "Tue, 01 Jan 1980 00:00:00 GMT"}
        assert client.get(PAGE, headers={**IDENTITY, **unmodified}).status_code == 200
