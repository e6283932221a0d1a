"""The running preview (a real process, real sockets): what it serves, and how each kind of save reaches it."""

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.server_process import start_server
from tests.preview.preview_support import REPO, Preview, copy_articles, settled, start_preview

PREVIEW_BITS = re.compile(
    r'<link rel="stylesheet" href="/__preview/preview.css">\n'
    r'|<script src="/__preview/reload.js" data-version="[0-9a-f]+" defer></script>\n'
)
# These tests edit a copy of the real articles/, which the Docker build has not copied when it runs the tests.
pytestmark = pytest.mark.articles
SAME_HEADERS = ("content-type", "cache-control", "vary", "location", "x-content-type-options", "referrer-policy")


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    running = start_preview(copy_articles(tmp_path / "articles"), tmp_path)
    yield running
    assert running.stop() == 0


def production_zip(articles: Path, work: Path) -> Path:
    """rendermd, buildindex and prezip, as ./scripts/serve runs them."""
    out, archive = work / "out", work / "assets.zip"
    for command in (
        ["cmd.rendermd", str(articles), str(out)],
        ["cmd.buildindex", str(out)],
        ["cmd.prezip", str(out), "-o", str(archive)],
    ):
        subprocess.run([sys.executable, "-m", *command], cwd=REPO, check=True, capture_output=True)
    return archive


def test_every_address_answers_as_production_does(tmp_path: Path) -> None:
    articles = copy_articles(tmp_path / "articles")
    archive = production_zip(articles, tmp_path)
    paths = ["/", "/no-such-page", "/introduction.html", "/introduction/", "/index.html", "/tags/", "/archive.html"]
    paths += ["/" + name.removesuffix(".html") for name in zipfile.ZipFile(archive).namelist() if name[0] != "_"]
    production = start_server(tmp_path, ["--zip", str(archive)])
    preview = start_preview(articles, tmp_path, "--no-drafts")
    try:
        for path in paths:
            theirs = httpx.get(production.url + path, headers={"accept-encoding": "gzip"})
            ours = preview.get(path, **{"accept-encoding": "gzip"})
            assert ours.status_code == theirs.status_code, path
            for name in SAME_HEADERS:
                assert ours.headers.get(name) == theirs.headers.get(name), (path, name)
            if ours.headers.get("content-type", "").startswith("text/html"):
                assert PREVIEW_BITS.sub("", ours.text) == theirs.text, path
            else:
                assert ours.content == theirs.content, path
            policy = ours.headers["content-security-policy"]
            assert policy == theirs.headers["content-security-policy"] + "; script-src 'self'; connect-src 'self'"
    finally:
        production.stop()
        assert preview.stop() == 0


def test_an_edit_is_served_and_only_its_page_is_told_to_reload(preview: Preview) -> None:
    article = preview.articles / "introduction.md"
    shown = {path: preview.version(path) for path in ("/introduction", "/docker-build-benchmark")}
    article.write_text(article.read_text() + "\nA sentence added while the preview runs.\n")
    preview.wait_for(lambda: preview.serves("/introduction", "A sentence added while"), "the edit served")
    assert "event: reload" in preview.events("/introduction", shown["/introduction"])
    with pytest.raises(httpx.ReadTimeout):  # held: nothing changed on that page
        preview.events("/docker-build-benchmark", shown["/docker-build-benchmark"], timeout=1.5)
    settled(preview)
    assert preview.builds()[-2].startswith("preview: rebuilt introduction.html in ")
    assert preview.builds()[-1].startswith("preview: rebuilt the site in ")


def test_bad_front_matter_keeps_the_last_good_page_and_shows_where_until_fixed(preview: Preview) -> None:
    article = preview.articles / "introduction.md"
    good = article.read_text()
    version = preview.version("/introduction")
    article.write_text(good.replace('title: "Introducing', 'title: [broken "Introducing', 1))
    where = re.compile(rf"^preview: error: {re.escape(str(article))}:3: malformed YAML front matter: ")
    preview.wait_for(lambda: any(where.match(line) for line in preview.lines()), "the problem reported")
    line = next(line for line in preview.lines() if where.match(line))
    assert preview.serves("/introduction", "Introducing eblog")
    told = preview.events("/introduction", version)
    assert "event: problems" in told and line.removeprefix("preview: error: ") in told.replace('\\"', '"')
    last_id = re.search(r"^id: (\w+)$", told, re.M)
    assert last_id is not None
    article.write_text(good + "\nFixed.\n")
    preview.wait_for(lambda: preview.serves("/introduction", "Fixed."), "the fix served")
    assert "event: reload" in preview.events("/introduction", version, last_id.group(1))
    new_version = preview.version("/introduction")
    cleared = preview.events("/introduction", new_version, last_id.group(1))
    assert "event: problems" in cleared and '"lines": []' in cleared
    assert "preview: the problems are fixed" in preview.lines()


def test_a_link_to_no_page_is_reported_with_its_line(tmp_path: Path) -> None:
    content = tmp_path / "site" / "content"
    (content / "posts").mkdir(parents=True)
    (tmp_path / "site" / "hugo.toml").write_text('title = "t"\n')
    post = content / "posts" / "one.md"
    post.write_text('---\ntitle: One\ndate: 2024-01-01\n---\nSee [two]({{< ref "two.md" >}}).\n')
    (content / "posts" / "two.md").write_text("---\ntitle: Two\ndate: 2024-01-02\n---\nTwo.\n")
    preview = start_preview(content, tmp_path)
    try:
        (content / "posts" / "two.md").unlink()
        preview.wait_for(lambda: any("finds no page" in line for line in preview.lines()), "the broken link reported")
        assert f"preview: error: {post}:5: link to 'two.md' finds no page" in preview.lines()
        assert preview.serves("/posts/one/", "One")
    finally:
        assert preview.stop() == 0


def test_every_editors_way_of_saving_is_one_change(preview: Preview) -> None:
    article = preview.articles / "introduction.md"
    text = article.read_text()
    settled(preview)
    builds = len(preview.builds())
    # Swap files, backups and vim's write test alone build nothing.
    for name in (".introduction.md.swp", "introduction.md~", "4913", "#introduction.md#", ".#introduction.md"):
        (preview.articles / name).write_text("x")
        (preview.articles / name).unlink()
    settled(preview)
    assert len(preview.builds()) == builds
    # vim: the original renamed to a backup, the new text written, the backup removed.
    os.rename(article, preview.articles / "introduction.md~")
    article.write_text(text + "\nSaved the vim way.\n")
    (preview.articles / "introduction.md~").unlink()
    preview.wait_for(lambda: preview.serves("/introduction", "Saved the vim way."), "vim's save")
    # JetBrains and VS Code: a temp file renamed over the article.
    temp = preview.articles / "introduction.md___jb_tmp___"
    temp.write_text(text + "\nSaved through a temp file.\n")
    os.replace(temp, article)
    preview.wait_for(lambda: preview.serves("/introduction", "Saved through a temp file."), "the temp file's save")
    settled(preview)
    kinds = [line.split(" in ")[0] for line in preview.builds()[builds:]]
    assert kinds.count("preview: rebuilt introduction.html") == 2  # one page build per save
    assert set(kinds) == {"preview: rebuilt introduction.html", "preview: rebuilt the site"}
    assert kinds[-1] == "preview: rebuilt the site"  # lists and feeds caught up


def test_deletes_renames_and_new_folders(preview: Preview) -> None:
    version = preview.version("/introduction")
    (preview.articles / "introduction.md").rename(preview.articles / "welcome.md")
    preview.wait_for(lambda: preview.serves("/welcome", "Introducing eblog"), "the renamed article served")
    assert preview.get("/introduction").status_code == 404
    assert '"location": "/welcome"' in preview.events("/introduction", version)
    (preview.articles / "zip-as-precompressed-store.md").unlink()
    preview.wait_for(lambda: preview.get("/zip-as-precompressed-store").status_code == 404, "the deleted article 404")
    folder = preview.articles / "notes"
    folder.mkdir()
    (folder / "first.md").write_text("---\ntitle: First note\ndate: 2026-01-05\n---\nIn a new folder.\n")
    preview.wait_for(lambda: preview.serves("/notes/first", "In a new folder."), "the new folder's article")
    assert preview.serves("/notes/", "First note")


def test_a_save_that_changes_nothing_is_said_but_is_no_build(preview: Preview) -> None:
    settled(preview)
    builds = preview.builds()
    chart = preview.articles / "static" / "docker-build-benchmark.svg"
    chart.write_bytes(chart.read_bytes())
    preview.wait_for(lambda: any(line.startswith("preview: nothing changed (") for line in preview.lines()), "the word")
    assert preview.builds() == builds


def test_drafts_and_future_dates_are_marked_on_the_page(preview: Preview) -> None:
    (preview.articles / "later.md").write_text("---\ntitle: Later\ndate: 2999-05-01\n---\nNot yet.\n")
    preview.wait_for(lambda: preview.serves("/later", "Not yet."), "the future-dated article")
    assert '<p class="eblog-preview-mark" role="note"><strong>Dated in the future</strong> (1 May 2999)' in (
        preview.get("/later").text
    )
    draft = preview.get("/draft-ideas").text
    assert '<p class="eblog-preview-mark" role="note"><strong>Draft</strong>' in draft
    assert "eblog-preview-mark" not in preview.get("/introduction").text


def test_no_drafts_leaves_them_out(tmp_path: Path) -> None:
    preview = start_preview(copy_articles(tmp_path / "articles"), tmp_path, "--no-drafts")
    try:
        assert preview.get("/draft-ideas").status_code == 404
        assert "(drafts left out)" in preview.lines()[-1]
    finally:
        assert preview.stop() == 0


def test_a_host_other_than_loopback_is_warned_about(tmp_path: Path) -> None:
    preview = start_preview(copy_articles(tmp_path / "articles"), tmp_path, "--host", "0.0.0.0")
    try:
        assert preview.lines()[0] == (
            "preview: warning: --host 0.0.0.0 lets other machines reach the preview, drafts included; "
            "127.0.0.1 keeps it here"
        )
    finally:
        assert preview.stop() == 0


def test_a_busy_port_is_one_line(tmp_path: Path, preview: Preview) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cmd.preview", str(preview.articles), "--port", str(preview.port)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == f"preview: error: cannot listen on 127.0.0.1:{preview.port}: Address already in use\n"


def test_quiet_says_only_errors_and_warnings(tmp_path: Path) -> None:
    articles = copy_articles(tmp_path / "articles")
    preview = start_preview(articles, tmp_path, "-q")
    try:
        article = articles / "introduction.md"
        article.write_text(article.read_text().replace("Introducing eblog", "Introducing eblog, quietly", 1))
        preview.wait_for(lambda: preview.serves("/introduction", "Introducing eblog, quietly"), "the edit served")
        article.write_text("---\ntitle: [unclosed\n---\nBroken.\n")
        preview.wait_for(lambda: any(": error: " in line or "error:" in line for line in preview.lines()), "the error")
    finally:
        assert preview.stop() == 0
    lines = preview.lines()
    assert not [line for line in lines if line.startswith(("preview: rebuilt", "preview: nothing changed"))], lines
    assert any(line.startswith("preview: error: ") and "introduction.md" in line for line in lines), lines
