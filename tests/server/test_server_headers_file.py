"""The site's _headers file: the Content-Security-Policy the build chose, sent on every answer."""

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.assets import SiteError
from server.headers_file import policy_in
from testing.server_sample import write_zip

WIDER = (
    "default-src 'none'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; frame-src https://www.youtube-nocookie.com"
)
STRICT = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def site_zip(tmp_path: Path, headers: str | None) -> Path:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>home</p>\n")
    (tmp_path / "site" / "404.html").write_text("<p>gone</p>\n")
    if headers is not None:
        (tmp_path / "site" / "_headers").write_text(headers)
    write_zip(tmp_path / "site", tmp_path / "site.zip")
    return tmp_path / "site.zip"


def test_the_policy_in_headers_is_sent_on_every_answer_and_the_file_is_not_served(tmp_path: Path) -> None:
    with TestClient(create_app(site_zip(tmp_path, f"/*\n  Content-Security-Policy: {WIDER}\n"), False)) as client:
        for path in ("/", "/nowhere", "/healthz", "/_headers"):
            assert client.get(path).headers["content-security-policy"] == WIDER, path
        assert client.get("/_headers").status_code == 404


def test_without_headers_the_strict_policy_is_sent(tmp_path: Path) -> None:
    with TestClient(create_app(site_zip(tmp_path, None), False)) as client:
        assert client.get("/").headers["content-security-policy"] == STRICT


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/blog/*\n  Content-Security-Policy: default-src 'none'\n", "_headers:1: only the rule for every path"),
        ("/*\n  X-Powered-By: eblog\n", "_headers:2: only Content-Security-Policy is supported"),
        ("/*\n  Content-Security-Policy: default-src 'none'\r\n  X: y\n", "_headers:3:"),
        ("  Content-Security-Policy: default-src 'none'\n", "_headers:1: expected 'Name: value' under a path rule"),
        ("/*\n  Content-Security-Policy: img-src café.example\n", "_headers:2: the policy must be printable ASCII"),
    ],
)
def test_a_headers_file_asking_for_anything_else_stops_the_server_with_its_line(text: str, words: str) -> None:
    with pytest.raises(SiteError, match=words):
        policy_in(text)


def test_comments_and_blank_lines_are_ignored() -> None:
    assert policy_in("# written by buildindex\n\n/*\n  Content-Security-Policy: default-src 'none'\n") == (
        "default-src 'none'"
    )
