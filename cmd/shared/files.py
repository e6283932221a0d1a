"""Atomic, durable writes: a reader, a crash or a power cut never sees a half-written file."""

import os
import tempfile
from pathlib import Path


def sync_directory(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (the entry lives in the directory, not the file)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, then rename it into place.

    The rename is atomic on POSIX, so an interrupted run leaves either the old
    file or the new one, never a truncated page.  After a power cut too: the
    file is fsync'ed before the rename (else the new name can point to an
    empty file) and the directory after it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    sync_directory(path.parent)


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
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True
