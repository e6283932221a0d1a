"""Symlinks in OUT: packed as their target when it is inside OUT, an error naming the link otherwise."""

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from cmd.prezip.zipsite import build_zip
from cmd.shared.errors import InputError
from cmd.shared.files import resolve_inside
from tests.tools.tools_support import run_tool


@pytest.fixture
def site(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "posts").mkdir(parents=True)
    (out / "index.html").write_bytes(b"<p>home</p>")
    (out / "posts" / "first.html").write_bytes(b"<p>first</p>")
    (out / ".eblog").mkdir()
    (out / ".eblog" / "manifest.json").write_bytes(b"{}")
    (tmp_path / "secret.txt").write_bytes(b"root:x:0:0")
    return out


def zipped(site: Path) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(build_zip(site)))
    return {name: archive.read(name) for name in archive.namelist()}


def refused(site: Path, link: str) -> str:
    """prezip's one error line, after checking that it wrote nothing."""
    output = site.parent / "assets.zip"
    result = run_tool("cmd.prezip", str(site), "-o", str(output), text=True)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"prezip: error: {site / link}: "), line
    assert not output.exists()
    return line


def test_a_link_to_a_file_inside_is_packed_as_that_file(site: Path) -> None:
    (site / "latest.html").symlink_to("posts/first.html")
    (site / "posts" / "home.html").symlink_to("../index.html")
    files = zipped(site)
    assert files["latest.html"] == files["posts/first.html"] == b"<p>first</p>"
    assert files["posts/home.html"] == b"<p>home</p>"


def test_a_link_to_a_folder_inside_is_packed_as_its_files(site: Path) -> None:
    (site / "blog").symlink_to("posts", target_is_directory=True)
    assert zipped(site)["blog/first.html"] == b"<p>first</p>"


def test_the_site_itself_may_be_a_link(site: Path, tmp_path: Path) -> None:
    (tmp_path / "current").symlink_to(site, target_is_directory=True)
    assert sorted(zipped(tmp_path / "current")) == ["index.html", "posts/first.html"]


def test_a_link_out_of_the_site_is_refused(site: Path, tmp_path: Path) -> None:
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    line = refused(site, "leak.txt")
    assert f"a link to {tmp_path / 'secret.txt'}, outside {site}" in line


def test_a_link_out_through_a_folder_is_refused(site: Path, tmp_path: Path) -> None:
    (site / "posts" / "up").symlink_to("../..", target_is_directory=True)
    assert "outside" in refused(site, "posts/up")


def test_a_link_to_nothing_is_refused(site: Path) -> None:
    (site / "gone.html").symlink_to("posts/deleted.html")
    assert "does not exist" in refused(site, "gone.html")


def test_a_loop_of_links_is_refused(site: Path) -> None:
    (site / "a.html").symlink_to("b.html")
    (site / "b.html").symlink_to("a.html")
    assert "loop" in refused(site, "a.html")


def test_a_link_to_a_folder_above_it_is_refused(site: Path) -> None:
    """It would pack the site inside itself, forever."""
    (site / "posts" / "again").symlink_to("..", target_is_directory=True)
    assert "loop" in refused(site, "posts/again")


def test_a_link_into_the_build_metadata_is_refused(site: Path) -> None:
    (site / "manifest.json").symlink_to(".eblog/manifest.json")
    assert "kept out of the zip" in refused(site, "manifest.json")


def test_a_fifo_is_refused_instead_of_waiting_forever(site: Path) -> None:
    os.mkfifo(site / "pipe.html")
    assert "neither a file nor a folder" in refused(site, "pipe.html")


def test_resolve_inside(tmp_path: Path) -> None:
    """The shared rule, as rendermd uses it for ARTICLES/static too."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "file.txt").write_text("x")
    (root / "in.txt").symlink_to("sub/file.txt")
    (root / "round.txt").symlink_to("../root/sub/file.txt")  # leaves and comes back: still inside
    (tmp_path / "elsewhere.txt").write_text("y")
    (root / "out.txt").symlink_to(tmp_path / "elsewhere.txt")
    (root / "none.txt").symlink_to("missing.txt")
    assert resolve_inside(root, root / "in.txt") == (root / "sub" / "file.txt").resolve()
    assert resolve_inside(root, root / "round.txt") == (root / "sub" / "file.txt").resolve()
    for name, reason in [("out.txt", "outside"), ("none.txt", "does not exist")]:
        with pytest.raises(InputError, match=reason) as caught:
            resolve_inside(root, root / name)
        assert caught.value.path == root / name


def test_a_leak_never_reaches_stdout(site: Path, tmp_path: Path) -> None:
    """`prezip OUT > FILE`, issue 17's case: one line and exit 1, not a zip holding the secret."""
    (site / "static").mkdir()
    (site / "static" / "passwd").symlink_to(tmp_path / "secret.txt")
    result = run_tool("cmd.prezip", str(site), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 1
    assert b"root:x" not in result.stdout
