"""Build the site's zip in memory, deterministically."""

import io
import os
import time
import zipfile
from pathlib import Path, PurePosixPath

from cmd.shared.errors import InputError
from cmd.shared.layout import is_public

# Already compressed: DEFLATE would only add bytes and CPU.
STORED_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2", ".gz", ".br", ".zip", ".zst"}
)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """The one timestamp every entry carries: SOURCE_DATE_EPOCH, or the zip epoch."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    try:
        seconds = int(epoch)
    except ValueError:
        raise InputError(f"SOURCE_DATE_EPOCH must be whole seconds, got {epoch!r}") from None
    stamp = time.gmtime(max(seconds, 315532800))  # a zip can't go before 1980
    return stamp[:6]  # type: ignore[return-value]


def site_files(site: Path) -> list[PurePosixPath]:
    """The public files under ``site``, as sorted POSIX paths relative to it."""
    if not site.is_dir():
        raise InputError("not a directory (run rendermd and buildindex first)", site)
    files = sorted(
        rel
        for path in site.rglob("*")
        if path.is_file() and is_public(rel := PurePosixPath(path.relative_to(site).as_posix()))
    )
    if not files:
        raise InputError("no files to zip (run rendermd and buildindex first)", site)
    return files


def build_zip(site: Path) -> bytes:
    """Return the bytes of the deterministic zip of ``site``."""
    stamp = zip_timestamp()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel in site_files(site):
            info = zipfile.ZipInfo(str(rel), date_time=stamp)
            info.create_system = 3  # Unix, so the permission bits below mean something
            info.external_attr = 0o100644 << 16
            if rel.suffix.lower() in STORED_SUFFIXES:
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (site / rel).read_bytes(), compresslevel=9)
    return buffer.getvalue()
