"""Tests for mutants of cmd/ that the rest of the suite let live (see bench/mutation-survivors.md).

Each one checks an exact value, written here, that the mutated code gets wrong.
"""

import re
import shutil
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main as buildindex_main
from cmd.rendermd.__main__ import main as rendermd_main
from cmd.rendermd.build import render_site
from cmd.rendermd.references import blocked_in_html
from cmd.shared import csp
from tests.tools.tools_support import BuiltSite, write_article


def test_rss_dates_are_rfc_822_in_gmt(built_site: BuiltSite) -> None:
    """RSS 2.0 readers expect "GMT", not "+0000", and the instant in UTC (beta is dated 12:30 at +02:00)."""
    rss = (built_site.out / "rss.xml").read_text(encoding="utf-8")
    assert re.findall(r"<pubDate>(.*?)</pubDate>", rss) == [
        "Tue, 01 May 2001 00:00:00 GMT",
        "Sun, 01 Apr 2001 08:00:00 GMT",
        "Mon, 05 Mar 2001 00:00:00 GMT",
        "Thu, 01 Feb 2001 10:30:00 GMT",
        "Wed, 10 Jan 2001 00:00:00 GMT",
    ]
    assert re.findall(r"<lastBuildDate>(.*?)</lastBuildDate>", rss) == ["Tue, 01 May 2001 00:00:00 GMT"]


def test_an_unknown_site_setting_is_one_clear_line_naming_the_file(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt key (``titel``) must not reach SiteConfig(**data), whose TypeError would be a traceback."""
    (sample_dir / "site.toml").write_text('titel = "Blog"\n', encoding="utf-8")
    status = rendermd_main([str(sample_dir), str(tmp_path / "out")])
    assert status == 1
    known = "author, base_url, convention, csp, description, feed_size, language, license_name, license_url, paginate, "
    known += "permalink, templates, title"
    [line] = capsys.readouterr().err.splitlines()
    where = re.escape(f"rendermd: error: {sample_dir / 'site.toml'}") + "(:1)?"  # the line, where the build knows it
    assert re.fullmatch(where + re.escape(f": unknown setting 'titel' (known: {known})"), line), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("size", ["0", "-1"])
def test_a_feed_size_below_one_is_refused_and_the_feeds_are_kept(
    built_site: BuiltSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    """An empty feed looks to every reader like a dead blog: 0 is an error, not a setting."""
    out = Path(shutil.copytree(built_site.out, tmp_path / "out"))
    before = (out / "rss.xml").read_bytes()
    assert buildindex_main([str(out), "--feed-size", size]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "buildindex: error: buildindex settings: setting 'feed_size' must be at least 1"
    ]
    assert (out / "rss.xml").read_bytes() == before


def test_a_feed_size_of_zero_in_site_toml_is_refused(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_dir / "site.toml").write_text("feed_size = 0\n", encoding="utf-8")
    assert rendermd_main([str(sample_dir), str(tmp_path / "out")]) == 1
    [line] = capsys.readouterr().err.splitlines()
    where = re.escape(f"rendermd: error: {sample_dir / 'site.toml'}") + "(:1)?"
    assert re.fullmatch(where + re.escape(": setting 'feed_size' must be at least 1"), line), line


def test_a_feed_size_of_one_gives_the_newest_article_alone(built_site: BuiltSite, tmp_path: Path) -> None:
    out = Path(shutil.copytree(built_site.out, tmp_path / "out"))
    assert buildindex_main([str(out), "--feed-size", "1", "--base-url", "https://blog.example.org"]) == 0
    rss = (out / "rss.xml").read_text(encoding="utf-8")
    assert re.findall(r"<link>(.*?)</link>", rss)[1:] == ["https://blog.example.org/epsilon"]


def test_reading_time_is_at_least_one_minute_and_words_over_230(tmp_path: Path) -> None:
    """A 3-word note reads in "1 min", never "0"; at 230 words a minute, 1,264 words round to 5 and 1,266 to 6."""
    articles = tmp_path / "articles"
    write_article(articles, "note.md", "title: Note\ndate: 2001-01-01\n", "Three short words.\n")
    write_article(articles, "shorter.md", "title: Shorter\ndate: 2001-01-02\n", "word " * 1264 + "\n")
    write_article(articles, "longer.md", "title: Longer\ndate: 2001-01-03\n", "word " * 1266 + "\n")
    render_site(articles, tmp_path / "out")
    minutes = {
        name: re.findall(r"· (\d+) min read", (tmp_path / "out" / f"{name}.html").read_text(encoding="utf-8"))
        for name in ("note", "shorter", "longer")
    }
    assert minutes == {"note": ["1"], "shorter": ["5"], "longer": ["6"]}


def test_a_directive_the_policy_does_not_name_falls_back_to_default_src() -> None:
    assert csp.policy({}, "site.toml").sources("media-src") == ("'none'",)
    assert csp.policy({"media-src": ["https:"]}, "site.toml").sources("media-src") == ("https:",)


def test_inline_code_is_allowed_only_by_unsafe_inline() -> None:
    assert not csp.policy({}, "site.toml").allows("script-src", inline=True)
    assert csp.policy({"script-src": ["'unsafe-inline'"]}, "site.toml").allows("script-src", inline=True)
    assert not csp.policy({}, "site.toml").allows("img-src")  # no URL and not inline: nothing to allow


@pytest.mark.parametrize(
    ("source", "url", "allowed"),
    [
        ("*.example.org", "https://cdn.example.org/a.png", True),
        ("*.example.org", "https://evil.net/a.png", False),
        ("*.example.org", "https://badexample.org/a.png", False),  # the dot is part of the wildcard
        ("cdn.example.org", "https://cdn.example.org/a.png", True),  # no scheme: the page's
        ("https://cdn.example.org", "https://cdn.example.org/a.png", True),
        ("https://cdn.example.org", "http://cdn.example.org/a.png", False),  # a scheme given must match
    ],
)
def test_which_image_urls_a_widened_policy_allows(source: str, url: str, allowed: bool) -> None:
    assert csp.policy({"img-src": [source]}, "site.toml").allows("img-src", url) is allowed


@pytest.mark.parametrize("url", ["/app.js", "app.js", "../js/app.js"])
def test_a_script_on_the_site_itself_is_allowed_only_by_self(url: str) -> None:
    assert not csp.policy({}, "site.toml").allows("script-src", url)  # script-src falls back to 'none'
    assert csp.policy({"script-src": ["'self'"]}, "site.toml").allows("script-src", url)
    assert not csp.policy({"script-src": ["https://cdn.example.org"]}, "site.toml").allows("script-src", url)


def test_rendermd_warns_about_a_script_from_the_site_itself_the_policy_blocks() -> None:
    html = '<p>Demo:</p>\n<script src="/app.js"></script>\n'
    assert blocked_in_html(html, csp.policy({}, "site.toml")) == [("script from the site itself", 1)]
    assert blocked_in_html(html, csp.policy({"script-src": ["'self'"]}, "site.toml")) == []
