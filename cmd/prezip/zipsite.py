"""Build the site's zip deterministically, compressing each file at most once.

The zip is written here rather than with ``zipfile``, because ``zipfile``
cannot take an already-compressed stream: with our own writer a file whose
bytes have not changed reuses its DEFLATE stream from the cache in
OUT_DIR/.eblog/deflate (keyed by content hash), new files are compressed
on every core at once (zlib releases the GIL), and a file unchanged since the
last zip written with ``-o`` is not even read (cmd.prezip.reuse).  The format
written is the plain subset every reader, ``zipfile`` included, accepts: no extra fields, no
data descriptors; zip64 records only where a count, size or offset does not
fit the classic fields (65,535 entries, 4 GiB), so a small site's zip has none.
"""

import hashlib
import os
import struct
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cmd.shared.buildlock import reading
from cmd.shared.errors import InputError
from cmd.shared.files import read_checked, resolve_inside, write_checked
from cmd.shared.layout import BUILD_DIR, DEFAULT_WAIT
from cmd.shared.uptodate import settled_stat

if TYPE_CHECKING:
    from cmd.prezip.reuse import Previous

# Already compressed: DEFLATE would only add bytes and CPU.
STORED_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".woff", ".woff2", ".gz", ".br", ".zip", ".zst"}
)
DEFLATE_CACHE = f"{BUILD_DIR}/deflate"
CACHE_FORMAT = 2  # each cached stream is followed by its own CRC-32, so a torn one is noticed and redone
LEVEL = 9
SERIAL_BYTES = 1 << 18  # less to compress than this: one thread (256 KB of HTML at level 9: ~14 ms)
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can carry
ZIP_LAST = 4354819198  # 2107-12-31T23:59:58Z, the latest
METHOD_STORED, METHOD_DEFLATED = 0, 8
VERSION = 20  # "2.0": DEFLATE, folders; what every reader supports
ZIP64_VERSION = 45  # "4.5": zip64 records, needed to read an entry or archive that uses them
UNIX = 3 << 8  # "made by" a Unix system, so the mode below means what it says
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
UTF8_NAMES = 0x0800
ZIP64_FIELD = 0x0001  # the zip64 extended information extra field's tag
MAX_16 = 0xFFFF  # a 16-bit count holding this means "see the zip64 record"
MAX_32 = 0xFFFFFFFF  # likewise for a 32-bit size or offset
LOCAL, CENTRAL, END = 0x04034B50, 0x02014B50, 0x06054B50
ZIP64_END, ZIP64_LOCATOR = 0x06064B50, 0x07064B50
ZIP64_END_SIZE = 44  # the zip64 end record's size, less its signature and this size field


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    crc: int
    size: int
    payload: bytes  # the stored bytes or the raw DEFLATE stream
    key: str = ""  # the DEFLATE cache's name for the stream ("" when stored)
    stat: tuple[int, ...] | None = None  # the file's stat when read, if settled (see cmd.prezip.reuse)


def dos_stamp(seconds: int | None) -> tuple[int, int]:
    """The (DOS time, DOS date) every entry carries: ``seconds`` since the epoch, or 1980-01-01 for None."""
    seconds = ZIP_EPOCH if seconds is None else seconds
    t = time.gmtime(min(max(seconds, ZIP_EPOCH), ZIP_LAST))  # clamped to what a DOS date can hold
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), ((t.tm_year - 1980) << 9) | (
        t.tm_mon << 5
    ) | t.tm_mday


@dataclass(frozen=True)
class SiteFile:
    """A file to zip, named by strings: a thousand-page site makes thousands, and Path objects cost."""

    name: str  # in the zip, "/" between folders
    real: str  # what to read: the file with its links followed
    site: Path  # the folder zipped, as the user named it

    @property
    def shown(self) -> Path:
        """As the user would name it (under OUT_DIR, links not followed), for messages."""
        return self.site / self.name

    def zip_order(self) -> list[str]:
        """The zip's order: folder by folder (a PurePosixPath's), so ``a/b`` comes before ``a-b``."""
        return self.name.split("/")


def link_target(root: Path, link: Path) -> Path:
    """Where a link in the site leads: a public path inside the site, else an InputError naming the link."""
    real = resolve_inside(root, link)
    inside = real.relative_to(root)
    if any(part.startswith(".") for part in inside.parts):
        raise InputError(f"a link to {inside}, which is kept out of the zip", link)
    return real


def kind(site: Path, entry: os.DirEntry[str], root: str, name: str) -> tuple[str, bool, bool]:
    """What ``entry`` is read as: its real path, whether a folder, whether a file (a link followed inside the site)."""
    if entry.is_symlink():
        real = str(link_target(Path(root), site / name))
        return real, os.path.isdir(real), os.path.isfile(real)
    return entry.path, entry.is_dir(follow_symlinks=False), entry.is_file(follow_symlinks=False)


def collect(site: Path, folder: str, prefix: str, ancestors: tuple[str, ...]) -> Iterator[SiteFile]:
    """The public files under the real directory ``folder`` (``prefix`` in the zip), links followed inside the site.

    ``ancestors`` are the real folders on the way down, the site's own first.
    """
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)  # so the first bad link named is the same each run
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", site / prefix) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        name = prefix + entry.name
        real, is_dir, is_file = kind(site, entry, ancestors[0], name)
        if is_dir:
            if real in ancestors:
                raise InputError("a symlink loop: it leads back to a folder that holds it", site / name)
            yield from collect(site, real, name + "/", (*ancestors, real))
        elif is_file:
            yield SiteFile(name, real, site)
        else:
            raise InputError("neither a file nor a folder (a FIFO, socket or device cannot be zipped)", site / name)


def site_files(site: Path) -> list[SiteFile]:
    """The public files under ``site``, sorted by their names in the zip."""
    # os.scandir and strings rather than Path.rglob: on a thousand-page site it is several times faster.
    root = str(site.resolve())
    files = sorted(collect(site, root, "", (root,)), key=SiteFile.zip_order)
    if not files:
        raise InputError("no files to zip (run rendermd and buildindex first)", site)
    return files


def read_file(file: SiteFile) -> bytes:
    try:
        with open(file.real, "rb") as opened:
            return opened.read()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", file.shown) from None


def deflate(data: bytes) -> bytes:
    """Raw DEFLATE (no zlib header): what a zip entry holds, and what a gzip member wraps."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return compressor.compress(data) + compressor.flush()


def stream_key(data: bytes) -> str:
    """A stream's name in the cache: the settings are part of it, as a stream made at another
    level or by another zlib would make a warm build differ from a cold one."""
    salt = f"{CACHE_FORMAT}-{LEVEL}-{zlib.ZLIB_RUNTIME_VERSION}-".encode()
    return hashlib.sha256(salt + data).hexdigest()


def compressed(cache: Path, contents: list[bytes], keep: Iterable[str] = ()) -> list[tuple[str, bytes]]:
    """The cache key and raw DEFLATE stream of each of ``contents``: from the cache where it has one, else
    made and cached.  Streams neither asked for nor in ``keep`` (the members reused whole) are dropped.

    Cache entries are written without fsync (see write_checked): a stream torn by a crash fails its CRC-32.
    """
    cache.mkdir(parents=True, exist_ok=True)
    keys = [stream_key(data) for data in contents]
    streams = {index: stream for index, key in enumerate(keys) if (stream := read_checked(cache / key)) is not None}
    missing = [index for index in range(len(keys)) if index not in streams]
    for index, stream in zip(missing, deflate_all([contents[i] for i in missing]), strict=True):
        streams[index] = stream
        write_checked(cache / keys[index], stream)
    current = {*keys, *keep}
    for name in os.listdir(cache):  # names, not Paths: a thousand-page site's cache holds thousands
        if name not in current and not name.startswith("."):  # dot: another run's temp file
            (cache / name).unlink(missing_ok=True)
    return [(keys[index], streams[index]) for index in range(len(keys))]


def deflate_all(contents: list[bytes]) -> list[bytes]:
    """Each of ``contents`` deflated: on every core at once when there is enough of it to pay for a pool."""
    if sum(map(len, contents)) < SERIAL_BYTES:  # an edit's few pages: less than the pool's imports (logging...)
        return [deflate(data) for data in contents]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        return list(pool.map(deflate, contents))


def is_deflated(file: SiteFile) -> bool:
    return os.path.splitext(file.name)[1].lower() not in STORED_SUFFIXES


def read_entries(site: Path, *, wait: float = DEFAULT_WAIT, previous: "Previous | None" = None) -> list[Entry]:
    """Every public file, compressed where that helps, read while no build can change the site.

    With ``previous`` (the last zip), a file whose stat is the one it had then is not read: its member is copied.
    """
    with reading(site, wait=wait):  # first: it checks that ``site`` is a directory before anything is made in it
        files = site_files(site)
        stats = [settled_stat(file.real) for file in files]
        reused = [reusable(previous, file, stat) for file, stat in zip(files, stats, strict=True)]
        fresh = [index for index, entry in enumerate(reused) if entry is None]
        contents = {index: read_file(files[index]) for index in fresh}
        deflated = [index for index in fresh if is_deflated(files[index])]
        kept = (entry.key for entry in reused if entry is not None and entry.key)
        made = compressed(site / DEFLATE_CACHE, [contents[index] for index in deflated], kept)
    streams = dict(zip(deflated, made, strict=True))
    return [
        packed(files[index], contents[index], stats[index], streams.get(index)) if entry is None else entry
        for index, entry in enumerate(reused)
    ]


def reusable(previous: "Previous | None", file: SiteFile, stat: tuple[int, ...] | None) -> Entry | None:
    if previous is None or stat is None:
        return None
    return previous.entry(file.name, stat)


def packed(file: SiteFile, data: bytes, stat: tuple[int, ...] | None, stream: tuple[str, bytes] | None) -> Entry:
    """The member for a file read this run: its DEFLATE stream (and the stream's key), or its bytes as they are."""
    method, key, payload = (METHOD_DEFLATED, *stream) if stream else (METHOD_STORED, "", data)
    return Entry(file.name, method, zlib.crc32(data), len(data), payload, key, stat)


def zip64_field(*values: int) -> bytes:
    """The zip64 extended information extra field (APPNOTE 4.5.3) carrying ``values`` in 64 bits."""
    return struct.pack(f"<HH{len(values)}Q", ZIP64_FIELD, 8 * len(values), *values)


def entry_records(entry: Entry, stamp: tuple[int, int], offset: int) -> tuple[bytes, bytes]:
    """The entry's local header and its central directory record (APPNOTE 4.3.7, 4.3.12).

    A size or offset that does not fit in 32 bits reads 0xFFFFFFFF and is
    given in a zip64 field instead (both sizes together, as the local header
    requires); an entry that needs none has no extra field at all.
    """
    name = entry.name.encode("utf-8")
    big_sizes = max(entry.size, len(entry.payload)) >= MAX_32
    big_offset = offset >= MAX_32
    version = ZIP64_VERSION if big_sizes or big_offset else VERSION
    sizes = (MAX_32, MAX_32) if big_sizes else (len(entry.payload), entry.size)
    local_extra = zip64_field(entry.size, len(entry.payload)) if big_sizes else b""
    in_zip64 = [entry.size, len(entry.payload)] * big_sizes + [offset] * big_offset
    central_extra = zip64_field(*in_zip64) if in_zip64 else b""
    flags = 0 if entry.name.isascii() else UTF8_NAMES
    common = (flags, entry.method, *stamp, entry.crc, *sizes, len(name))
    local = struct.pack("<IHHHHHIIIHH", LOCAL, version, *common, len(local_extra))
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        CENTRAL,
        UNIX | version,
        version,
        *common,
        len(central_extra),
        0,  # comment
        0,  # disk
        0,  # internal attributes
        FILE_MODE,
        min(offset, MAX_32),
    )
    return local + name + local_extra, central + name + central_extra


def end_records(count: int, size: int, offset: int) -> bytes:
    """The end of central directory record (APPNOTE 4.3.16) for ``count`` entries, ``size`` bytes at ``offset``.

    When a value does not fit its field, the zip64 end record and its locator
    (4.3.14, 4.3.15) come first, and the field reads 0xFFFF or 0xFFFFFFFF.
    """
    end = struct.pack("<IHHHHIIH", END, 0, 0, *[min(count, MAX_16)] * 2, min(size, MAX_32), min(offset, MAX_32), 0)
    if count < MAX_16 and size < MAX_32 and offset < MAX_32:
        return end
    made_by = UNIX | ZIP64_VERSION
    zip64_end = struct.pack(
        "<IQHHIIQQQQ", ZIP64_END, ZIP64_END_SIZE, made_by, ZIP64_VERSION, 0, 0, count, count, size, offset
    )
    locator = struct.pack("<IIQI", ZIP64_LOCATOR, 0, offset + size, 1)  # it sits right after the directory
    return zip64_end + locator + end


def zip_chunks(entries: list[Entry], stamp: tuple[int, int], payloads: list[int] | None = None) -> Iterator[bytes]:
    """The zip in pieces: each entry's local header and data, then the central directory and its end records.

    ``payloads``, when given, gets the offset of each entry's data in the zip, in order.
    """
    directory: list[bytes] = []
    offset = 0
    for entry in entries:
        local, record = entry_records(entry, stamp, offset)
        yield local
        if payloads is not None:
            payloads.append(offset + len(local))
        yield entry.payload
        directory.append(record)
        offset += len(local) + len(entry.payload)
    central = b"".join(directory)
    yield central
    yield end_records(len(entries), len(central), offset)


def build_zip(site: Path, epoch: int | None = None, *, wait: float = DEFAULT_WAIT) -> bytes:
    """The bytes of the deterministic zip of ``site``, every entry stamped ``epoch`` (seconds; None: 1980)."""
    return b"".join(zip_chunks(read_entries(site, wait=wait), dos_stamp(epoch)))
