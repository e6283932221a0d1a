"""A build holds OUT alone and marks it until it finishes; prezip waits for it, and refuses what it left half-done.

The builds here are real processes holding cmd.shared.buildlock.building, as
rendermd and buildindex will; prezip is the real command.
"""

import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmd.shared import files
from cmd.shared.buildlock import building, reading
from cmd.shared.errors import InputError
from tests.tools.tools_support import REPO, run_tool

# A stand-in for rendermd or buildindex: writes half a build, waits for a line on stdin,
# writes the rest (or fails, with "fail"), and says whether its last run here was interrupted.
BUILD = """
import pathlib, sys
from cmd.shared.buildlock import building
from cmd.shared.files import write_atomic
out, tool = pathlib.Path(sys.argv[1]), sys.argv[2]
with building(out, tool) as build:
    print("interrupted" if build.interrupted else "clean", flush=True)
    write_atomic(out / "index.html", b"<p>half</p>")
    print("writing", flush=True)
    sys.stdin.readline()
    write_atomic(out / "index.html", b"<p>new</p>")
    if sys.argv[3:] == ["fail"]:
        raise SystemExit(3)
"""
READ = """
import pathlib, sys
from cmd.shared.buildlock import reading
with reading(pathlib.Path(sys.argv[1]), wait=5):
    print("reading", flush=True)
    sys.stdin.readline()
"""


pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run


class Holder:
    """A process inside building() or reading(), told when to go on."""

    def __init__(self, code: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.said: list[str] = []

    def until(self, word: str) -> None:
        assert self.process.stdout is not None
        while word not in self.said:
            line = self.process.stdout.readline()
            assert line, f"exited before saying {word!r}: {self.said}"
            self.said.append(line.strip())

    def finish(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL, by PID
        self.process.wait(timeout=30)


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.process.poll() is None:
            holder.kill()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    site = tmp_path / "out"
    site.mkdir()
    (site / "index.html").write_bytes(b"<p>old</p>")
    return site


def start_build(holders: list[Holder], out: Path, tool: str = "rendermd", *extra: str) -> Holder:
    holder = Holder(BUILD, str(out), tool, *extra)
    holders.append(holder)
    holder.until("writing")
    return holder


def prezip(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_tool("cmd.prezip", str(out), "-o", str(out.parent / "a.zip"), *args, text=True)


def index_in_zip(out: Path) -> bytes:
    return zipfile.ZipFile(out.parent / "a.zip").read("index.html")


def test_prezip_waits_for_a_running_build(out: Path, holders: list[Holder]) -> None:
    build = start_build(holders, out)
    command = [sys.executable, "-m", "cmd.prezip", str(out), "-o", str(out.parent / "a.zip"), "--wait", "30"]
    waiting = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    assert waiting.poll() is None  # still waiting, not packing <p>half</p>
    assert not (out.parent / "a.zip").exists()
    assert build.finish() == 0
    assert waiting.wait(timeout=30) == 0
    assert index_in_zip(out) == b"<p>new</p>"


def test_prezip_gives_up_after_its_wait(out: Path, holders: list[Holder]) -> None:
    build = start_build(holders, out)
    started = time.monotonic()
    result = prezip(out, "--wait", "0.5")
    assert 0.5 <= time.monotonic() - started < 20
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"prezip: error: {out}: a build is still writing it after waiting 0.5 s"]
    assert not (out.parent / "a.zip").exists()
    assert build.finish() == 0


def test_a_killed_build_is_refused_until_it_runs_again(out: Path, holders: list[Holder]) -> None:
    start_build(holders, out).kill()
    result = prezip(out, "--wait", "30")  # the kernel dropped the lock: no wait, a refusal
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"prezip: error: {out}: holds an interrupted build (rendermd): run rendermd and buildindex again"
    ]
    assert not (out.parent / "a.zip").exists()
    again = start_build(holders, out)
    assert again.said[0] == "interrupted"  # so the tool knows not to trust its caches
    assert again.finish() == 0
    assert prezip(out).returncode == 0
    assert index_in_zip(out) == b"<p>new</p>"


def test_a_failed_build_is_refused_too(out: Path, holders: list[Holder]) -> None:
    assert start_build(holders, out, "buildindex", "fail").finish() == 3
    assert "holds an interrupted build (buildindex)" in prezip(out).stderr


def test_one_tools_success_does_not_clear_anothers_failure(out: Path, holders: list[Holder]) -> None:
    """rendermd killed, then buildindex run alone: the pages are still half-built."""
    start_build(holders, out, "rendermd").kill()
    index = start_build(holders, out, "buildindex")
    assert index.said[0] == "clean"
    assert index.finish() == 0
    assert "holds an interrupted build (rendermd)" in prezip(out).stderr
    assert start_build(holders, out, "rendermd").finish() == 0
    assert prezip(out).returncode == 0
    assert not (out / ".eblog" / "incomplete").exists()


def test_a_build_waits_for_readers_and_readers_share(out: Path, holders: list[Holder]) -> None:
    first = Holder(READ, str(out))
    holders.append(first)
    first.until("reading")
    second = Holder(READ, str(out))  # a second reader gets in while the first reads
    holders.append(second)
    second.until("reading")
    with pytest.raises(InputError, match=r"still using it after waiting 0\.3 s"), building(out, "rendermd", wait=0.3):
        pass
    assert first.finish() == second.finish() == 0
    with building(out, "rendermd", wait=0.3):
        pass


def test_writes_in_a_build_are_synced_once_before_the_mark_goes(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No fsync per page (it doubled a cold build); one syncfs, and only then is the mark removed."""
    events: list[str] = []
    real_fsync, real_syncfs = os.fsync, files.sync_filesystem

    def fsync(fd: int) -> None:
        events.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def syncfs(folder: Path) -> None:
        events.append("syncfs")
        real_syncfs(folder)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(files, "sync_filesystem", syncfs)
    mark = out / ".eblog" / "incomplete"
    with building(out, "rendermd"):
        assert mark.read_text() == "rendermd\n"
        events.clear()
        files.write_atomic(out / "page.html", b"<p>page</p>")
        assert events == []
    assert events[0] == "syncfs"
    assert not mark.exists()
    events.clear()
    files.write_atomic(out / "page.html", b"<p>again</p>")  # outside a build: durable by itself
    assert events[0].startswith(str(out / ".page.html.")) and events[1] == str(out)


def test_reading_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"), reading(tmp_path / "typo"):
        pass
    assert not (tmp_path / "typo").exists()


def test_a_killed_build_does_not_hold_the_lock(out: Path, holders: list[Holder]) -> None:
    start_build(holders, out).process.send_signal(signal.SIGKILL)
    holders[0].process.wait(timeout=30)
    with building(out, "rendermd", wait=0.5) as build:  # gets the lock at once
        assert build.interrupted
