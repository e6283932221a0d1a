"""Old URLs keep working: directory indexes, the _redirects file, and paths with non-ASCII letters, capitals, dots."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.assets import SiteError
from testing.hostile_wire import exchange, split_replies
from testing.server_process import ROOT, RunningServer, server_env, start_server
from testing.server_sample import write_zip

CAFE = "2021/05/05/café-au-lait"
CAFE_ENCODED = "/2021/05/05/caf%C3%A9-au-lait"
PAGES = {
    "index.html": "home",
    "a/b/index.html": "a b index",
    "docs.html": "docs page",
    "docs/index.html": "docs index",
    f"{CAFE}.html": "café",
    "v1.2-release.html": "release",
    "Notes/Capital-Letters.html": "capitals",
    "404.html": "not found",
}
REDIRECTS = """\
# old URLs of the blog
/old-post /2021/05/05/café-au-lait
/2021/05/05/caf%C3%A9.html   /2021/05/05/caf%C3%A9-au-lait   308

/elsewhere https://example.com/ailleurs/été 302
/search /a/b/?q=1 307
/v1 /v1.2-release
"""


def build(root: Path, pages: dict[str, str], redirects: str | None) -> Path:
    for name, text in pages.items():
        (root / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "site" / name).write_text(f"<p>{text}</p>\n", encoding="utf-8")
    if redirects is not None:
        (root / "site" / "_redirects").write_text(redirects, encoding="utf-8")
    write_zip(root / "site", root / "site.zip")
    return root / "site.zip"


@pytest.fixture(scope="module")
def old_urls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("old-urls"), PAGES, REDIRECTS)


@pytest.fixture(scope="module")
def client(old_urls: Path) -> Iterator[TestClient]:
    with TestClient(create_app(old_urls, access_log=False), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def running(old_urls: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("old-urls-run"), ["--zip", str(old_urls), "--no-access-log"])
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/", "home"),
        ("/a/b/", "a b index"),
        ("/docs", "docs page"),  # a file answers /docs itself: no redirect to /docs/
        ("/docs/", "docs index"),
        (CAFE_ENCODED, "café"),
        ("/2021/05/05/caf%c3%a9-au-lait", "café"),
        ("/v1.2-release", "release"),
        ("/Notes/Capital-Letters", "capitals"),
    ],
)
def test_pages_at_their_canonical_urls(client: TestClient, path: str, text: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.text == f"<p>{text}</p>\n"


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/a/b", 301, "/a/b/"),
        ("/a/b/index.html", 301, "/a/b/"),
        ("/index.html", 301, "/"),
        ("/docs/index.html", 301, "/docs/"),
        ("/docs.html", 301, "/docs"),
        (CAFE_ENCODED + "/", 301, CAFE_ENCODED),
        (CAFE_ENCODED + ".html", 301, CAFE_ENCODED),
        ("/v1.2-release.html", 301, "/v1.2-release"),
        ("/v1.2-release/", 301, "/v1.2-release"),
        ("/Notes/Capital-Letters/", 301, "/Notes/Capital-Letters"),
        ("/old-post", 301, CAFE_ENCODED),
        ("/old-post?utm=1", 301, CAFE_ENCODED + "?utm=1"),
        ("/2021/05/05/caf%C3%A9.html", 308, CAFE_ENCODED),
        ("/elsewhere", 302, "https://example.com/ailleurs/%C3%A9t%C3%A9"),
        ("/search?x=2", 307, "/a/b/?q=1"),  # the rule's own query wins
        ("/v1", 301, "/v1.2-release"),
    ],
)
def test_redirects_and_their_percent_encoded_locations(
    client: TestClient, path: str, status: int, location: str
) -> None:
    response = client.get(path)
    assert (response.status_code, response.headers["location"]) == (status, location)
    assert response.headers["location"].isascii()
    permanent = status in (301, 308)
    assert response.headers["cache-control"] == ("public, max-age=86400" if permanent else "no-cache")


@pytest.mark.parametrize("path", ["/_redirects", "/notes/capital-letters", "/V1.2-release", "/a/b/index", "/a"])
def test_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "/2021/05/05/café-au-lait".encode(),  # raw UTF-8 in the request line
        CAFE_ENCODED.encode(),
        b"/2021/05/05/caf%c3%a9-au-lait",
    ],
)
def test_a_non_ascii_path_is_served_whether_encoded_or_not(running: RunningServer, target: bytes) -> None:
    replies = split_replies(exchange(running.port, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n"))
    assert [(reply.status, reply.body) for reply in replies] == [(200, "<p>café</p>\n".encode())]


def test_a_raw_non_ascii_redirect_answers_an_ascii_location(running: RunningServer) -> None:
    request = "GET /2021/05/05/café-au-lait/ HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    replies = split_replies(exchange(running.port, request))
    assert [(reply.status, reply.header(b"location")) for reply in replies] == [(301, CAFE_ENCODED.encode())]


@pytest.mark.parametrize(
    ("redirects", "message"),
    [
        ("/a /v1.2-release\n/b\n", "_redirects:2: expected FROM TO [STATUS], found 1 fields"),
        ("/a /b c d\n", "_redirects:1: expected FROM TO [STATUS], found 4 fields"),
        ("\n# fine\n/a /v1.2-release 200\n", "_redirects:3: status 200 is not a redirect (301, 302, 307 or 308)"),
        ("/a /v1.2-release 301!\n", "_redirects:1: status 301! is not a redirect"),
        ("/blog/* /v1.2-release\n", "_redirects:1: FROM must be a plain path starting with / (no splat, no query)"),
        ("old /v1.2-release\n", "_redirects:1: FROM must be a plain path"),
        ("/a v1.2-release\n", "_redirects:1: TO must be a path starting with / or an http(s) URL: v1.2-release"),
        ("/docs /v1.2-release\n", "_redirects:1: /docs is served by docs.html, so it can't redirect"),
        ("/a/b/ /v1.2-release\n", "_redirects:1: /a/b/ is served by a/b/index.html, so it can't redirect"),
        ("/a /v1.2-release\n/a /docs\n", "_redirects:2: /a already redirects on line 1"),
        ("/a /nowhere\n", "_redirects:1: /a redirects to /nowhere, which nothing answers"),
        ("/a /v1.2-release.html\n", "_redirects:1: /a redirects to /v1.2-release.html, itself a redirect"),
        ("/a /b\n/b /docs\n", "_redirects:1: /a redirects to /b, itself a redirect; point it at the final URL"),
        ("/a /b\n/b /a\n", "_redirects:1: /a redirects to /b, itself a redirect"),
    ],
)
def test_a_bad_redirects_file_stops_the_start_naming_the_line(tmp_path: Path, redirects: str, message: str) -> None:
    path = build(tmp_path, PAGES, redirects)
    with pytest.raises(SiteError) as caught:
        create_app(path, access_log=False)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_a_bad_redirects_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = build(tmp_path, PAGES, "/a /nowhere\n")
    command = [sys.executable, "-m", "server", "--zip", str(path), "--port", "1"]
    result = subprocess.run(command, cwd=ROOT, env=server_env(), capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    message = "_redirects:1: /a redirects to /nowhere, which nothing answers"
    assert result.stderr == f"eblog-server: error: {path}: {message}\n"
