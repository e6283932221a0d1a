"""The three fixture blogs, built unchanged and served by the real server: every old URL still works.

tests/tools/test_real_blogs.py checks what the tools write; this serves the
zip over a real socket and follows what a browser with an old bookmark does:
every URL the blog's own engine gave a post answers 200, directly or after
one 301 to the page's URL now; every file a page bundle or the site carried
loads; and the policy the build chose is the one sent.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from cmd.buildindex.index import build_index
from cmd.prezip.zipsite import build_zip
from cmd.rendermd.build import render_site
from testing.server_process import RunningServer, start_server

Json = dict[str, Any]  # a parsed JSON object (manifest, expected.json): its shape is what the tests check

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "blogs"
TREES = {"jekyll": "_posts", "jekyll-site": ".", "hugo": "content", "zola": "content"}


@pytest.fixture(scope="module", params=sorted(TREES))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Json, RunningServer]]:
    name = request.param
    site = FIXTURES / name.removesuffix("-site")
    tmp = tmp_path_factory.mktemp(name)
    render_site((site / TREES[name]).resolve(), tmp / "out")
    build_index(tmp / "out")
    (tmp / "site.zip").write_bytes(build_zip(tmp / "out"))
    running = start_server(tmp, ["--zip", str(tmp / "site.zip"), "--no-access-log"])
    expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
    if name == "jekyll":  # the _posts folder alone holds neither travel/_posts nor _drafts
        expected["posts"] = {key: post for key, post in expected["posts"].items() if key.startswith("_posts/")}
    try:
        yield expected, running
    finally:
        running.stop()


def fetch(running: RunningServer, path: str) -> httpx.Response:
    return httpx.get(running.url + quote(path, safe="/%:@!$&'()*+,;=~"), follow_redirects=False, timeout=5)


def lands(running: RunningServer, path: str) -> tuple[int, int]:
    """(first status, status after at most one redirect) for a GET of ``path``."""
    first = fetch(running, path)
    if first.status_code != 301:
        return first.status_code, first.status_code
    location = first.headers["location"]
    assert location.startswith("/"), location
    return 301, httpx.get(running.url + location, follow_redirects=False, timeout=5).status_code


def test_every_url_the_engine_gave_a_post_answers_200_directly_or_after_one_301(
    served: tuple[Json, RunningServer],
) -> None:
    expected, running = served
    checked = 0
    for name, post in expected["posts"].items():
        if post["draft"]:
            continue
        for url in (post["url"], *post["old_urls"]):
            assert lands(running, url)[1] == 200, (name, url)
            checked += 1
    assert checked >= 15


def test_drafts_are_not_served(served: tuple[Json, RunningServer]) -> None:
    expected, running = served
    for post in expected["posts"].values():
        if post["draft"]:
            assert fetch(running, post["url"]).status_code == 404, post["url"]


def test_every_file_a_bundle_or_the_site_carried_loads(served: tuple[Json, RunningServer]) -> None:
    expected, running = served
    files = expected.get("bundle_files", []) + expected.get("site_files", [])
    assert files
    for url in files:
        response = fetch(running, url)
        assert (response.status_code, len(response.content) > 0) == (200, True), url


def test_the_policy_sent_is_the_one_the_build_chose(served: tuple[Json, RunningServer]) -> None:
    _, running = served
    policy = fetch(running, "/").headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert fetch(running, "/_headers").status_code == 404
    assert fetch(running, "/_redirects").status_code == 404
