"""One build, or any number of readers, at a time in OUT; and a mark left by a build that did not finish.

rendermd and buildindex rewrite OUT file by file and prezip reads it file by
file, so without this prezip could pack a mix of old and new pages, or the
half of a build that was killed.  The rules:

- A build holds an exclusive ``flock`` on ``OUT/.eblog/lock`` and, before its
  first write, names itself in ``OUT/.eblog/incomplete``.  Its files are
  written without an fsync each; when it finishes, one syncfs puts them all on
  the disk and only then is its name taken off the mark (the file goes with
  the last name).  A build that fails or is killed leaves its name there.
- A reader (prezip) holds a shared lock while it reads, so it waits for a
  running build, for ``wait`` seconds at most, and refuses an OUT whose mark
  names any tool.

``flock`` rather than a PID file: the kernel drops the lock when its holder
dies, even by SIGKILL, so a killed build leaves OUT marked but never locked.
The lock belongs to the open file, so worker processes forked inside the
block share it, and a process that opens it twice waits for itself.

In a tool, around every write to OUT::

    with building(out_dir, "rendermd") as build:
        if build.interrupted:  # this tool's last run here did not finish:
            ...                # its caches may name files it never wrote, so rebuild them all
        ...                    # write with cmd.shared.files: one syncfs at the end, not an fsync a file

and the reader::

    with reading(out_dir, wait=60):
        ...  # OUT is complete, and no build can start until the block ends
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cmd.shared.errors import InputError, os_failure
from cmd.shared.files import one_sync_at_the_end, sync_directory, write_atomic
from cmd.shared.layout import BUILD_DIR, DEFAULT_WAIT, INCOMPLETE

LOCK = f"{BUILD_DIR}/lock"
POLL = 0.05  # seconds between tries: flock itself cannot time out


@dataclass(frozen=True)
class Build:
    out_dir: Path
    interrupted: bool  # the same tool's previous run in OUT started and did not finish


def unfinished(out_dir: Path) -> list[str]:
    """The tools whose last run in ``out_dir`` started and did not finish, as the mark names them."""
    path = out_dir / INCOMPLETE
    try:
        return path.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise os_failure(error) from None


def set_mark(out_dir: Path, tools: list[str]) -> None:
    """Name ``tools`` in the mark, durably; no tools, no mark."""
    path = out_dir / INCOMPLETE
    if tools:
        write_atomic(path, "".join(f"{tool}\n" for tool in tools).encode())
        return
    try:
        path.unlink(missing_ok=True)
        sync_directory(path.parent)
    except OSError as error:
        raise os_failure(error) from None


def take_lock(out_dir: Path, mode: int, wait: float, busy: str) -> int:
    """Open OUT's lock file and flock it in ``mode``, trying for ``wait`` seconds; closing the fd unlocks."""
    path = out_dir / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise os_failure(error) from None
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(POLL)
                continue
            os.close(fd)
            raise InputError(f"{busy} after waiting {wait:g} s", out_dir) from None
        return fd


@contextmanager
def building(out_dir: Path, tool: str, *, wait: float = DEFAULT_WAIT) -> Iterator[Build]:
    """Hold ``out_dir`` for ``tool``'s writes: exclusive lock, the mark while they last, one syncfs at the end.

    InputError when another build or a reader still holds OUT after ``wait``
    seconds; OutputError (an InputError) when OUT/.eblog cannot be written.
    """
    fd = take_lock(out_dir, fcntl.LOCK_EX, wait, "another rendermd, buildindex or prezip is still using it")
    try:
        before = unfinished(out_dir)
        if tool not in before:
            set_mark(out_dir, [*before, tool])
        with one_sync_at_the_end(out_dir):
            yield Build(out_dir, interrupted=tool in before)
        set_mark(out_dir, [name for name in before if name != tool])
    finally:
        os.close(fd)


@contextmanager
def reading(out_dir: Path, *, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold ``out_dir`` as a finished build: wait for a running one, refuse one that was interrupted."""
    if not out_dir.is_dir():
        raise InputError("not a directory (run rendermd and buildindex first)", out_dir)
    fd = take_lock(out_dir, fcntl.LOCK_SH, wait, "a build is still writing it")
    try:
        tools = unfinished(out_dir)
        if tools:
            names = ", ".join(tools)
            raise InputError(f"holds an interrupted build ({names}): run rendermd and buildindex again", out_dir)
        yield
    finally:
        os.close(fd)
