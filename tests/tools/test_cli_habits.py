"""The habits every tool shares: --version, exit 0/1/2, -q and -v, errors as ``file:line: message``,
rendermd's --help naming site.toml, and progress on a terminal only."""

import os
import pty
import select
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.tools.tools_support import REPO, run_tool, write_article, write_sample

# Read here, not from the code under test: the one number the wheel is built with.
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("cmd.rendermd", "rendermd (eblog)"),
        ("cmd.buildindex", "buildindex (eblog)"),
        ("cmd.prezip", "prezip (eblog)"),
        ("cmd.preview", "preview (eblog)"),
        ("server", "eblog-server (eblog)"),
    ],
)
def test_every_tool_says_its_version(module: str, name: str) -> None:
    result = run_tool(module, "--version", text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{name} {VERSION}\n", "")


@pytest.mark.parametrize("module", ["cmd.rendermd", "cmd.buildindex", "cmd.prezip", "cmd.preview", "server"])
def test_a_usage_mistake_exits_2(module: str) -> None:
    result = run_tool(module, "--no-such-flag", text=True)
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr or "required" in result.stderr


def test_bad_input_exits_1_with_file_and_line(tmp_path: Path) -> None:
    articles = write_sample(tmp_path / "articles")
    write_article(articles, "broken.md", 'title: "Broken"\ndate: 2001-01-01\ntags: 5\n')
    result = run_tool("cmd.rendermd", str(articles), str(tmp_path / "out"), text=True)
    assert result.returncode == 1
    assert result.stderr == f"rendermd: error: {articles / 'broken.md'}:4: 'tags' must be a list of words\n"


def test_quiet_prints_nothing_and_verbose_more(tmp_path: Path) -> None:
    articles = write_sample(tmp_path / "articles")
    quiet = run_tool("cmd.rendermd", "-q", str(articles), str(tmp_path / "quiet"), text=True)
    normal = run_tool("cmd.rendermd", str(articles), str(tmp_path / "normal"), text=True)
    verbose = run_tool("cmd.rendermd", "-v", str(articles), str(tmp_path / "verbose"), text=True)
    assert (quiet.returncode, normal.returncode, verbose.returncode) == (0, 0, 0)
    assert quiet.stderr == ""
    assert normal.stderr.splitlines()[-1].startswith("rendermd: 5 rendered, 0 unchanged, 0 removed, 1 drafts skipped")
    assert verbose.stderr.startswith("rendermd: settings from the defaults\n")
    assert verbose.stderr.splitlines()[-1].startswith("rendermd: 5 rendered")
    for quiet_tool in (
        run_tool("cmd.buildindex", "-q", str(tmp_path / "normal"), text=True),
        run_tool("cmd.prezip", "-q", str(tmp_path / "normal"), "-o", str(tmp_path / "q.zip"), text=True),
    ):
        assert (quiet_tool.returncode, quiet_tool.stderr) == (0, "")
    loud = run_tool("cmd.prezip", "-v", str(tmp_path / "normal"), "-o", str(tmp_path / "v.zip"), text=True)
    entries = len(zipfile.ZipFile(tmp_path / "v.zip").namelist())
    assert loud.stderr == f"prezip: {entries} files from {tmp_path / 'normal'} to {tmp_path / 'v.zip'}\n"


def test_quiet_and_verbose_together_is_a_usage_mistake(tmp_path: Path) -> None:
    result = run_tool("cmd.buildindex", "-q", "-v", str(tmp_path), text=True)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_rendermd_help_names_site_toml_and_its_keys() -> None:
    result = run_tool("cmd.rendermd", "--help", text=True)
    assert result.returncode == 0
    assert "ARTICLES_DIR/site.toml" in result.stdout
    keys = ["title", "description", "author", "language", "base_url", "license_name", "license_url", "feed_size",
            "paginate", "permalink", "convention", "templates", "[csp]"]  # fmt: skip
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ") and " = " in line]
    assert keys == listed


@pytest.mark.slow
def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    for number in range(210):  # past the 200 pages from which rendermd counts
        write_article(articles, f"post-{number}.md", f'title: "Post {number}"\ndate: 2001-01-01\n')
    piped = run_tool("cmd.rendermd", "-j", "1", str(articles), str(tmp_path / "piped"), text=True)
    assert piped.returncode == 0 and "pages" not in piped.stderr
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cmd.rendermd", "-j", "1", str(articles), str(tmp_path / "tty")],
        cwd=REPO,
        stderr=terminal,
        stdout=subprocess.DEVNULL,
    )
    os.close(terminal)
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        try:
            chunk = os.read(controller, 4096) if ready else b""
        except OSError:  # EIO: the terminal's other end closed
            chunk = b""
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert b"\rrendermd: 210/210 pages" in seen


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('# ours\ntitle = "T"\n\nfeed_size = 0\n', "4: setting 'feed_size' must be at least 1"),
        ('title = "T"\n"bogus" = 1\n', "2: unknown setting 'bogus'"),
        ('title = "T"\n\n[csp]\nimg-src = 5\n', "3: [csp] 'img-src' must be a list of sources"),
        ('description = """\nbase_url = x\n"""\nbase_url = "ftp://x"\n', "4: setting 'base_url' must be an absolute"),
        ('title = "T"\n\nfeed_size = = 3\n', "3: malformed site settings: "),
        ('title = "T"\ndescription = "no end', "2: malformed site settings: "),
    ],
)
def test_site_toml_errors_carry_the_line(tmp_path: Path, settings: str, message: str) -> None:
    articles = write_sample(tmp_path / "articles")
    (articles / "site.toml").write_text(settings)
    result = run_tool("cmd.rendermd", str(articles), str(tmp_path / "out"), text=True)
    assert result.returncode == 1
    assert result.stderr.startswith(f"rendermd: error: {articles / 'site.toml'}:{message}")
    assert len(result.stderr.splitlines()) == 1


def test_without_metadata_or_pyproject_the_version_is_unknown(tmp_path: Path) -> None:
    """The run image's case: server/ alone, not installed, no pyproject.toml beside it."""
    shutil.copytree(REPO / "server", tmp_path / "server", ignore=shutil.ignore_patterns("assets.zip", "__pycache__"))
    result = subprocess.run([sys.executable, "-m", "server", "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "eblog-server (eblog) unknown\n")
