"""The three feeds, parsed as a feed reader would: RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

import datetime as dt
import email.utils
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest

from cmd.buildindex.__main__ import main
from cmd.buildindex.index import build_index
from cmd.rendermd.build import render_site
from cmd.shared import manifest
from tests.tools.tools_support import BASE_URL, DRAFT, PUBLISHED, BuiltSite, check_html, write_article

ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d\d:\d\d:\d\d (GMT|[+-]\d{4})"
)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
ALPHA_TITLE = "Tom & Jerry <3 code"


def must_find(element: ET.Element, path: str) -> ET.Element:
    """The element at ``path``; a missing one fails the test, naming the path."""
    found = element.find(path)
    assert found is not None, f"no {path} in <{element.tag}>"
    return found


def must_findtext(element: ET.Element, path: str) -> str:
    """The text of the element at ``path``; a missing one fails the test, naming the path."""
    found = element.findtext(path)
    assert found is not None, f"no {path} in <{element.tag}>"
    return found


def rss_items(out: Path) -> list[ET.Element]:
    return ET.fromstring((out / "rss.xml").read_bytes()).findall("channel/item")


def atom_entries(out: Path) -> list[ET.Element]:
    return ET.fromstring((out / "atom.xml").read_bytes()).findall(f"{ATOM}entry")


def json_items(out: Path) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    return items


def instants(out: Path) -> dict[str, dt.datetime]:
    """Each article's publication instant, from rendermd's manifest."""
    return {a["url"].lstrip("/"): dt.datetime.fromisoformat(a["date"]) for a in manifest.read(out)["articles"]}


def assert_absolute(content: str) -> None:
    assert not re.search(r"""\s(href|src|poster)=["'](?!https?://|mailto:)""", content), content
    for srcset in re.findall(r"""\ssrcset=["']([^"']*)""", content):
        assert all(candidate.strip().startswith(("https://", "http://")) for candidate in srcset.split(",")), srcset


@pytest.fixture
def site_copy(built_site: BuiltSite, tmp_path: Path) -> Path:
    """A copy of the built site, for runs of buildindex with other settings."""
    return Path(shutil.copytree(built_site.out, tmp_path / "out"))


def test_rss_channel_and_items(built_site: BuiltSite) -> None:
    root = ET.fromstring((built_site.out / "rss.xml").read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = must_find(root, "channel")
    assert must_findtext(channel, "title") == "eblog"
    assert must_findtext(channel, "link") == f"{BASE_URL}/"
    assert must_findtext(channel, "description")
    assert must_find(channel, f"{ATOM}link").get("href") == f"{BASE_URL}/rss.xml"
    items = rss_items(built_site.out)
    assert [item.findtext("link") for item in items] == [f"{BASE_URL}/{slug}" for slug in PUBLISHED]
    for item in items:
        assert item.findtext("title")
        guid = must_find(item, "guid")
        assert guid.text == must_findtext(item, "link") and guid.get("isPermaLink") == "true"
        assert "<p>" in must_findtext(item, "description")  # full content, escaped once in the XML


def test_rss_dates_are_rfc822_and_round_trip(built_site: BuiltSite) -> None:
    expected = instants(built_site.out)
    for item, slug in zip(rss_items(built_site.out), PUBLISHED, strict=True):
        text = must_findtext(item, "pubDate")
        assert RFC822.fullmatch(text), text
        assert email.utils.parsedate_to_datetime(text) == expected[slug]
    build_date = must_findtext(ET.fromstring((built_site.out / "rss.xml").read_bytes()), "channel/lastBuildDate")
    assert email.utils.parsedate_to_datetime(build_date) == dt.datetime(2001, 5, 1, tzinfo=dt.UTC)


def test_atom_feed_and_entries(built_site: BuiltSite) -> None:
    root = ET.fromstring((built_site.out / "atom.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == f"{BASE_URL}/"
    assert root.findtext(f"{ATOM}title") == "eblog"
    assert must_find(root, f"{ATOM}author/{ATOM}name").text
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [link.get("href") for link in self_link] == [f"{BASE_URL}/atom.xml"]
    expected = instants(built_site.out)
    entries = atom_entries(built_site.out)
    assert len(entries) == len(PUBLISHED)
    for entry, slug in zip(entries, PUBLISHED, strict=False):
        assert entry.findtext(f"{ATOM}id") == f"{BASE_URL}/{slug}"
        assert must_find(entry, f"{ATOM}link").get("href") == f"{BASE_URL}/{slug}"
        assert must_find(entry, f"{ATOM}content").get("type") == "html"
        for name in ("published", "updated"):
            assert RFC3339.fullmatch(must_findtext(entry, f"{ATOM}{name}"))
        assert dt.datetime.fromisoformat(must_findtext(entry, f"{ATOM}published")) == expected[slug]
    assert RFC3339.fullmatch(must_findtext(root, f"{ATOM}updated"))
    gamma = entries[PUBLISHED.index("gamma-page")]
    assert gamma.findtext(f"{ATOM}updated") == "2001-04-01T00:00:00+00:00"


def test_json_feed(built_site: BuiltSite) -> None:
    feed = json.loads((built_site.out / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "eblog"
    assert feed["home_page_url"] == f"{BASE_URL}/"
    assert feed["feed_url"] == f"{BASE_URL}/feed.json"
    expected = instants(built_site.out)
    assert [item["url"] for item in feed["items"]] == [f"{BASE_URL}/{slug}" for slug in PUBLISHED]
    for item, slug in zip(feed["items"], PUBLISHED, strict=False):
        assert item["id"] == item["url"]
        assert item["title"] and item["content_html"]
        assert RFC3339.fullmatch(item["date_published"])
        assert dt.datetime.fromisoformat(item["date_published"]) == expected[slug]
    alpha = feed["items"][PUBLISHED.index("alpha")]
    assert alpha["title"] == ALPHA_TITLE
    assert alpha["tags"] == ["docker-compose", "python"]
    assert alpha["authors"] == [{"name": "Ada"}]


def test_content_is_escaped_and_comes_back_intact(built_site: BuiltSite) -> None:
    raw = {name: (built_site.out / name).read_text(encoding="utf-8") for name in ("rss.xml", "atom.xml")}
    for text in raw.values():
        assert "<3 code" not in text and "<p>" not in text  # nothing unescaped in the XML itself
    alpha = PUBLISHED.index("alpha")
    rss = rss_items(built_site.out)[alpha]
    atom = atom_entries(built_site.out)[alpha]
    assert rss.findtext("title") == ALPHA_TITLE == atom.findtext(f"{ATOM}title")
    assert atom.findtext(f"{ATOM}summary") == "Cats, mice & <angle> brackets."
    contents = [
        rss.findtext("description"),
        atom.findtext(f"{ATOM}content"),
        json_items(built_site.out)[alpha]["content_html"],
    ]
    assert contents[0] == contents[1] == contents[2]
    assert "&lt;raw&gt; &amp; stuff" in contents[0]  # the code block's own escaping survives
    assert check_html(contents[0]).problems == []


def test_links_in_content_are_absolute(built_site: BuiltSite) -> None:
    alpha = PUBLISHED.index("alpha")
    content = json_items(built_site.out)[alpha]["content_html"]
    assert f'href="{BASE_URL}/beta"' in content
    assert f'src="{BASE_URL}/static/logo.png"' in content
    assert f'href="{BASE_URL}/alpha#fn1"' in content  # in-page anchors point at the article
    for out_feed in (rss_items(built_site.out), atom_entries(built_site.out)):
        for element in out_feed:
            assert_absolute(element.findtext("description") or must_findtext(element, f"{ATOM}content"))


def test_links_in_raw_html_are_made_absolute_too(tmp_path: Path) -> None:
    body = "<p><img src='/static/chart.png' alt=''> <a href='/beta'>single</a> <a href='#top'>top</a></p>\n"
    write_article(tmp_path / "articles", "raw.md", "title: Raw\ndate: 2001-01-01\n", body)
    render_site(tmp_path / "articles", tmp_path / "out")
    build_index(tmp_path / "out", base_url=BASE_URL)
    content = json_items(tmp_path / "out")[0]["content_html"]
    assert f"src='{BASE_URL}/static/chart.png'" in content
    assert f"href='{BASE_URL}/beta'" in content and f"href='{BASE_URL}/raw#top'" in content
    assert_absolute(content)


def test_srcset_and_poster_are_made_absolute(tmp_path: Path) -> None:
    """Read back by a feed reader's parser: what a reader shows must not point at the reader's own host."""
    body = (
        '<p><img src="/static/a.png" srcset="/static/a.png 1x, /static/a@2x.png 2x" alt="">\n'
        "<video poster='/static/poster.jpg' src='/static/clip.mp4' controls></video>\n"
        '<picture><source srcset="/static/b.webp 480w,/static/c.webp 960w" type="image/webp"></picture></p>\n'
    )
    write_article(tmp_path / "articles", "media.md", "title: Media\ndate: 2001-01-01\n", body)
    render_site(tmp_path / "articles", tmp_path / "out")
    build_index(tmp_path / "out", base_url=BASE_URL)
    parsed = feedparser.parse(
        (tmp_path / "out" / "atom.xml").read_bytes(), resolve_relative_uris=False, sanitize_html=False
    )
    content = parsed.entries[0].content[0].value
    assert f'srcset="{BASE_URL}/static/a.png 1x, {BASE_URL}/static/a@2x.png 2x"' in content
    assert f"poster='{BASE_URL}/static/poster.jpg'" in content or f'poster="{BASE_URL}/static/poster.jpg"' in content
    assert f'srcset="{BASE_URL}/static/b.webp 480w,{BASE_URL}/static/c.webp 960w"' in content
    assert_absolute(content)
    assert_absolute(json_items(tmp_path / "out")[0]["content_html"])


def test_ids_are_unique_and_stable_across_edits(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    build_index(out)
    before = {item["url"]: item["id"] for item in json_items(out)}
    guids = {item.findtext("link"): item.findtext("guid") for item in rss_items(out)}
    beta = sample_dir / "beta.md"
    retitled = beta.read_text(encoding="utf-8").replace('title = "Beta"', 'title = "Beta, retitled"')
    beta.write_text(retitled, encoding="utf-8")
    write_article(sample_dir, "newest.md", "title: Newest\ndate: 2001-12-01\n")
    render_site(sample_dir, out)
    build_index(out)
    after = {item["url"]: item["id"] for item in json_items(out)}
    assert len(after) == len(set(after.values())) == len(PUBLISHED) + 1
    assert {url: after[url] for url in before} == before
    new_guids = {item.findtext("link"): item.findtext("guid") for item in rss_items(out)}
    assert {link: new_guids[link] for link in guids} == guids
    atom_ids = [entry.findtext(f"{ATOM}id") for entry in atom_entries(out)]
    assert len(atom_ids) == len(set(atom_ids))


def test_drafts_stay_out_of_the_feeds(built_site: BuiltSite) -> None:
    for name in ("rss.xml", "atom.xml", "feed.json", "sitemap.xml"):
        assert DRAFT not in (built_site.out / name).read_text(encoding="utf-8")


def feed_links(out: Path) -> set[str]:
    """Every absolute URL the three feeds and the sitemap carry, reduced to scheme and host."""
    names = ("rss.xml", "atom.xml", "feed.json", "sitemap.xml")
    text = "".join((out / name).read_text(encoding="utf-8") for name in names)
    return set(re.findall(r"https?://[a-z0-9.:-]+", text)) - {
        "http://www.w3.org",
        "http://purl.org",
        "http://www.sitemaps.org",
        "https://jsonfeed.org",
    }


def test_base_url_flag(site_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(site_copy), "--base-url", "https://flag.example/"]) == 0
    assert feed_links(site_copy) == {"https://flag.example"}
    assert json.loads((site_copy / "feed.json").read_text())["items"][0]["url"] == "https://flag.example/epsilon"


def test_base_url_from_environment(site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBLOG_BASE_URL", "https://env.example")
    assert main([str(site_copy)]) == 0
    assert feed_links(site_copy) == {"https://env.example"}
    assert main([str(site_copy), "--base-url", "https://flag.example"]) == 0  # the flag wins
    assert feed_links(site_copy) == {"https://flag.example"}


@pytest.mark.parametrize("env", [None, ""])
def test_default_base_url(sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None) -> None:
    """Unset, or set but empty as a bare Docker ENV leaves it: the documented default."""
    if env is not None:
        monkeypatch.setenv("EBLOG_BASE_URL", env)
    render_site(sample_dir, tmp_path / "out")
    assert main([str(tmp_path / "out")]) == 0
    assert feed_links(tmp_path / "out") == {"http://localhost:8080"}


def test_base_url_from_site_settings(sample_dir: Path, tmp_path: Path) -> None:
    (sample_dir / "site.toml").write_text('base_url = "https://settings.example/blog/"\n')
    render_site(sample_dir, tmp_path / "out")
    assert main([str(tmp_path / "out")]) == 0
    assert json_items(tmp_path / "out")[0]["url"] == "https://settings.example/blog/epsilon"


@pytest.mark.parametrize("url", ["blog.example.org", "/relative", "ftp://files.example", "https://"])
def test_a_base_url_that_is_not_absolute_is_refused(
    site_copy: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    before = (site_copy / "rss.xml").read_bytes()
    assert main([str(site_copy), "--base-url", url]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("buildindex: error:") and "base_url" in line
    assert (site_copy / "rss.xml").read_bytes() == before


def test_feed_size(site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main([str(site_copy), "--feed-size", "2", "--base-url", BASE_URL]) == 0
    assert len(rss_items(site_copy)) == len(atom_entries(site_copy)) == len(json_items(site_copy)) == 2
    assert [item["url"] for item in json_items(site_copy)] == [f"{BASE_URL}/epsilon", f"{BASE_URL}/delta"]
    monkeypatch.setenv("EBLOG_FEED_SIZE", "3")
    assert main([str(site_copy)]) == 0
    assert len(rss_items(site_copy)) == 3


def test_default_feed_size_is_twenty(tmp_path: Path) -> None:
    for day in range(1, 24):
        write_article(tmp_path / "articles", f"post-{day:02}.md", f"title: Post {day}\ndate: 2001-01-{day:02}\n")
    render_site(tmp_path / "articles", tmp_path / "out")
    build_index(tmp_path / "out")
    items = json_items(tmp_path / "out")
    assert len(items) == 20
    assert items[0]["title"] == "Post 23" and items[-1]["title"] == "Post 4"


def test_feed_updated_is_the_newest_instant_across_time_zones(tmp_path: Path) -> None:
    """23:00 at UTC-5 on the 1st is 04:00 UTC on the 2nd: later than 01:00 UTC on the 2nd,
    although it sorts first as text."""
    articles = tmp_path / "articles"
    write_article(articles, "late-west.md", "title: West\ndate: 2001-01-01T23:00:00-05:00\n")
    write_article(articles, "early-utc.md", "title: UTC\ndate: 2001-01-02T01:00:00Z\n")
    render_site(articles, tmp_path / "out")
    build_index(tmp_path / "out")
    newest = dt.datetime(2001, 1, 2, 4, tzinfo=dt.UTC)
    assert [item["title"] for item in json_items(tmp_path / "out")] == ["West", "UTC"]
    atom = ET.fromstring((tmp_path / "out/atom.xml").read_bytes())
    assert dt.datetime.fromisoformat(must_findtext(atom, f"{ATOM}updated")) == newest
    rss = ET.fromstring((tmp_path / "out/rss.xml").read_bytes())
    assert email.utils.parsedate_to_datetime(must_findtext(rss, "channel/lastBuildDate")) == newest
    sitemap = ET.fromstring((tmp_path / "out/sitemap.xml").read_bytes())
    home = must_find(sitemap, "{http://www.sitemaps.org/schemas/sitemap/0.9}url")
    assert (
        dt.datetime.fromisoformat(must_findtext(home, "{http://www.sitemaps.org/schemas/sitemap/0.9}lastmod")) == newest
    )


def test_feeds_of_a_site_with_only_drafts_are_still_valid(tmp_path: Path) -> None:
    write_article(tmp_path / "articles", "wip.md", "title: WIP\ndate: 2001-01-01\ndraft: true\n")
    render_site(tmp_path / "articles", tmp_path / "out")
    build_index(tmp_path / "out")
    out = tmp_path / "out"
    assert rss_items(out) == [] and atom_entries(out) == [] and json_items(out) == []
    assert RFC3339.fullmatch(must_findtext(ET.fromstring((tmp_path / "out/atom.xml").read_bytes()), f"{ATOM}updated"))


def test_a_feed_size_from_the_environment_that_is_no_number_is_a_usage_error(
    built_site: BuiltSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EBLOG_FEED_SIZE", "abc")
    with pytest.raises(SystemExit) as exit_:
        main([str(built_site.out)])
    assert exit_.value.code == 2
    assert "--feed-size" in capsys.readouterr().err
