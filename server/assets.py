"""Read the site's zip once into an immutable table of ready-to-send bodies.

Each entry yields an identity body and, for DEFLATE entries, a gzip body that
costs no compression: a zip entry's raw DEFLATE stream is exactly the payload
of a gzip member (RFC 1952), so the gzip body is a fixed 10-byte header, the
stream as it sits in the zip, and an 8-byte trailer (the entry's CRC-32 and
size, both already in the zip's central directory).

The raw stream is found the way the zip format defines it (APPNOTE 4.3.7):
``ZipInfo.header_offset`` points at the entry's local file header, 30 fixed
bytes whose last two little-endian shorts give the lengths of the file name
and extra field that follow it; the compressed data starts right after them
and is ``ZipInfo.compress_size`` bytes long.  The identity body is inflated
from those very bytes and checked against the CRC-32 and size, so a corrupt
zip fails here, at start-up, never in a client's gzip decoder.
"""

import calendar
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Mapping
from email.utils import formatdate
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import NamedTuple

LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, 22 bytes we don't need, name and extra lengths
LOCAL_SIGNATURE = b"PK\x03\x04"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# magic, DEFLATE, no flags, no mtime (deterministic), XFL 2 = "maximum compression", OS 255 = unknown
# DEFLATE can't expand its input more than about 1032 times (a maximal match costs at least 2 bits
# for 258 bytes); an entry that claims more is lying about its size.
MAX_DEFLATE_RATIO = 1032
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"

TEXT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
}
BINARY_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
    ".zip": "application/zip",
}
# Feeds get their registered types, so readers and browsers recognise them.
NAMED_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}


class SiteError(Exception):
    """The zip can't be served; the message names the file and fits on one line."""


class Asset(NamedTuple):
    """One file of the site, with everything a response needs precomputed."""

    name: str  # path inside the zip, e.g. "static/style.3f2a9c1b.css"
    media_type: str  # with "; charset=utf-8" for text
    body: bytes  # identity
    gzip: bytes | None  # None when the entry isn't DEFLATE or gzip wouldn't be smaller
    etag: str  # strong, of the identity body, quoted
    gzip_etag: str | None  # strong, of the gzip body (different bytes, so a different tag)
    last_modified: str | None  # IMF-fixdate; None when the zip carries no real date (see entry_seconds)
    mtime: int | None  # seconds since the epoch, for If-Modified-Since


def media_type(name: str) -> str:
    """The Content-Type for ``name``, from a fixed table so every machine answers alike."""
    path = PurePosixPath(name)
    suffix = path.suffix.lower()
    if (text := NAMED_TYPES.get(path.name) or TEXT_TYPES.get(suffix)) is not None:
        return f"{text}; charset=utf-8"
    return BINARY_TYPES.get(suffix, "application/octet-stream")


def http_date(seconds: float) -> str:
    """IMF-fixdate (RFC 9110 5.6.7), e.g. ``Tue, 01 Jan 1980 00:00:00 GMT``, in English whatever LC_TIME says."""
    return formatdate(seconds, usegmt=True)


def strong_etag(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


def check_name(name: str) -> None:
    """Refuse entry names that could mean something other than a plain site path."""
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or "\x00" in name or any(p in ("", ".", "..") for p in parts):
        raise SiteError(f"unsafe entry name {name!r}")


def raw_stream(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """The entry's compressed bytes, exactly as stored (see the module docstring)."""
    start = info.header_offset
    try:
        signature, name_len, extra_len = LOCAL_HEADER.unpack_from(data, start)
    except struct.error:
        raise SiteError(f"{info.filename}: local header out of range") from None
    if signature != LOCAL_SIGNATURE:
        raise SiteError(f"{info.filename}: bad local header signature")
    begin = start + LOCAL_HEADER.size + name_len + extra_len
    end = begin + info.compress_size
    if end > len(data):
        raise SiteError(f"{info.filename}: data runs past the end of the zip")
    return memoryview(data)[begin:end]


def entry_seconds(info: zipfile.ZipInfo) -> int | None:
    """The entry's timestamp, read as UTC (prezip writes SOURCE_DATE_EPOCH in UTC).

    prezip stamps 1980-01-01 00:00, the earliest time a zip can hold, when no
    SOURCE_DATE_EPOCH is given: a placeholder, not a date.  Sent as
    Last-Modified it would never change between builds, and a client that
    revalidates by date alone would get 304 for new content forever; so it
    yields None, and the server relies on the ETag alone.
    """
    if info.date_time == ZIP_EPOCH:
        return None
    return calendar.timegm((*info.date_time, 0, 0, 0))


def inflate(stream: memoryview, info: zipfile.ZipInfo) -> bytes:
    """Decompress a DEFLATE entry, checking what a gzip decoder will check of the same bytes.

    ``ZipFile.read`` would accept bytes after the end of the DEFLATE stream;
    in a gzip body they would sit where the trailer must be.  The declared
    size is not trusted: inflation stops one byte past it.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        body = inflater.decompress(stream, info.file_size + 1)
    except zlib.error as error:
        raise SiteError(f"{info.filename}: corrupt DEFLATE data ({error})") from None
    if len(body) > info.file_size:
        raise SiteError(f"{info.filename}: inflates to more than the {info.file_size} bytes it declares")
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise SiteError(f"{info.filename}: the DEFLATE stream does not end where the entry does")
    if zlib.crc32(body) != info.CRC or len(body) != info.file_size:
        raise SiteError(f"{info.filename}: CRC-32 or size does not match")
    return body


def make_asset(name: str, body: bytes, stream: bytes | memoryview | None, crc: int, mtime: int | None = None) -> Asset:
    """The asset for ``body``; ``stream`` is its raw DEFLATE stream, if it has one, and ``crc`` its CRC-32.

    The gzip body is kept only when it is smaller than the identity body.  The zip loader and
    the preview (which serves a site straight from the build's files) both make assets here.
    """
    packed = None
    if stream is not None and len(stream) + len(GZIP_HEADER) + 8 < len(body):
        trailer = struct.pack("<II", crc, len(body) & 0xFFFFFFFF)
        packed = b"".join((GZIP_HEADER, stream, trailer))
    return Asset(
        name=name,
        media_type=media_type(name),
        body=body,
        gzip=packed,
        etag=strong_etag(body),
        gzip_etag=None if packed is None else strong_etag(packed),
        last_modified=None if mtime is None else http_date(mtime),
        mtime=mtime,
    )


def load_entry(archive: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo) -> Asset:
    stream = None
    if info.compress_type == zipfile.ZIP_DEFLATED:
        stream = raw_stream(data, info)
        body = inflate(stream, info)
    else:
        body = archive.read(info)  # verifies CRC-32 and size
    return make_asset(info.filename, body, stream, info.CRC, entry_seconds(info))


def check_sizes(data: bytes, entries: list[zipfile.ZipInfo], max_site_bytes: int) -> None:
    """Refuse a zip bomb before inflating a byte of it.

    Entries whose stored bytes overlap (several names sharing one stream), a
    declared total past ``max_site_bytes``, and an entry claiming a ratio no
    DEFLATE stream can reach are all refused.  ``inflate`` then holds every
    entry to its declared size.
    """
    total = 0
    previous_end, previous_name = 0, ""
    for info in sorted(entries, key=lambda entry: entry.header_offset):
        if info.header_offset < previous_end:
            raise SiteError(f"{info.filename} overlaps {previous_name} (entries share stored bytes)")
        stream = raw_stream(data, info)
        previous_end = info.header_offset + LOCAL_HEADER.size + len(stream)
        previous_name = info.filename
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise SiteError(f"{info.filename}: a stored entry of {info.compress_size} bytes declares {info.file_size}")
        if info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1):
            raise SiteError(
                f"{info.filename}: declares {info.file_size} bytes from {info.compress_size}, "
                f"more than DEFLATE can expand ({MAX_DEFLATE_RATIO}:1)"
            )
        total += info.file_size
        if total > max_site_bytes:
            raise SiteError(f"the files inflate to more than {max_site_bytes} bytes (EBLOG_MAX_SITE_BYTES)")


def load_zip(path: Path | Traversable, max_site_bytes: int = 1 << 30) -> tuple[Mapping[str, Asset], int]:
    """Read ``path`` into a read-only ``{entry name: Asset}`` and the zip's size; SiteError on any defect."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SiteError(f"{path}: cannot read: {error.strerror or error}") from None
    if not data:
        raise SiteError(f"{path}: empty file, not a zip")
    assets: dict[str, Asset] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            check_sizes(data, entries, max_site_bytes)
            for info in entries:
                if info.is_dir():
                    continue
                check_name(info.filename)
                if info.filename in assets:
                    raise SiteError(f"duplicate entry {info.filename!r}")
                if info.flag_bits & 0x1:
                    raise SiteError(f"{info.filename}: encrypted entries are not supported")
                assets[info.filename] = load_entry(archive, data, info)
    except SiteError as error:
        raise SiteError(f"{path}: {error}") from None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as error:
        raise SiteError(f"{path}: corrupt zip: {error}") from None
    if not assets:
        raise SiteError(f"{path}: the zip holds no files")
    return MappingProxyType(assets), len(data)
