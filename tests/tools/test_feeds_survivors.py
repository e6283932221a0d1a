"""The feeds buildindex writes, checked to the exact value (see bench/mutation-survivors.md).

Each test runs buildindex itself, on a copy of the built sample, so mutmut sees that it reaches
cmd/buildindex/feeds.py (the tests of test_feeds.py read a site a session fixture built).
"""

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main as buildindex_main
from tests.tools.tools_support import BuiltSite

# Not the base URL the sample was built with, so that buildindex writes the feeds again.
BASE_URL = "https://feeds.example.net"

RSS_DATES = [  # newest first; beta is dated 12:30 at +02:00, delta 08:00 with no zone
    "Tue, 01 May 2001 00:00:00 GMT",
    "Sun, 01 Apr 2001 08:00:00 GMT",
    "Mon, 05 Mar 2001 00:00:00 GMT",
    "Thu, 01 Feb 2001 10:30:00 GMT",
    "Wed, 10 Jan 2001 00:00:00 GMT",
]


@pytest.fixture
def site_copy(built_site: BuiltSite, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built_site.out, tmp_path / "out"))


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone set to New York, so that local time cannot pass for GMT."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("new_york")
def test_rss_dates_are_in_gmt_whatever_the_machine_s_time_zone(site_copy: Path) -> None:
    assert buildindex_main([str(site_copy), "--base-url", BASE_URL]) == 0
    rss = (site_copy / "rss.xml").read_text(encoding="utf-8")
    assert re.findall(r"<pubDate>(.*?)</pubDate>", rss) == RSS_DATES
    assert re.findall(r"<lastBuildDate>(.*?)</lastBuildDate>", rss) == [RSS_DATES[0]]


def test_the_json_feed_field_by_field(site_copy: Path) -> None:
    """JSON Feed 1.1's names, spelt as the spec spells them, for the site and each item."""
    assert buildindex_main([str(site_copy), "--base-url", BASE_URL]) == 0
    text = (site_copy / "feed.json").read_text(encoding="utf-8")
    assert text.startswith('{\n "version": "https://jsonfeed.org/version/1.1",\n "title": "eblog",\n')  # indent 1
    assert r"\u21a9" not in text and "↩" in text  # the footnote's back arrow, as UTF-8 rather than escaped
    feed = json.loads(text)
    items = feed.pop("items")
    assert feed == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "eblog",
        "description": "Fast builds, small images, and a blog served from memory.",
        "home_page_url": f"{BASE_URL}/",
        "feed_url": f"{BASE_URL}/feed.json",
        "language": "en",
        "authors": [{"name": "The eblog team"}],
    }
    assert items[0] == {
        "id": f"{BASE_URL}/epsilon",
        "url": f"{BASE_URL}/epsilon",
        "title": "Epsilon",
        "content_html": "<p>Epsilon text.</p>\n",
        "summary": "Epsilon text.",
        "date_published": "2001-05-01T00:00:00+00:00",
        "date_modified": "2001-05-01T00:00:00+00:00",
        "tags": [],
    }
    gamma, beta, alpha = items[2:]
    assert (gamma["date_published"], gamma["date_modified"]) == (
        "2001-03-05T00:00:00+00:00",
        "2001-04-01T00:00:00+00:00",
    )
    assert (beta["date_published"], beta["date_modified"]) == ("2001-02-01T12:30:00+02:00", "2001-02-01T12:30:00+02:00")
    assert (alpha["title"], alpha["tags"], alpha["authors"]) == (
        "Tom & Jerry <3 code",
        ["docker-compose", "python"],
        [{"name": "Ada"}],
    )
    assert [item["url"] for item in items] == [
        f"{BASE_URL}/{slug}" for slug in ("epsilon", "delta", "gamma-page", "beta", "alpha")
    ]


def test_a_missing_rendered_body_is_one_line_naming_its_file(
    site_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The feeds carry each article's whole body: without it, say which file and what to do."""
    [body] = [
        path for path in site_copy.rglob("*") if path.is_file() and path.read_bytes() == b"<p>Epsilon text.</p>\n"
    ]
    body.unlink()
    before = (site_copy / "rss.xml").read_bytes()
    assert buildindex_main([str(site_copy), "--base-url", BASE_URL]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"buildindex: error: {body}: an article's rendered body is missing; run rendermd again"
    ]
    assert (site_copy / "rss.xml").read_bytes() == before
