"""The ``eblog`` command from the repo (``python -m eblog``): new, build, serve.

The same command installed from the wheel is tested in test_install_wheel.py.  Marked slow:
each test starts eblog processes, and the Docker build (which runs the tests that are not)
has no eblog/ folder, only the tools and the server it ships.
"""

import datetime as dt
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.tools.tools_support import PUBLISHED, REPO, run_tool, snapshot, write_article, write_sample

pytestmark = pytest.mark.slow
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def eblog(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tool("eblog", *args, text=True)


def test_eblog_says_its_version_and_its_commands() -> None:
    assert eblog("--version").stdout == f"eblog {VERSION}\n"
    usage = eblog()
    assert usage.returncode == 2 and usage.stderr.startswith("usage: eblog [-h] [--version] COMMAND")
    unknown = eblog("publish")
    assert unknown.returncode == 2 and "invalid choice: 'publish'" in unknown.stderr


def test_new_writes_a_draft_with_front_matter_and_todays_date(tmp_path: Path) -> None:
    result = eblog("new", 'My "first" post: café', "--articles", str(tmp_path))
    assert result.returncode == 0, result.stderr
    path = tmp_path / "my-first-post-café.md"
    assert result.stderr == f"eblog new: wrote {path} (a draft: remove 'draft: true' to publish)\n"
    assert path.read_text(encoding="utf-8") == (
        "---\n"
        'title: "My \\"first\\" post: café"\n'
        f"date: {dt.date.today().isoformat()}\n"
        'summary: ""\n'
        "tags: []\n"
        "draft: true\n"
        "---\n"
        "\n"
        "Write here, in Markdown.\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "hello.md"
    existing.write_text("mine\n")
    result = eblog("new", "Hello", "--articles", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"eblog new: error: {existing}: already exists; nothing written (choose another --slug)\n"
    assert existing.read_text() == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["hello.md"]


def test_new_without_the_folder_or_a_name_fails_in_one_line(tmp_path: Path) -> None:
    missing = eblog("new", "Hello", "--articles", str(tmp_path / "nowhere"))
    assert (missing.returncode, missing.stderr) == (1, f"eblog new: error: {tmp_path / 'nowhere'}: no such directory\n")
    nameless = eblog("new", "?!", "--articles", str(tmp_path))
    assert nameless.returncode == 2
    assert nameless.stderr == "eblog new: error: '?!' gives no file name; choose one with --slug NAME\n"


def test_a_new_article_builds_once_published(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    assert eblog("new", "First light", "--articles", str(articles)).returncode == 0
    draft = eblog("build", str(articles), str(tmp_path / "out"))
    assert draft.returncode == 0, draft.stderr
    assert "0 rendered" in draft.stderr
    path = articles / "first-light.md"
    path.write_text(path.read_text().replace("draft: true\n", ""))
    published = eblog("build", str(articles), str(tmp_path / "out"))
    assert published.returncode == 0, published.stderr
    assert "first-light.html" in zipfile.ZipFile(tmp_path / "out.zip").namelist()


def test_build_runs_the_three_tools_into_a_zip_beside_out(tmp_path: Path) -> None:
    articles = write_sample(tmp_path / "articles")
    result = eblog("build", "--drafts", "--base-url", "https://example.org", str(articles), str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    names = zipfile.ZipFile(tmp_path / "site.zip").namelist()
    assert {f"{slug}.html" for slug in [*PUBLISHED, "zeta-draft"]} <= set(names)
    assert "feed.xml" in names or "rss.xml" in names
    assert "https://example.org/" in (tmp_path / "site" / "sitemap.xml").read_text()
    lines = result.stderr.splitlines()
    assert lines[1].startswith("rendermd: 6 rendered") and lines[2].startswith("buildindex: ")
    assert lines[-1] == f"eblog: {tmp_path / 'site.zip'} ({(tmp_path / 'site.zip').stat().st_size} bytes)"


def test_build_stops_at_the_first_failing_step_and_keeps_the_old_zip(tmp_path: Path) -> None:
    articles = write_sample(tmp_path / "articles")
    assert eblog("build", "-q", str(articles), str(tmp_path / "out")).returncode == 0
    before = (tmp_path / "out.zip").read_bytes()
    write_article(articles, "broken.md", 'title: "Broken"\ndate: someday\n')
    site_before = snapshot(tmp_path / "out")
    result = eblog("build", "-q", str(articles), str(tmp_path / "out"), "-o", str(tmp_path / "out.zip"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"rendermd: error: {articles / 'broken.md'}:3: invalid date 'someday'")
    assert len(result.stderr.splitlines()) == 1
    assert (tmp_path / "out.zip").read_bytes() == before
    assert snapshot(tmp_path / "out") == site_before


def test_build_without_articles_is_bad_input(tmp_path: Path) -> None:
    result = eblog("build", str(tmp_path / "nothing"), str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"rendermd: error: {tmp_path / 'nothing'}")
    assert not (tmp_path / "out.zip").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_builds_then_serves_the_zip(tmp_path: Path) -> None:
    articles = write_sample(tmp_path / "articles")
    port = free_port()
    command = [sys.executable, "-m", "eblog", "serve", str(articles), "--out", str(tmp_path / "out"), "-q",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/alpha", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer.status_code == 200 and "Tom &amp; Jerry" in answer.text
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert (tmp_path / "out.zip").is_file()
    assert "GET /alpha" not in out  # -q: no access log


def test_serve_on_a_port_in_use_exits_1_naming_it(tmp_path: Path) -> None:
    write_sample(tmp_path / "articles")
    assert eblog("build", "-q", str(tmp_path / "articles"), str(tmp_path / "out")).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = eblog("serve", "--zip", str(tmp_path / "out.zip"), "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == f"eblog-server: error: 127.0.0.1:{port}: address already in use\n"


def test_every_command_names_itself_in_its_usage() -> None:
    for command in ("new", "build", "serve", "preview"):
        result = eblog(command, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: eblog {command} "), result.stdout
