"""rendermd: the pages it writes, bad input, incremental runs and drafts."""

import hashlib
import os
import re
from pathlib import Path
from typing import NoReturn

import pytest

from cmd.rendermd import build, pages
from cmd.rendermd.__main__ import main
from cmd.rendermd.build import render_site
from cmd.rendermd.fragment import Fragment
from cmd.shared import files
from tests.tools.tools_support import DRAFT, PUBLISHED, BuiltSite, check_html, snapshot, write_article


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, list[str]]:
    """Run rendermd's command line in-process: (exit status, stderr lines)."""
    status = main([str(arg) for arg in args])
    return status, capsys.readouterr().err.splitlines()


def page_times(out: Path) -> dict[str, int]:
    return {path.stem: path.stat().st_mtime_ns for path in out.glob("*.html")}


# --- the pages -------------------------------------------------------------


def test_one_page_per_published_article_and_none_for_drafts(built_site: BuiltSite) -> None:
    assert sorted(path.stem for path in built_site.out.glob("*.html")) == sorted(
        [*PUBLISHED, "404", "archive", "index", "tags"]
    )
    assert not (built_site.out / f"{DRAFT}.html").exists()


def test_every_page_is_well_formed_html(built_site: BuiltSite) -> None:
    pages = sorted(built_site.out.rglob("*.html"))
    assert len(pages) > len(PUBLISHED)
    for page in pages:
        assert (page.name, check_html(page.read_text(encoding="utf-8")).problems) == (page.name, [])


def test_article_page_has_title_byline_date_tags_and_reading_time(built_site: BuiltSite) -> None:
    html = (built_site.out / "alpha.html").read_text(encoding="utf-8")
    assert "<h1>Tom &amp; Jerry &lt;3 code</h1>" in html  # autoescaped
    assert "<3 code" not in html
    assert "By Ada" in html
    assert '<time datetime="2001-01-10T00:00:00+00:00" title="10 January 2001">January 2001</time>' in html
    assert re.search(r"· \d+ min read", html)
    for tag in ("docker-compose", "python"):
        assert f'<a href="/tags/{tag}">{tag}</a>' in html
    assert '<meta name="description" content="Cats, mice &amp; &lt;angle&gt; brackets.">' in html


def test_article_page_links_to_feeds_license_stylesheet_and_all_articles(built_site: BuiltSite) -> None:
    html = (built_site.out / "delta.html").read_text(encoding="utf-8")
    for kind, href in (("atom+xml", "/atom.xml"), ("rss+xml", "/rss.xml"), ("feed+json", "/feed.json")):
        assert f'<link rel="alternate" type="application/{kind}"' in html and f'href="{href}"' in html
    assert 'rel="license" href="https://creativecommons.org/licenses/by/4.0/"' in html
    sheet = re.search(r'<link rel="stylesheet" href="/(static/style\.[0-9a-f]{10}\.css)">', html)
    assert sheet and (built_site.out / sheet.group(1)).is_file()
    assert '<a href="/">All articles</a>' in html
    assert "<script" not in html


def test_stylesheet_is_named_by_its_content_and_has_dark_mode_and_highlighting(built_site: BuiltSite) -> None:
    [sheet] = (built_site.out / "static").glob("style.*.css")
    data = sheet.read_bytes()
    assert sheet.name == f"style.{hashlib.sha256(data).hexdigest()[:10]}.css"  # cacheable as immutable
    css = data.decode()
    assert "@media (prefers-color-scheme: dark)" in css
    assert re.search(r"@media \(max-width: [^)]+\)", css)  # small screens
    assert ".highlight .k {" in css  # Pygments' classes, generated at build time


def test_neighbours_are_linked_by_clean_urls(built_site: BuiltSite) -> None:
    html = (built_site.out / "delta.html").read_text(encoding="utf-8")
    assert '<a rel="next" href="/epsilon">Newer: Epsilon</a>' in html
    assert '<a rel="prev" href="/gamma-page">Older: Gamma</a>' in html
    for page in built_site.out.glob("*.html"):
        hrefs = re.findall(r'href="(/[^"]*)"', page.read_text(encoding="utf-8"))
        assert not [href for href in hrefs if href.endswith(".html")], page.name


def test_series_part_and_table_of_contents(built_site: BuiltSite) -> None:
    beta = (built_site.out / "beta.html").read_text(encoding="utf-8")
    assert "Part 1 of 2 in the series <strong>Guide</strong>" in beta
    assert '<a href="/gamma-page">Gamma</a>' in beta
    toc = re.search(r'<nav class="toc".*?</nav>', beta, re.S)
    assert toc is not None
    assert re.findall(r'href="#([^"]+)"', toc.group(0)) == ["first-section", "a-subsection", "second-section"]
    gamma = (built_site.out / "gamma-page.html").read_text(encoding="utf-8")
    assert "Part 2 of 2" in gamma
    assert "updated <time" in gamma
    assert 'class="toc"' not in gamma  # only on request
    assert not (built_site.out / "gamma.html").exists()  # the slug field wins over the file name


def test_article_body_keeps_highlighting_and_no_inline_styles(built_site: BuiltSite) -> None:
    html = (built_site.out / "alpha.html").read_text(encoding="utf-8")
    assert '<code class="language-python"><span class="ln" aria-hidden="true">1</span>' in html
    assert "&lt;raw&gt; &amp; stuff" in html
    assert "<s>old</s>" in html and "<table>" in html and 'class="footnotes"' in html
    assert "style=" not in html


# --- bad input -------------------------------------------------------------


def test_every_bad_file_is_reported_in_one_run_and_out_dir_is_untouched(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(capsys, sample_dir, out)[0] == 0
    before = snapshot(out)
    # A good edit that a run which went ahead would render...
    alpha = sample_dir / "alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    (sample_dir / "epsilon.md").unlink()
    # ...and one file for each kind of bad input.
    bad = {
        "no-front.md": ("Just text.\n", ":1: missing front matter"),
        "unclosed.md": ("---\ntitle: T\ndate: 2001-01-01\nbody\n", ":1: front matter opened"),
        "bad-yaml.md": ("---\ntitle: T\nauthor: a: b\ndate: 2001-01-01\n---\nx\n", ":3: malformed YAML"),
        "bad-toml.md": ("+++\ntitle = 'T'\ndate = 2001-01-01\ntags = [\n+++\nx\n", ":4: malformed TOML"),
        "no-title.md": ("---\ndate: 2001-01-01\n---\nx\n", ": front matter has no 'title'"),
        "bad-date.md": ("---\ntitle: T\ndate: 2001-02-30\n---\nx\n", ": invalid date"),
        "bad-date-text.md": ("---\ntitle: T\ndate: someday\n---\nx\n", ": invalid date"),
        "dup.md": ("---\ntitle: T\ndate: 2001-01-01\nslug: beta\n---\nx\n", ": URL /beta is already taken by"),
    }
    for name, (text, _) in bad.items():
        (sample_dir / name).write_text(text, encoding="utf-8")
    (sample_dir / "latin1.md").write_bytes("---\ntitle: Café\n".encode("latin-1"))
    bad["latin1.md"] = ("", ":2: not valid UTF-8")

    status, lines = run(capsys, sample_dir, out)

    assert status != 0
    assert len(lines) == len(bad), lines  # one line per bad file, all in this one run
    for name, (_, expected) in bad.items():
        [line] = [line for line in lines if line.startswith(f"rendermd: error: {sample_dir / name}:")]
        assert expected in line
    assert snapshot(out) == before  # same bytes, same mtimes: nothing written, nothing removed


def test_duplicate_slugs_name_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_article(tmp_path / "a", "one.md", "title: One\ndate: 2001-01-01\nslug: post\n")
    second = write_article(tmp_path / "a", "two.md", "title: Two\ndate: 2002-01-01\nslug: post\n")
    status, lines = run(capsys, tmp_path / "a", tmp_path / "out")
    assert status != 0
    assert lines == [f"rendermd: error: {second}: URL /post is already taken by {first}"]
    assert not (tmp_path / "out").exists()


def test_the_same_file_name_in_two_sections_gives_two_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(tmp_path / "a", "post.md", "title: Top\ndate: 2001-01-01\n")
    write_article(tmp_path / "a" / "inside-rust", "post.md", "title: Inside\ndate: 2002-01-01\n")
    status, _ = run(capsys, tmp_path / "a", tmp_path / "out")
    assert status == 0
    assert "<h1>Top</h1>" in (tmp_path / "out" / "post.html").read_text(encoding="utf-8")
    assert "<h1>Inside</h1>" in (tmp_path / "out" / "inside-rust" / "post.html").read_text(encoding="utf-8")


def test_missing_articles_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, tmp_path / "nowhere", tmp_path / "out")
    assert status != 0
    assert lines == [f"rendermd: error: {tmp_path / 'nowhere'}: articles directory not found"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("contents", [{}, {"notes.txt": "not an article", ".hidden/x.md": "---\n"}])
def test_empty_articles_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: dict[str, str]) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    for name, text in contents.items():
        (articles / name).parent.mkdir(parents=True, exist_ok=True)
        (articles / name).write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.html").write_text("old page")
    status, lines = run(capsys, articles, out)
    assert status != 0
    assert len(lines) == 1 and lines[0].startswith(f"rendermd: error: {articles}: no articles")
    assert [p.name for p in out.iterdir()] == ["kept.html"]


def test_a_file_in_place_of_out_dir_is_a_clear_error(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where OUT_DIR should be: one line naming it, never a traceback, and the file untouched."""
    (tmp_path / "out").write_text("not a directory")
    status, lines = run(capsys, sample_dir, tmp_path / "out")
    assert status != 0
    assert len(lines) == 1 and lines[0].startswith(f"rendermd: error: {tmp_path / 'out'}")
    assert (tmp_path / "out").read_text() == "not a directory"


def test_bad_site_settings_are_reported(sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (sample_dir / "site.toml").write_text('title = "Blog"\nfeed_size = "ten"\n')
    status, lines = run(capsys, sample_dir, tmp_path / "out")
    assert status != 0
    assert lines == [f"rendermd: error: {sample_dir / 'site.toml'}:2: setting 'feed_size' must be int"]


# --- incremental runs --------------------------------------------------------


def test_summary_line(sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, sample_dir, tmp_path / "out")
    assert status == 0
    assert len(lines) == 2
    assert lines[0] == f"rendermd: {sample_dir}: eblog's own layout; URLs like /:section/:slug"
    assert re.fullmatch(r"rendermd: 5 rendered, 0 unchanged, 0 removed, 1 drafts skipped in \d+\.\d\d s", lines[1])


def test_second_run_renders_nothing_and_touches_no_page(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = render_site(sample_dir, out)
    assert (first.rendered, first.unchanged, first.removed) == (5, 0, 0)
    pages = {name: data for name, data in snapshot(out).items() if not name.startswith(".")}
    second = render_site(sample_dir, out)
    assert (second.rendered, second.unchanged, second.removed) == (0, 5, 0)
    assert {name: data for name, data in snapshot(out).items() if not name.startswith(".")} == pages


def test_editing_a_body_rerenders_only_that_article(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    before = page_times(out)
    gamma = sample_dir / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")
    summary = render_site(sample_dir, out)
    assert (summary.rendered, summary.unchanged) == (1, 4)
    after = page_times(out)
    assert [slug for slug in PUBLISHED if after[slug] != before[slug]] == ["gamma-page"]
    assert "An added sentence." in (out / "gamma-page.html").read_text(encoding="utf-8")


def test_retitling_rerenders_the_neighbours_that_show_the_title(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    before = page_times(out)
    gamma = sample_dir / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8").replace("title: Gamma", "title: Gamma Two"), encoding="utf-8")
    summary = render_site(sample_dir, out)
    after = page_times(out)
    # delta (newer) and beta (older, and in the same series) show gamma's title; the rest do not.
    assert sorted(slug for slug in PUBLISHED if after[slug] != before[slug]) == ["beta", "delta", "gamma-page"]
    assert summary.rendered == 3
    assert "Older: Gamma Two" in (out / "delta.html").read_text(encoding="utf-8")
    assert "Newer: Gamma Two" in (out / "beta.html").read_text(encoding="utf-8")
    assert "A second paragraph." in (out / "delta.html").read_text(encoding="utf-8")  # body reused, not lost


def test_deleting_an_article_removes_its_page(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    before = page_times(out)
    (sample_dir / "delta.md").unlink()
    summary = render_site(sample_dir, out)
    assert summary.removed == 1
    assert not (out / "delta.html").exists()
    assert not (out / build.fragment_file("delta.md")).exists()
    after = page_times(out)
    assert sorted(slug for slug in after if after[slug] != before[slug]) == ["epsilon", "gamma-page"]
    assert "Older: Gamma" in (out / "epsilon.html").read_text(encoding="utf-8")


def test_a_page_deleted_from_out_dir_is_written_again(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    (out / "beta.html").unlink()
    assert render_site(sample_dir, out).rendered == 1
    assert (out / "beta.html").is_file()


def test_new_tools_rerender_everything(sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    monkeypatch.setattr(build, "tools_digest", lambda: "tools of another version")
    assert render_site(sample_dir, out).rendered == 5


def test_changed_site_settings_rerender_everything(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    (sample_dir / "site.toml").write_text('title = "Another title"\n')
    assert render_site(sample_dir, out).rendered == 5
    assert "· Another title</title>" in (out / "beta.html").read_text(encoding="utf-8")


def test_drafts_are_skipped_unless_asked_for(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    summary = render_site(sample_dir, out)
    assert summary.drafts == 1
    assert not (out / f"{DRAFT}.html").exists()

    status, lines = run(capsys, sample_dir, out, "--drafts")
    assert status == 0
    assert (out / f"{DRAFT}.html").is_file()
    assert lines[-1].startswith("rendermd: 2 rendered, 4 unchanged")  # the draft, and epsilon now has a newer

    summary = render_site(sample_dir, out)
    assert (summary.removed, summary.drafts) == (1, 1)
    assert not (out / f"{DRAFT}.html").exists()


def test_no_temporary_files_are_left(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_site(sample_dir, out)
    (sample_dir / "beta.md").unlink()
    render_site(sample_dir, out)
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []


def test_an_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.html"
    page.write_text("old page")

    def interrupted(src: str, dst: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(page, b"new page")
    assert page.read_text() == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_progress_is_shown_only_for_long_runs_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    long = pages.PROGRESS_THRESHOLD
    results = [Fragment(f"key{n}", "", (), 1, "", (), ()) for n in range(long)]
    assert list(pages._with_progress(iter(results), long, True)) == results
    shown = capsys.readouterr().err
    assert shown.endswith(f"\rrendermd: {long}/{long} pages\n")
    list(pages._with_progress(iter(results), long, False))  # not a terminal
    list(pages._with_progress(iter(results[:5]), 5, True))  # too short to bother
    assert capsys.readouterr().err == ""


def test_a_run_that_dies_while_writing_leaves_no_stale_page_behind(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are written before the cache: a crash between the two must not let the next
    run trust the old cache for pages that were overwritten."""
    out = tmp_path / "out"
    article = sample_dir / "beta.md"
    original = article.read_text()
    render_site(sample_dir, out)
    article.write_text(original.replace("Beta", "Beta edited"))

    def crash(*args: object) -> NoReturn:
        raise KeyboardInterrupt

    build_pages = pages.build_pages
    monkeypatch.setattr(pages, "build_pages", lambda *a: [*build_pages(*a), crash()])
    with pytest.raises(KeyboardInterrupt):
        render_site(sample_dir, out)
    monkeypatch.undo()
    assert "Beta edited" in (out / "beta.html").read_text()

    article.write_text(original)  # back to what the old cache described
    render_site(sample_dir, out)
    assert "Beta edited" not in (out / "beta.html").read_text()


def test_static_files_beside_the_articles_are_copied_kept_in_step_and_removed(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    images = sample_dir / "static" / "img"
    images.mkdir(parents=True)
    (images / "logo.png").write_bytes(b"\x89PNG first")
    (sample_dir / "static" / "notes.md").write_text("not an article: no front matter\n")
    render_site(sample_dir, out)
    assert (out / "static" / "img" / "logo.png").read_bytes() == b"\x89PNG first"
    assert (out / "static" / "notes.md").exists() and not (out / "notes.html").exists()

    (images / "logo.png").write_bytes(b"\x89PNG second")
    render_site(sample_dir, out)
    assert (out / "static" / "img" / "logo.png").read_bytes() == b"\x89PNG second"

    (images / "logo.png").unlink()
    render_site(sample_dir, out)
    assert not (out / "static" / "img" / "logo.png").exists()
    assert list((out / "static").glob("style.*.css")), "the stylesheet stays"


def test_a_symlink_out_of_the_articles_is_refused_and_publishes_nothing(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    (sample_dir / "static").mkdir()
    (sample_dir / "static" / "leak.txt").symlink_to(secret)
    status, lines = run(capsys, sample_dir, tmp_path / "out")
    assert status == 1
    message = f"a link to {secret}, outside {sample_dir / 'static'}: copy the file in instead"
    assert lines == [f"rendermd: error: {sample_dir / 'static' / 'leak.txt'}: {message}"]
    assert not (tmp_path / "out" / "static" / "leak.txt").exists()


def test_a_symlink_inside_the_articles_is_copied_as_its_target(sample_dir: Path, tmp_path: Path) -> None:
    (sample_dir / "static").mkdir()
    (sample_dir / "static" / "real.txt").write_text("inside\n")
    (sample_dir / "static" / "alias.txt").symlink_to(sample_dir / "static" / "real.txt")
    render_site(sample_dir, tmp_path / "out")
    assert (tmp_path / "out" / "static" / "alias.txt").read_text() == "inside\n"
    assert not (tmp_path / "out" / "static" / "alias.txt").is_symlink()


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:30:00+14:00"])
def test_a_date_no_output_can_show_is_one_error_at_render_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], date: str
) -> None:
    path = write_article(tmp_path / "a", "far.md", f"title: Far\ndate: {date}\n")
    status, lines = run(capsys, tmp_path / "a", tmp_path / "out")
    assert status == 1
    assert lines == [
        f"rendermd: error: {path}:3: date {date.replace('T', ' ')} is out of range: use a year from 1 to 9999"
    ]


@pytest.mark.parametrize("date", ["9999-12-30", "0001-01-02T00:00:00+00:00"])
def test_the_extreme_dates_accepted_work_through_every_output(tmp_path: Path, date: str) -> None:
    from cmd.buildindex.index import build_index

    write_article(tmp_path / "a", "edge.md", f"title: Edge\ndate: {date}\n")
    render_site(tmp_path / "a", tmp_path / "out")
    build_index(tmp_path / "out")
    assert "Edge" in (tmp_path / "out" / "rss.xml").read_text(encoding="utf-8")


def children_of(pid: int) -> set[int]:
    try:
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


def test_kill_9_of_rendermd_leaves_no_worker_behind(tmp_path: Path) -> None:
    """Render workers die with their parent, even when it gets no chance to stop them."""
    import signal
    import subprocess
    import sys
    import time

    body = "Words and more words. " * 100 + "\n\n```python\nx = 1\n```\n"
    for n in range(300):
        write_article(tmp_path / "a", f"p{n:03d}.md", f"title: P{n}\ndate: 2001-01-01\n", body)
    process = subprocess.Popen(
        [sys.executable, "-m", "cmd.rendermd", "-j", "2", str(tmp_path / "a"), str(tmp_path / "out")],
        cwd=Path(__file__).resolve().parents[2],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while not workers and time.monotonic() < deadline and process.poll() is None:
        workers = children_of(process.pid)
        time.sleep(0.01)
    assert workers, "rendermd finished before its workers could be seen: give it more work"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.05)
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
    # The half-written site is marked: prezip refuses it until rendermd has run to the end.
    refused = subprocess.run(
        [sys.executable, "-m", "cmd.prezip", str(tmp_path / "out"), "-o", str(tmp_path / "site.zip")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "interrupted build (rendermd)" in refused.stderr
    assert not (tmp_path / "site.zip").exists()


def test_a_page_with_too_much_code_warns_once_with_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    block = "```python\n" + "x = 1\n" * 12_000 + "```\n\n"  # 72,000 characters of code each
    article = write_article(tmp_path / "a", "big.md", "title: Big\ndate: 2001-01-01\n", block * 3)
    status, lines = run(capsys, tmp_path / "a", tmp_path / "out")
    assert status == 0
    expected = (
        f"rendermd: {article}: warning: 2 of its code blocks come after the first 131,072 characters"
        " of code: shown unhighlighted"
    )
    assert [line for line in lines if ": warning: " in line] == [expected]


def test_code_blocks_kept_by_another_version_of_the_tools_are_dropped(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    other = out / ".eblog" / "highlighted" / "0123456789abcdef"
    other.mkdir(parents=True)
    (other / "block").write_bytes(b"highlighted by other tools")
    render_site(sample_dir, out)
    [kept] = (out / ".eblog" / "highlighted").iterdir()
    assert kept.name != other.name
    assert any(kept.iterdir())  # the sample's code blocks, kept by these tools


def test_templates_compiled_by_another_version_of_the_tools_are_dropped(sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    other = out / ".eblog" / "compiled-templates" / "0123456789abcdef-article.cache"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"compiled by other tools")
    render_site(sample_dir, out)
    names = [path.name for path in other.parent.iterdir()]
    assert names  # what these tools compiled
    assert other.name not in names
