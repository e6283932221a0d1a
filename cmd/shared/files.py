"""Writing files so that a reader, a crash or a full disk never leaves a half-written one.

Every failure the system reports (ENOSPC, EROFS, EACCES, EDQUOT...) comes out
of these helpers as an OutputError naming the path, which the tools print as
one line.
"""

import ctypes
import os
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cmd.shared.errors import InputError, os_failure


@dataclass
class SyncPolicy:
    deferred: bool = False  # inside one_sync_at_the_end(): write_atomic leaves out its own fsyncs


SYNC = SyncPolicy()


WRITE_BLOCK = 1 << 20  # small chunks (a zip's headers) are gathered up to this, not written one call each


def write_all(fd: int, chunks: Iterable[bytes]) -> None:
    """Write every byte of ``chunks`` to ``fd``: ``os.write`` may write less than it is given."""
    block = bytearray()
    for chunk in chunks:
        if len(chunk) >= WRITE_BLOCK:  # a big one as it is: copying it would cost more than the call
            write_block(fd, block)
            write_block(fd, chunk)
            block = bytearray()
            continue
        block += chunk
        if len(block) >= WRITE_BLOCK:
            write_block(fd, block)
            block = bytearray()
    write_block(fd, block)


def write_block(fd: int, block: bytes | bytearray) -> None:
    view = memoryview(block)
    while view:
        view = view[os.write(fd, view) :]


def sync_directory(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (the entry lives in the directory, not the file)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@cache
def _syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except AttributeError:  # not Linux
        return None


def sync_filesystem(folder: Path) -> None:
    """Put every file written on ``folder``'s filesystem on the disk (Linux's syncfs(2), else sync(2))."""
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)


@contextmanager
def one_sync_at_the_end(folder: Path) -> Iterator[None]:
    """Within the block write_atomic leaves out its fsyncs; a normal exit syncs ``folder``'s filesystem once.

    An fsync per file roughly doubled a cold build of 1,000 articles; one
    syncfs at the end costs a fraction of that.  Until the block ends nothing
    written in it is known to be on the disk, so the caller marks the work
    unfinished until this returns (buildlock.building does).  Worker processes
    forked inside the block skip their fsyncs too; the syncfs covers their
    files, on the same filesystem.
    """
    SYNC.deferred = True
    try:
        yield
    finally:
        SYNC.deferred = False
    try:
        sync_filesystem(folder)
    except OSError as error:
        raise os_failure(error, folder) from None


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Write ``data`` (bytes, or chunks already computed) to a temp file beside ``path``, then rename it into place.

    The rename is atomic, so a reader, or a run killed at any moment, sees the
    old file or the new one, never a truncated one.  ``durable`` also survives
    a power cut: the file is fsync'ed before the rename (else the name could
    point to an empty file afterwards) and the directory after it; inside
    one_sync_at_the_end() that is left to the block's end.
    """
    durable = durable and not SYNC.deferred
    chunks = [data] if isinstance(data, bytes) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise os_failure(error, path) from None
    try:
        try:
            write_all(fd, chunks)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        if durable:
            sync_directory(path.parent)
    except BaseException as error:
        with suppress(OSError):  # already renamed, when only the directory's fsync failed
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise os_failure(error, path) from None
        raise


def write_checked(path: Path, data: bytes) -> None:
    """A cache entry: ``data`` and its CRC-32, written in place, with no temp file, rename or fsync
    (on a cold build they cost more than the entries save). An entry torn by a crash, or read
    while another process writes it, fails its CRC-32 in ``read_checked``, so it is made again."""
    checked = data + zlib.crc32(data).to_bytes(4, "little")
    try:
        try:
            path.write_bytes(checked)
        except FileNotFoundError:  # the cache's first entry: its folder is made once
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(checked)
    except OSError as error:
        raise os_failure(error, path) from None


def read_checked(path: Path) -> bytes | None:
    """A cache entry's data; None when it is missing, empty or torn (its CRC-32 does not match)."""
    try:
        stored = path.read_bytes()
    except OSError:
        return None
    data, check = stored[:-4], stored[-4:]
    return data if data and zlib.crc32(data).to_bytes(4, "little") == check else None


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` unless ``path`` already holds exactly it.

    Leaving unchanged files alone keeps their mtimes, which keeps tools
    downstream (and Docker's COPY checksums) from doing work for nothing.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:  # missing, or unreadable: writing it says what is wrong, if anything
        pass
    write_atomic(path, data)
    return True


def remove(root: Path, relative: str) -> None:
    """Delete ``root/relative`` if it is there, and the folders it leaves empty, up to ``root``."""
    path = root / relative
    path.unlink(missing_ok=True)
    for folder in path.parents:
        if folder == root or not folder.is_relative_to(root):
            break
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): the folders above are not empty either
            break


def write_stream(fd: int, chunks: Iterable[bytes], name: str) -> None:
    """Write ``chunks`` to an open ``fd`` (stdout), checked; fsync'ed too when it is a regular file.

    Nothing here can keep the old content of a file the shell truncated before
    the tool started (``tool > file``): only a temp file and a rename can.
    """
    try:
        write_all(fd, chunks)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fsync(fd)
    except OSError as error:
        raise os_failure(error, name) from None


def resolve_inside(root: Path, path: Path) -> Path:
    """``path`` with every symlink followed, which must exist inside ``root``; else InputError naming ``path``.

    The rule for a link met while reading a tree (ARTICLES, OUT): it stands for
    its target when the target is inside the tree, and is an error when it
    points elsewhere, nowhere, or round in a loop, so a link can never publish
    a file from outside.
    """
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise InputError("a link to nothing: its target does not exist", path) from None
    except RuntimeError:  # Python 3.11's way of saying ELOOP
        raise InputError("a symlink loop", path) from None
    except OSError as error:
        raise InputError(f"cannot follow this link: {error.strerror}", path) from None
    if not real.is_relative_to(root.resolve()):
        raise InputError(f"a link to {real}, outside {root}: copy the file in instead", path)
    return real
