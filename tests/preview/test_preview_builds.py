"""How the preview builds: a checkout is one build, one page built equals a full build, nothing leaks out."""

import json
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from cmd.preview import inject
from cmd.preview.builder import Builder
from cmd.preview.loop import moved_pages
from cmd.preview.watch import Relevant, git_lock
from cmd.rendermd.build import render_site
from server.headers_file import policy_in
from tests.preview.preview_support import REPO, copy_articles, settled, start_preview

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

ARTICLE = "---\ntitle: Article {n}\ndate: 2025-01-{day:02d}\n---\n{text} {n}.\n"


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_a_git_checkout_of_300_files_is_one_build(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed (the Docker build stage has none; CI's machine has)")
    articles = tmp_path / "repo" / "articles"
    articles.mkdir(parents=True)
    for n in range(300):
        (articles / f"a{n:03d}.md").write_text(ARTICLE.format(n=n, day=1 + n % 28, text="First words of"))
    git(tmp_path / "repo", "init", "-q", "-b", "main")
    git(tmp_path / "repo", "add", "-A")
    git(tmp_path / "repo", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-qm", "first")
    git(tmp_path / "repo", "checkout", "-qb", "second")
    for n in range(300):
        (articles / f"a{n:03d}.md").write_text(ARTICLE.format(n=n, day=1 + n % 28, text="Second words of"))
    git(tmp_path / "repo", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-qam", "second")
    git(tmp_path / "repo", "checkout", "-q", "main")
    preview = start_preview(articles, tmp_path)
    try:
        before = len(preview.builds())
        git(tmp_path / "repo", "checkout", "-q", "second")
        preview.wait_for(lambda: preview.serves("/a299", "Second words of 299"), "the checkout served", 60)
        settled(preview, 1.0)
        assert all(preview.serves(f"/a{n:03d}", f"Second words of {n}.") for n in range(0, 300, 37))
        builds = preview.builds()[before:]
        assert len(builds) == 1, builds
        assert builds[0].endswith("(300 pages rendered)")
    finally:
        assert preview.stop() == 0


def test_changes_made_while_git_holds_its_lock_wait_for_it(tmp_path: Path) -> None:
    """A slow git operation, played by hand: files change in bursts a second apart while index.lock exists."""
    articles = tmp_path / "repo" / "articles"
    articles.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    for n in range(9):
        (articles / f"a{n}.md").write_text(ARTICLE.format(n=n, day=1 + n, text="First words of"))
    preview = start_preview(articles, tmp_path)
    try:
        before = len(preview.builds())
        lock = tmp_path / "repo" / ".git" / "index.lock"
        lock.write_text("")
        for n in range(9):
            (articles / f"a{n}.md").write_text(ARTICLE.format(n=n, day=1 + n, text="Second words of"))
            if n % 3 == 2:
                time.sleep(1)
        assert len(preview.builds()) == before
        lock.unlink()
        preview.wait_for(lambda: preview.serves("/a8", "Second words of 8"), "the changes served")
        settled(preview)
        assert len(preview.builds()) == before + 1, preview.builds()
    finally:
        assert preview.stop() == 0


@pytest.mark.articles  # edits a copy of articles/
def test_a_one_page_build_writes_what_a_full_build_writes(tmp_path: Path) -> None:
    articles = copy_articles(tmp_path / "articles")
    builder = Builder(articles, tmp_path / "preview-out", drafts=True)
    assert builder.site().problems == ()
    article = articles / "introduction.md"
    article.write_text(article.read_text() + "\nOne more paragraph, with a [link](/archive).\n")
    outcome = builder.pages([article])
    assert outcome is not None and outcome.written == ("introduction.html",)
    render_site(articles, tmp_path / "full-out", drafts=True)
    page = (tmp_path / "preview-out" / "introduction.html").read_bytes()
    assert b"One more paragraph" in page
    assert page == (tmp_path / "full-out" / "introduction.html").read_bytes()


@pytest.mark.articles  # edits a copy of articles/
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('title: "Introducing', 'title: "Presenting'),
        ("date: 2026-03-10", "date: 2026-03-11"),
        ("tags: [", "tags: [x, "),
    ],
)
def test_a_front_matter_change_is_left_to_a_full_build(tmp_path: Path, old: str, new: str) -> None:
    articles = copy_articles(tmp_path / "articles")
    builder = Builder(articles, tmp_path / "out", drafts=True)
    builder.site()
    article = articles / "introduction.md"
    article.write_text(article.read_text().replace(old, new, 1))
    assert builder.pages([article]) is None
    assert not builder.can_render_pages([articles / "no-such.md"])


@pytest.mark.articles  # edits a copy of articles/
def test_the_preview_leaves_no_trace_in_articles_or_in_the_production_zip(tmp_path: Path) -> None:
    articles = copy_articles(tmp_path / "articles")
    before = {path: path.read_bytes() if path.is_file() else None for path in sorted(articles.rglob("*"))}
    preview = start_preview(articles, tmp_path)
    try:
        assert "/__preview/reload.js" in preview.get("/introduction").text
        assert "eblog-preview-mark" in preview.get("/draft-ideas").text
    finally:
        assert preview.stop() == 0
    assert {path: path.read_bytes() if path.is_file() else None for path in sorted(articles.rglob("*"))} == before
    out, archive = tmp_path / "out", tmp_path / "assets.zip"
    for command in (["cmd.rendermd", articles, out], ["cmd.buildindex", out], ["cmd.prezip", out, "-o", archive]):
        subprocess.run([sys.executable, "-m", *map(str, command)], cwd=REPO, check=True, capture_output=True)
    with zipfile.ZipFile(archive) as zipped:
        contents = {name: zipped.read(name) for name in zipped.namelist()}
    for name, data in contents.items():
        for trace in (b"__preview", b"eblog-preview", b"data-version", b"reload.js", b"EventSource"):
            assert trace not in data, (name, trace)
    assert "draft-ideas.html" not in contents
    policy = policy_in(contents["_headers"].decode())
    assert policy is not None and "script-src" not in policy and "connect-src" not in policy


def test_the_run_image_gets_neither_the_preview_nor_watchfiles() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["dependency-groups"]["serve"] == [
        "starlette>=0.47",
        "uvicorn>=0.35",
        "httptools>=0.6",
        "uvloop>=0.21",
    ]
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    wanted = [requirement["name"] for requirement in packages["eblog"]["dev-dependencies"]["serve"]]
    served: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in served:
            served.add(name)
            wanted += [dependency["name"] for dependency in packages[name].get("dependencies", [])]
    assert "watchfiles" in packages and "watchfiles" not in served
    for source in (REPO / "server").glob("*.py"):
        assert "cmd." not in source.read_text() and "__preview" not in source.read_text(), source


def test_the_policy_is_widened_only_by_what_the_script_needs() -> None:
    strict = "default-src 'none'; style-src 'self'; frame-ancestors 'none'"
    assert inject.widened(strict) == strict + "; script-src 'self'; connect-src 'self'"
    assert (
        inject.widened("default-src 'none'; script-src 'none'")
        == "default-src 'none'; script-src 'self'; connect-src 'self'"
    )
    assert inject.widened("script-src https://x.org") == "script-src https://x.org 'self'; connect-src 'self'"


def test_the_page_carries_its_version_and_the_version_follows_the_mark() -> None:
    page = b"<html><head><title>t</title></head><body><main id=m>text</main></body></html>"
    served = inject.preview_page(page, "")
    assert inject.version_in(served) == inject.version_of(page, "")
    assert inject.version_of(page, "") != inject.version_of(page, inject.draft_mark())
    marked = inject.preview_page(page, inject.draft_mark())
    assert b'<main id=m>\n<p class="eblog-preview-mark" role="note"><strong>Draft</strong>' in marked
    assert inject.version_in(b"<p>no script</p>") == ""


def test_editor_leftovers_are_ignored_and_articles_are_not(tmp_path: Path) -> None:
    keep = Relevant([tmp_path])
    for name in (".x.md.swp", "x.md~", "4913", "#x.md#", ".#x.md", "x.md___jb_tmp___", ".obsidian/a.json"):
        assert keep.ignored(tmp_path / name), name
    for name in ("x.md", "notes/y.md", "static/img/a.png", "site.toml"):
        assert not keep.ignored(tmp_path / name), name


def test_the_git_lock_of_a_linked_work_tree_is_found(tmp_path: Path) -> None:
    (tmp_path / "main" / ".git" / "worktrees" / "w").mkdir(parents=True)
    (tmp_path / "w" / "articles").mkdir(parents=True)
    (tmp_path / "w" / ".git").write_text(f"gitdir: {tmp_path / 'main' / '.git' / 'worktrees' / 'w'}\n")
    assert git_lock(tmp_path / "w" / "articles") == tmp_path / "main" / ".git" / "worktrees" / "w" / "index.lock"
    assert git_lock(tmp_path / "main") == tmp_path / "main" / ".git" / "index.lock"


@pytest.mark.articles  # edits a copy of articles/
def test_a_renamed_article_is_followed_to_its_new_address(tmp_path: Path) -> None:
    articles = copy_articles(tmp_path / "articles")
    builder = Builder(articles, tmp_path / "out", drafts=True)
    builder.site()
    before = builder.known.state if builder.known else None
    (articles / "introduction.md").rename(articles / "welcome.md")
    builder.site()
    after = builder.known.state if builder.known else None
    assert moved_pages(before, after) == {"/introduction": "/welcome"}
    assert json.dumps(moved_pages(after, after)) == "{}"
