"""zip64: written when a site has 65,535 files or more, or an entry or offset passes 4 GiB, and only then."""

import gzip
import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from cmd.prezip.zipsite import Entry, build_zip, dos_stamp, zip_chunks
from server.assets import load_zip
from tests.tools.tools_support import run_tool

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

ZIP64_END_RECORD = struct.pack("<I", 0x06064B50)
STORED, DEFLATED = 0, 8


def stored(name: str, data: bytes) -> Entry:
    return Entry(name=name, method=STORED, crc=zlib.crc32(data), size=len(data), payload=data)


def test_a_small_site_is_byte_identical_to_the_classic_writer(tmp_path: Path) -> None:
    """The digest is of the zip prezip wrote for this site before it knew zip64 (main at 6afb3bd).
    Stored formats only, so that the bytes are the writer's alone, whatever zlib the machine has."""
    site = tmp_path / "site"
    files = {
        "img/logo.png": bytes(range(256)) * 4,
        "img/café.jpg": b"\xff\xd8" + bytes(500),
        "fonts/body.woff2": b"wOF2" + bytes(range(100)),
        "downloads/site.zip": b"PK\x05\x06" + bytes(18),
    }
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    data = build_zip(site, 1689335417)
    assert len(data) == 2096
    assert hashlib.sha256(data).hexdigest() == "37d4c2db7955c7571ec70ab124aecdcad89d5f8484c2a6019716a556950617ff"


@pytest.mark.parametrize(("count", "zip64"), [(65_534, False), (65_535, True)])
def test_the_entry_count_that_needs_zip64(count: int, zip64: bool) -> None:
    """65,535 is 0xFFFF, which in the classic count field means "see the zip64 record": from there on, zip64."""
    entries = [stored(f"p/{n:05}.txt", str(n).encode()) for n in range(count)]
    data = b"".join(zip_chunks(entries, dos_stamp(None)))
    assert (ZIP64_END_RECORD in data[-200:]) is zip64
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert len(archive.infolist()) == count
    assert archive.read("p/65533.txt") == b"65533"
    assert all(info.extra == b"" for info in archive.infolist())  # the entries themselves need no zip64


def page(folder: int, n: int) -> tuple[str, bytes]:
    """One file in a hundred is a page (compressed, with a gzip body); the rest are stored as they are."""
    if n % 100 == 0:
        return f"d{folder:02}/p{n:03}.html", f"<p>page {folder}-{n}</p>\n".encode() * 12
    return f"d{folder:02}/i{n:03}.png", f"{folder}-{n}".encode()


def test_seventy_thousand_files_through_prezip_and_the_server(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for folder in range(70):
        (site / f"d{folder:02}").mkdir(parents=True)
        for n in range(1000):
            name, data = page(folder, n)
            (site / name).write_bytes(data)
    first, again = tmp_path / "a.zip", tmp_path / "b.zip"
    for output in (first, again):  # the second run takes the pages' streams from the DEFLATE cache
        result = run_tool("cmd.prezip", str(site), "-o", str(output), text=True)
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == again.read_bytes()
    assert ZIP64_END_RECORD in first.read_bytes()[-200:]

    assets, size = load_zip(first)
    assert (len(assets), size) == (70_000, first.stat().st_size)
    for folder, n in [(0, 0), (41, 700), (69, 900), (0, 1), (69, 999)]:
        name, data = page(folder, n)
        assert assets[name].body == data
    for folder, n in [(0, 0), (41, 700), (69, 900)]:
        name, data = page(folder, n)
        packed = assets[name].gzip
        assert packed is not None and gzip.decompress(packed) == data


class SparseFile(io.FileIO):
    """Writes the one big all-zero payload as a hole: the zip's bytes, without 4 GiB of disk writes."""

    def __init__(self, path: Path, hole: bytes) -> None:
        super().__init__(path, "w")
        self.hole = hole

    def put(self, chunk: bytes) -> None:
        if chunk is self.hole:
            self.seek(len(chunk), io.SEEK_CUR)
        else:
            self.write(chunk)


def test_an_entry_and_an_offset_past_4_gib(tmp_path: Path) -> None:
    """A 4 GiB entry (its sizes in a zip64 field), then a page that starts past 4 GiB (its offset in one)."""
    big = bytes(1 << 32)  # zeros, allocated lazily: no 4 GiB of memory is touched
    page = b"<p>after the big one</p>\n" * 40
    stream = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    deflated = stream.compress(page) + stream.flush()
    entries = [
        Entry(name="big.bin", method=STORED, crc=zlib.crc32(big), size=len(big), payload=big),
        Entry(name="page.html", method=DEFLATED, crc=zlib.crc32(page), size=len(page), payload=deflated),
    ]
    path = tmp_path / "big.zip"
    with SparseFile(path, big) as sink:
        for chunk in zip_chunks(entries, dos_stamp(None)):
            sink.put(chunk)
        sink.truncate()

    archive = zipfile.ZipFile(path)
    big_info, page_info = archive.infolist()
    assert (big_info.file_size, big_info.compress_size, big_info.header_offset) == (1 << 32, 1 << 32, 0)
    assert page_info.header_offset > 1 << 32
    assert archive.read("page.html") == page  # found through the zip64 offset, CRC checked
    with archive.open("big.bin") as member:
        assert member.read(1 << 20) == bytes(1 << 20)
