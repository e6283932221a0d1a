"""Build the site's zip deterministically, compressing each file at most once.

The zip is written here rather than with ``zipfile``, because ``zipfile``
cannot take an already-compressed stream: with our own writer a file whose
bytes have not changed reuses its DEFLATE stream from the cache in
OUT_DIR/.eblog/deflate (keyed by content hash), and new files are compressed
on every core at once (zlib releases the GIL).  The format written is the
plain subset every reader, ``zipfile`` included, accepts: no zip64, no extra
fields, no data descriptors.
"""

import hashlib
import itertools
import os
import struct
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cmd.shared.errors import InputError
from cmd.shared.files import write_atomic
from cmd.shared.layout import BUILD_DIR

# Already compressed: DEFLATE would only add bytes and CPU.
STORED_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2", ".gz", ".br", ".zip", ".zst"}
)
DEFLATE_CACHE = f"{BUILD_DIR}/deflate"
CACHE_FORMAT = 2  # each cached stream is followed by its own CRC-32, so a torn one is noticed and redone
LEVEL = 9
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can carry
ZIP_LAST = 4354819198  # 2107-12-31T23:59:58Z, the latest
METHOD_STORED, METHOD_DEFLATED = 0, 8
VERSION = 20  # "2.0": DEFLATE, folders; what every reader supports
MADE_BY_UNIX = 3 << 8 | VERSION
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
UTF8_NAMES = 0x0800
MAX_32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    crc: int
    size: int
    payload: bytes  # the stored bytes or the raw DEFLATE stream


def dos_stamp(seconds: int | None) -> tuple[int, int]:
    """The (DOS time, DOS date) every entry carries: ``seconds`` since the epoch, or 1980-01-01 for None."""
    seconds = ZIP_EPOCH if seconds is None else seconds
    t = time.gmtime(min(max(seconds, ZIP_EPOCH), ZIP_LAST))  # clamped to what a DOS date can hold
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), ((t.tm_year - 1980) << 9) | (
        t.tm_mon << 5
    ) | t.tm_mday


def site_files(site: Path) -> list[PurePosixPath]:
    """The public files under ``site``, as sorted POSIX paths relative to it."""
    if not site.is_dir():
        raise InputError("not a directory (run rendermd and buildindex first)", site)
    files = []
    # os.walk rather than Path.rglob: on a thousand-page site it is several times faster.
    for folder, subfolders, names in os.walk(site):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        prefix = PurePosixPath(Path(folder).relative_to(site).as_posix())
        files += [prefix / name for name in names if not name.startswith(".")]
    if not files:
        raise InputError("no files to zip (run rendermd and buildindex first)", site)
    return sorted(files)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None


def deflate(data: bytes) -> bytes:
    """Raw DEFLATE (no zlib header): what a zip entry holds, and what a gzip member wraps."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return compressor.compress(data) + compressor.flush()


def cached_stream(path: Path) -> bytes | None:
    """A stream from the cache; None when it is missing, or torn (its CRC-32 does not match)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    stream, check = data[:-4], data[-4:]
    return stream if stream and zlib.crc32(stream).to_bytes(4, "little") == check else None


def compressed(cache: Path, contents: list[bytes]) -> list[bytes]:
    """The raw DEFLATE stream of each of ``contents``: from the cache where it has one, else made and cached.

    Cache entries are written without fsync: one per file would cost more than
    the compression, and a stream torn by a crash fails its CRC-32 next time.
    """
    cache.mkdir(parents=True, exist_ok=True)
    # The settings are part of the key: a stream made at another level or by another zlib
    # would make a warm build differ from a cold one.
    salt = f"{CACHE_FORMAT}-{LEVEL}-{zlib.ZLIB_RUNTIME_VERSION}-".encode()
    keys = [hashlib.sha256(salt + data).hexdigest() for data in contents]
    streams = {index: stream for index, key in enumerate(keys) if (stream := cached_stream(cache / key)) is not None}
    missing = [index for index in range(len(keys)) if index not in streams]
    if missing:
        with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
            for index, stream in zip(missing, pool.map(deflate, [contents[i] for i in missing]), strict=True):
                streams[index] = stream
                write_atomic(cache / keys[index], [stream, zlib.crc32(stream).to_bytes(4, "little")], durable=False)
    current = set(keys)
    for stale in cache.iterdir():
        if stale.name not in current and not stale.name.startswith("."):  # dot: another run's temp file
            stale.unlink(missing_ok=True)
    return [streams[index] for index in range(len(keys))]


def read_entries(site: Path) -> list[Entry]:
    """Every public file, compressed where that helps."""
    files = site_files(site)  # first: it checks that ``site`` is a directory before anything is created in it
    contents = [read_file(site / rel) for rel in files]
    deflated = [rel.suffix.lower() not in STORED_SUFFIXES for rel in files]
    streams = iter(compressed(site / DEFLATE_CACHE, list(itertools.compress(contents, deflated))))
    return [  # the streams come in the order of the files they belong to
        Entry(
            name=str(rel),
            method=METHOD_DEFLATED if deflate_it else METHOD_STORED,
            crc=zlib.crc32(data),
            size=len(data),
            payload=next(streams) if deflate_it else data,
        )
        for rel, data, deflate_it in zip(files, contents, deflated, strict=True)
    ]


def write_zip(entries: list[Entry], stamp: tuple[int, int]) -> bytes:
    """Local headers and data, then the central directory, then its end record (APPNOTE 4.3)."""
    dos_time, dos_date = stamp
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for entry in entries:
        name = entry.name.encode("utf-8")
        if max(entry.size, len(entry.payload), offset) >= MAX_32:
            raise InputError("the site is too large for a zip without zip64", entry.name)
        common = (
            0 if entry.name.isascii() else UTF8_NAMES,
            entry.method,
            dos_time,
            dos_date,
            entry.crc,
            len(entry.payload),
            entry.size,
            len(name),
            0,
        )
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, VERSION, *common)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, MADE_BY_UNIX, VERSION, *common, 0, 0, 0, FILE_MODE, offset)
            + name
        )
        parts += [local, name, entry.payload]
        offset += len(local) + len(name) + len(entry.payload)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(parts) + directory + end


def build_zip(site: Path, epoch: int | None = None) -> bytes:
    """The bytes of the deterministic zip of ``site``, every entry stamped ``epoch`` (seconds; None: 1980)."""
    return write_zip(read_entries(site), dos_stamp(epoch))
