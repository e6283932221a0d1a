"""A full disk, a read-only mount, a closed pipe: every tool says so in one line naming the path, and exits 1.

The failures are real: a small tmpfs filled to the last byte (ENOSPC), a
folder bind-mounted read-only onto itself (EROFS), /dev/full, a pipe whose
reader has gone.  Mounting needs root (CI runs as root); elsewhere those tests
skip, and /dev/full still runs.
"""

import errno
import importlib
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from cmd.prezip.zipsite import build_zip
from cmd.rendermd.build import render_site
from cmd.shared.errors import InputError, OutputError, os_failure, report_group
from server.assets import load_zip
from tests.tools.tools_support import REPO, run_tool, write_sample

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

NO_SPACE = "No space left on device"
READ_ONLY = "Read-only file system"


class Mounts:
    """Mounts made for one test, undone at its end."""

    def __init__(self) -> None:
        self.points: list[Path] = []

    def mount(self, *args: str) -> None:
        result = subprocess.run(["mount", *args], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount here ({result.stderr.strip()}); CI runs as root")

    def small_disk(self, point: Path, size: str = "1m") -> Path:
        """An empty tmpfs of ``size`` at ``point``."""
        point.mkdir(parents=True, exist_ok=True)
        self.mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "eblog-test", str(point))
        self.points.append(point)
        return point

    def read_only(self, folder: Path) -> Path:
        """``folder`` itself, as it is, from now on read-only."""
        self.mount("--bind", str(folder), str(folder))
        self.points.append(folder)
        self.mount("-o", "remount,ro,bind", str(folder))
        return folder

    def undo(self) -> None:
        for point in reversed(self.points):
            subprocess.run(["umount", "--lazy", str(point)], check=False)


@pytest.fixture
def mounts() -> Iterator[Mounts]:
    made = Mounts()
    try:
        yield made
    finally:
        made.undo()


def fill(disk: Path) -> None:
    """Take every free byte of ``disk``."""
    subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=64k"], capture_output=True, check=False)
    assert shutil.disk_usage(disk).free == 0


def one_error_line(result: subprocess.CompletedProcess[str], tool: str, path: Path | str, reason: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{tool}: error:")]
    assert lines == [f"{tool}: error: {path}: {reason}"], result.stderr


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small site for prezip: a page and 600 KB of incompressible bytes."""
    out = tmp_path / "site"
    (out / "img").mkdir(parents=True)
    (out / "index.html").write_text("<p>home</p>\n" * 100)
    (out / "img" / "photo.jpg").write_bytes(os.urandom(600_000))
    return out


def test_prezip_to_dev_full(site: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = run_tool("cmd.prezip", str(site), stdout=full, stderr=subprocess.PIPE, text=True)
    one_error_line(result, "prezip", "stdout", NO_SPACE)


def test_prezip_to_a_reader_that_stops(site: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cmd.prezip", str(site)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # like `| head -c 0`: the zip has nowhere to go
    _, stderr = process.communicate(timeout=60)
    one_error_line(subprocess.CompletedProcess([], process.returncode, "", stderr), "prezip", "stdout", "Broken pipe")


def test_prezip_stdout_on_a_full_disk_is_a_short_write(site: Path, tmp_path: Path, mounts: Mounts) -> None:
    """`prezip OUT > FILE` with room for part of the zip: the first write is cut short, and that is an error."""
    disk = mounts.small_disk(tmp_path / "disk", "256k")
    with (disk / "assets.zip").open("wb") as stdout:
        result = run_tool("cmd.prezip", str(site), stdout=stdout, stderr=subprocess.PIPE, text=True)
    one_error_line(result, "prezip", "stdout", NO_SPACE)


def test_prezip_output_on_a_full_disk_keeps_the_old_zip(site: Path, tmp_path: Path, mounts: Mounts) -> None:
    disk = mounts.small_disk(tmp_path / "disk")
    old = b"PK\x05\x06" + b"\0" * 18  # any bytes: they must still be there afterwards
    (disk / "assets.zip").write_bytes(old)
    fill(disk)
    result = run_tool("cmd.prezip", str(site), "-o", str(disk / "assets.zip"), text=True)
    one_error_line(result, "prezip", disk / "assets.zip", NO_SPACE)
    assert (disk / "assets.zip").read_bytes() == old
    assert sorted(path.name for path in disk.iterdir()) == ["assets.zip", "filler"]  # no temp file left


def test_prezip_output_on_a_read_only_mount(site: Path, tmp_path: Path, mounts: Mounts) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "assets.zip").write_bytes(b"old")
    mounts.read_only(dist)
    result = run_tool("cmd.prezip", str(site), "-o", str(dist / "assets.zip"), text=True)
    one_error_line(result, "prezip", dist / "assets.zip", READ_ONLY)
    assert (dist / "assets.zip").read_bytes() == b"old"


def test_rendermd_on_a_full_disk(tmp_path: Path, mounts: Mounts) -> None:
    articles = write_sample(tmp_path / "articles")
    out = mounts.small_disk(tmp_path / "out")
    fill(out)
    result = run_tool("cmd.rendermd", str(articles), str(out), text=True)
    assert result.returncode == 1, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "error" in line]
    assert line.startswith(f"rendermd: error: {out}") and line.endswith(f": {NO_SPACE}"), result.stderr
    assert "Traceback" not in result.stderr


def test_rendermd_and_buildindex_on_a_read_only_out(tmp_path: Path, mounts: Mounts) -> None:
    articles = write_sample(tmp_path / "articles")
    out = tmp_path / "out"
    render_site(articles, out)
    mounts.read_only(out)
    (articles / "alpha.md").unlink()  # rendermd's first change is then a deletion, not a write
    for command in (["cmd.rendermd", str(articles)], ["cmd.buildindex"]):
        result = run_tool(*command, str(out), text=True)
        tool = command[0].removeprefix("cmd.")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith(f"{tool}: error:")]
        assert line.startswith(f"{tool}: error: {out}") and line.endswith(f": {READ_ONLY}"), result.stderr


def refuse(path: str) -> None:
    raise os_failure(OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), path)


def test_the_error_crosses_a_process_pool_intact() -> None:
    """rendermd writes pages in worker processes: the error must arrive with its path."""
    with ProcessPoolExecutor(1) as pool, pytest.raises(OutputError) as caught:
        pool.submit(refuse, "/site/page.html").result()
    assert str(caught.value) == "/site/page.html: Disk quota exceeded"
    assert str(pickle.loads(pickle.dumps(caught.value))) == "/site/page.html: Disk quota exceeded"


def test_prezip_on_a_read_only_site(site: Path, tmp_path: Path, mounts: Mounts) -> None:
    """prezip keeps its DEFLATE cache in OUT: a read-only OUT is one line, not a traceback."""
    mounts.read_only(site)
    result = run_tool("cmd.prezip", str(site), "-o", str(tmp_path / "a.zip"), text=True)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"prezip: error: {site}/.eblog") and line.endswith(f": {READ_ONLY}"), line
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.parametrize(
    ("tool", "library_call", "argv"),
    [
        ("rendermd", "cmd.rendermd.build.render_site", ["articles", "out"]),
        ("buildindex", "cmd.buildindex.index.build_index", ["out"]),
        ("prezip", "cmd.prezip.zipsite.read_entries", ["out", "-o", "a.zip"]),
    ],
)
def test_any_refused_operation_is_one_line(
    tool: str, library_call: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever OSError escapes a tool's library (an unlink, a mkdir...), its main reports it as one line."""

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO), "out/page.html")

    monkeypatch.setattr(library_call, fail)
    main = importlib.import_module(f"cmd.{tool}.__main__").main
    assert main(argv) == 1
    assert capsys.readouterr().err.splitlines() == [f"{tool}: error: out/page.html: Input/output error"]


def test_a_group_of_failures_is_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    """rendermd collects every page's failure: bad input and refused writes side by side."""
    failures = [InputError("bad date", "a.md", 3), OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out/b.html")]
    assert report_group("rendermd", ExceptionGroup("render", failures)) == 1
    assert capsys.readouterr().err.splitlines() == [
        "rendermd: error: a.md:3: bad date",
        f"rendermd: error: out/b.html: {NO_SPACE}",
    ]


def test_kill_9_at_any_moment_keeps_the_old_zip(tmp_path: Path) -> None:
    """prezip -o FILE killed by SIGKILL: mid-write, FILE is still the previous zip; at any other moment,
    the previous zip or the new one, whole and loadable, never a part of one."""
    site = tmp_path / "site"
    (site / "img").mkdir(parents=True)
    for n in range(60):  # 120 MB, so that writing takes long enough to be caught at it
        (site / "img" / f"{n:02}.jpg").write_bytes(os.urandom(2_000_000))
    (site / "index.html").write_text("<p>old</p>\n" * 50)
    dist = tmp_path / "dist"
    dist.mkdir()
    output = dist / "assets.zip"
    assert run_tool("cmd.prezip", str(site), "-o", str(output)).returncode == 0
    old = output.read_bytes()
    (site / "index.html").write_text("<p>new</p>\n" * 50)
    new = build_zip(site)  # what a run that is not killed writes

    command = [sys.executable, "-m", "cmd.prezip", str(site), "-o", str(output)]
    for delay in (None, 0.1, 0.4, 1.0):  # None: as soon as its temp file holds some bytes
        process = subprocess.Popen(command, cwd=REPO)
        caught = None
        try:
            if delay is None:
                caught = wait_for_temp_file(dist, output.name)
            else:
                time.sleep(delay)
        finally:
            process.kill()  # SIGKILL, by PID
            process.wait(timeout=30)
        if delay is None:
            assert caught is not None and caught < len(new), caught  # killed with half a zip written
            assert output.read_bytes() == old
        assert output.read_bytes() in (old, new), delay  # a fast disk may have finished in 0.4 s
        assets, _ = load_zip(output)
        assert assets["index.html"].body in (b"<p>old</p>\n" * 50, b"<p>new</p>\n" * 50)
    leftovers = [path.name for path in dist.iterdir() if path != output]
    assert all(name.startswith(".assets.zip.") and name.endswith(".tmp") for name in leftovers), leftovers


def wait_for_temp_file(folder: Path, name: str) -> int | None:
    """Poll until prezip's temp file for ``name`` holds some bytes; return how many (None: never seen)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for entry in os.scandir(folder):
            if entry.name.startswith(f".{name}.") and entry.stat().st_size > 0:
                return entry.stat().st_size
    return None
