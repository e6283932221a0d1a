"""Three blogs as their engines keep them (tests/fixtures/blogs), rendered with zero edits.

Each fixture's expected.json says what its own engine made of it: for Jekyll
and Hugo, from real builds with Debian's jekyll 4.3.1 and hugo 0.111.3; for
Zola, from its documentation and source (see the fixtures' README).  The
tests hold eblog to it: every post at its engine's URL (or answering 301 to
the new one), drafts left out, the same dates, bundle and site files
published, internal links resolved to the same pages, every line of every
code block on the page, and a warning with file:line for what eblog cannot
know (site-defined shortcodes) or the policy will block.
"""

import contextlib
import datetime as dt
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from cmd.buildindex.index import build_index
from cmd.rendermd.__main__ import main as rendermd_main
from cmd.rendermd.conventions.paths import canonical

Json = dict[str, Any]  # a parsed JSON object (manifest, expected.json): its shape is what the tests check

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "blogs"
# (engine, the folder rendermd is pointed at, relative to the fixture)
TREES = [("jekyll", "_posts"), ("jekyll", "."), ("hugo", "content"), ("zola", "content")]
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1[`~]*[ \t]*$", re.M | re.S)
LIQUID_BLOCK = re.compile(r"\{%-?\s*highlight[^%]*%\}\n?(.*?)\{%-?\s*endhighlight\s*-?%\}", re.S)
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Built:
    engine: str
    site: Path  # the fixture's root
    articles: Path
    out: Path
    expected: Json
    manifest: Json
    stderr: list[str]

    def relative(self, name: str) -> str:
        """A post's key in expected.json (relative to the site) from its name under ARTICLES."""
        return (self.articles / name).relative_to(self.site).as_posix()

    def page_text(self, url: str) -> str:
        path = self.out / (url[1:] + "index.html" if url.endswith("/") else url[1:] + ".html")
        return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=TREES, ids=[f"{engine}:{folder}" for engine, folder in TREES])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    engine, folder = request.param
    site = FIXTURES / engine
    articles = (site / folder).resolve()
    out = tmp_path_factory.mktemp(f"{engine}-out")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = rendermd_main([str(articles), str(out)])
    assert status == 0, stderr.getvalue()
    build_index(out)
    manifest = json.loads((out / ".eblog" / "manifest.json").read_text(encoding="utf-8"))
    expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
    return Built(engine, site, articles, out, expected, manifest, stderr.getvalue().splitlines())


def expected_posts(built: Built) -> dict[str, Json]:
    """The posts this tree holds: a Jekyll _posts folder has neither travel/_posts nor _drafts."""
    posts: dict[str, Json] = built.expected["posts"]
    if built.engine == "jekyll" and built.articles.name == "_posts":
        return {name: post for name, post in posts.items() if name.startswith("_posts/")}
    return posts


def ours(built: Built) -> dict[str, Json]:
    return {built.relative(article["source"]): article for article in built.manifest["articles"]}


def redirects(built: Built) -> dict[str, str]:
    lines = (built.out / "_redirects").read_text(encoding="utf-8").splitlines()
    return {unquote(old): unquote(new) for old, new, _ in (line.split() for line in lines if not line.startswith("#"))}


def test_the_engine_is_detected_and_said_once(built: Built) -> None:
    assert built.manifest["convention"] == built.engine
    said = [line for line in built.stderr if line.startswith(f"rendermd: {built.articles}: ")]
    assert len(said) == 1


def test_every_published_post_is_rendered_and_no_draft(built: Built) -> None:
    published = {name for name, post in expected_posts(built).items() if not post["draft"]}
    drafts = {name for name, post in expected_posts(built).items() if post["draft"]}
    rendered = set(ours(built)) - set(built.expected.get("pages", {}))
    assert rendered == published
    assert not rendered & drafts


def test_every_post_keeps_its_url_or_answers_301_to_the_new_one(built: Built) -> None:
    """The engine's URL is ours, or the server's clean-URL rule (x.html at /x) or _redirects lead there."""
    rules = redirects(built)
    for name, post in expected_posts(built).items():
        if post["draft"]:
            continue
        url = ours(built)[name]["url"]
        old = unquote(post["url"])
        assert canonical(old) == url or rules.get(old) == url, (name, old, url)


def test_every_old_url_answers_301_to_the_page(built: Built) -> None:
    rules = redirects(built)
    for name, post in expected_posts(built).items():
        if not post["draft"]:
            for old in post["old_urls"]:
                assert rules.get(unquote(old)) == ours(built)[name]["url"], (name, old)


def test_dates_are_the_engines(built: Built) -> None:
    for name, post in expected_posts(built).items():
        if post["draft"] or post["date"] is None or post["date"].startswith("0001-"):
            continue  # Hugo's zero date is "no date": an undated page
        ours_date = ours(built)[name]["date"]
        assert dt.datetime.fromisoformat(ours_date) == dt.datetime.fromisoformat(post["date"]), name


def test_pages_without_a_date_are_rendered_but_not_listed(built: Built) -> None:
    undated = [name for name, post in expected_posts(built).items() if not post["draft"] and not post["date"]]
    undated += [name for name, post in expected_posts(built).items() if (post["date"] or "").startswith("0001-")]
    undated += list(built.expected.get("pages", {})) if built.articles == built.site else []
    for name in undated:
        article = ours(built)[name]
        assert article["date"] is None
        built.page_text(article["url"])
        assert article["url"] not in (built.out / "atom.xml").read_text(encoding="utf-8")


def test_bundle_and_site_files_are_published_where_the_engine_put_them(built: Built) -> None:
    files = built.expected.get("bundle_files", []) + built.expected.get("site_files", [])
    if built.engine == "jekyll" and built.articles.name == "_posts":
        files = [f for f in files if f not in ("/assets/images/harbour.png",)] + ["/assets/images/harbour.png"]
    for url in files:
        assert (built.out / unquote(url).lstrip("/")).is_file(), url


def code_lines(text: str) -> list[str]:
    blocks = [match.group(2) for match in FENCE.finditer(text)] + LIQUID_BLOCK.findall(text)
    return [line.expandtabs(4) for block in blocks for line in block.splitlines() if line.strip()]


def visible(page: str) -> str:
    return html.unescape(TAG.sub("", page))


def test_no_line_of_code_is_lost(built: Built) -> None:
    checked = 0
    for name, article in ours(built).items():
        source = (built.site / name).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        text = visible(built.page_text(article["url"]))
        for line in code_lines(source):
            if "{%" in line or "{{" in line:  # a Liquid or shortcode example, shown in its rendered form
                continue
            assert line.strip() in text, (name, line)
            checked += 1
    assert checked > 10


def test_internal_links_point_at_the_same_pages(built: Built) -> None:
    for name, _, _, href in built.expected.get("internal_links", []):
        if name not in ours(built):
            continue
        page = built.page_text(ours(built)[name]["url"])
        target = unquote(urlsplit(href).path)
        fragment = urlsplit(href).fragment
        wanted = canonical(target) + (f"#{fragment}" if fragment else "")
        assert f'href="{wanted}"' in page, (name, wanted)


def test_unknown_shortcodes_are_warnings_with_file_and_line(built: Built) -> None:
    for name, line in built.expected.get("unknown_shortcodes", []):
        if name in ours(built):
            location = f"{built.site / name}:{line}: warning:"
            assert [w for w in built.stderr if location in w and "not supported" in w], location


def test_what_the_policy_blocks_is_one_warning_per_page_naming_each_line(built: Built) -> None:
    for name, items in built.expected.get("csp_blocked", {}).items():
        if name not in ours(built):
            continue
        [warning] = [w for w in built.stderr if f"{built.site / name}:" in w and "Content-Security-Policy" in w]
        for _, line in items:
            assert f"(line {line})" in warning, (name, line, warning)


def test_custom_and_repeated_heading_ids(built: Built) -> None:
    for name, post in expected_posts(built).items():
        ids = post.get("heading_ids")
        if not ids or post["draft"]:
            continue
        page = built.page_text(ours(built)[name]["url"])
        found = re.findall(r'<h[1-6] id="([^"]+)"', page)
        if built.engine == "hugo":  # Hugo's ids are GitHub's, as ours are
            assert found == ids
        else:  # kramdown and Zola punctuate differently; custom ids and repeats still agree
            assert [i for i in found if i in ids] == [i for i in ids if i in found]
            assert len(set(found) & set(ids)) >= min(2, len(ids))
