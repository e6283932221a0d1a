"""buildindex: home page, tag pages, 404 page, sitemap, incremental runs, errors."""

import html
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main
from cmd.buildindex.index import build_index
from cmd.rendermd.build import render_site
from tests.tools.tools_support import BASE_URL, DRAFT, PUBLISHED, BuiltSite, check_html

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def read(site: BuiltSite, name: str) -> str:
    return (site.out / name).read_text(encoding="utf-8")


def heading_links(page: str) -> list[str]:
    return re.findall(r'<h[23]><a href="([^"]+)">', page)


def test_home_lists_articles_newest_first_with_series_grouped(built_site: BuiltSite) -> None:
    page = read(built_site, "index.html")
    # The series appears once, where its newest part would be, with its parts in order.
    assert heading_links(page) == ["/epsilon", "/delta", "/beta", "/gamma-page", "/alpha"]
    assert "<h2>Series: Guide</h2>" in page
    assert f"/{DRAFT}" not in page


def test_home_shows_date_summary_and_tags(built_site: BuiltSite) -> None:
    page = html.unescape(read(built_site, "index.html"))
    assert '<time datetime="2001-01-10T00:00:00+00:00">10 January 2001</time>' in page
    assert "Cats, mice & <angle> brackets." in page  # the author's summary
    assert "Beta, described." in page  # description, as Hugo calls it
    assert "Delta's first paragraph becomes its summary." in page  # no summary: the first paragraph
    assert '<a href="/tags/docker-compose">docker-compose</a>' in page
    assert "<angle>" not in read(built_site, "index.html")  # escaped in the file itself


def test_a_page_per_tag_listing_its_articles(built_site: BuiltSite) -> None:
    tags = sorted(path.stem for path in (built_site.out / "tags").glob("*.html"))
    assert tags == ["docker-compose", "guide", "misc", "python"]
    assert heading_links(read(built_site, "tags/guide.html")) == ["/gamma-page", "/beta"]
    assert heading_links(read(built_site, "tags/python.html")) == ["/alpha"]
    overview = read(built_site, "tags.html")
    assert '<a href="/tags/guide">guide (2)</a>' in overview
    assert '<a href="/tags/misc">misc (1)</a>' in overview


def test_404_page_is_in_the_site_style(built_site: BuiltSite) -> None:
    page = read(built_site, "404.html")
    assert "<h1>Page not found</h1>" in page
    assert re.search(r'<link rel="stylesheet" href="/static/style\.[0-9a-f]{10}\.css">', page)
    assert '<a href="/">See all articles</a>' in page
    assert '<li><a href="/epsilon">Epsilon</a></li>' in page


@pytest.mark.parametrize("name", ["index.html", "tags.html", "404.html", "tags/guide.html"])
def test_index_pages_are_valid_and_link_the_feeds(built_site: BuiltSite, name: str) -> None:
    page = read(built_site, name)
    assert check_html(page).problems == []
    for href in ("/atom.xml", "/rss.xml", "/feed.json"):
        assert re.search(rf'<link rel="alternate" type="application/[a-z+]+" title="[^"]+" href="{href}">', page)


def test_sitemap_parses_and_lists_every_article(built_site: BuiltSite) -> None:
    root = ET.fromstring((built_site.out / "sitemap.xml").read_bytes())
    assert root.tag == f"{SITEMAP}urlset"
    locs = [url.findtext(f"{SITEMAP}loc", "") for url in root]
    for slug in PUBLISHED:
        assert f"{BASE_URL}/{slug}" in locs
    assert f"{BASE_URL}/" in locs
    assert f"{BASE_URL}/tags/guide" in locs
    assert not [loc for loc in locs if DRAFT in loc or "404" in loc or not loc.startswith(BASE_URL + "/")]
    assert len(locs) == len(set(locs))
    lastmods = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root}
    assert lastmods[f"{BASE_URL}/gamma-page"] == "2001-04-01T00:00:00+00:00"  # updated wins over date


def test_second_run_writes_nothing(built_site: BuiltSite, tmp_path: Path) -> None:
    out = Path(shutil.copytree(built_site.out, tmp_path / "out"))
    build_index(out, base_url=BASE_URL)
    # The files were copied a moment ago: the first run cannot vouch for them and keeps no stamp
    # (cmd.shared.uptodate); a run once they are older keeps one, and from then on nothing is written.
    time.sleep(0.06)
    build_index(out, base_url=BASE_URL)
    times = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    summary = build_index(out, base_url=BASE_URL)
    assert summary.unchanged
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == times


def test_an_edited_body_reaches_home_and_feeds(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    build_index(out)
    epsilon = sample_dir / "epsilon.md"
    epsilon.write_text(epsilon.read_text(encoding="utf-8").replace("Epsilon text.", "Rewritten text."))
    render_site(sample_dir, out)
    assert not build_index(out).unchanged
    assert "Rewritten text." in (out / "index.html").read_text(encoding="utf-8")  # the excerpt
    for feed in ("rss.xml", "atom.xml", "feed.json"):
        assert "Rewritten text." in (out / feed).read_text(encoding="utf-8")


def test_a_tag_nobody_uses_any_more_loses_its_page(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    build_index(out)
    assert (out / "tags/misc.html").is_file()
    delta = sample_dir / "delta.md"
    delta.write_text(delta.read_text(encoding="utf-8").replace("tags: [misc]", "tags: [guide]"), encoding="utf-8")
    render_site(sample_dir, out)
    summary = build_index(out)
    assert not summary.unchanged
    assert not (out / "tags/misc.html").exists()
    assert "/delta" in (out / "tags/guide.html").read_text(encoding="utf-8")


def test_without_a_manifest_it_says_to_run_rendermd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"buildindex: error: {tmp_path / '.eblog/manifest.json'}: no manifest")
    assert "rendermd" in line
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_place_of_out_dir_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").write_text("not a directory")
    assert main([str(tmp_path / "out")]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"buildindex: error: {tmp_path / 'out/.eblog/manifest.json'}: no manifest")


def test_summary_line(built_site: BuiltSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = shutil.copytree(built_site.out, tmp_path / "out")
    assert main([str(out), "--base-url", "https://elsewhere.example"]) == 0
    assert re.fullmatch(r"buildindex: \d+ files written in \d+\.\d\d s\n", capsys.readouterr().err)


DAMAGED_STATES = ['{"key": "x"}', '{"key": "x", "files": [1, 2]}', "[]", "{not json", '{"files": "a"}']


@pytest.mark.parametrize("state", DAMAGED_STATES)
def test_an_old_or_damaged_state_file_rebuilds_everything_with_a_note(
    built_site: BuiltSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], state: str
) -> None:
    site = tmp_path / "out"
    shutil.copytree(built_site.out, site)
    (site / "index.html").unlink()
    (site / ".eblog" / "index-state.json").write_text(state)
    assert main([str(site)]) == 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("(its state in .eblog/index-state.json was unreadable: everything rebuilt)")
    assert (site / "index.html").is_file()
