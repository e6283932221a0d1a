"""Tests for mutants of server/assets.py the rest of the suite let live (bench/mutation-survivors.md).

Each loads a zip, most of them patched by hand the way a broken or hostile one would be, and checks
the table or the one-line error, written out here.  Offsets are those of APPNOTE 4.3.7 (local file
header) and 4.3.12 (central directory header).
"""

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from server.assets import SiteError, load_zip
from tests.server.test_server_assets import zip_of

CONTENT = b"<p>hello, hello, hello</p>\n" * 20


def patched(
    data: bytes, local: dict[int, tuple[str, int | bytes]], central: dict[int, tuple[str, int | bytes]]
) -> bytes:
    """``data`` with fields of its first local header and first central directory header rewritten."""
    out = bytearray(data)
    start = out.index(b"PK\x01\x02")
    for base, fields in ((0, local), (start, central)):
        for offset, (form, value) in fields.items():
            struct.pack_into(form, out, base + offset, value)
    return bytes(out)


def refusal(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "site.zip"
    path.write_bytes(data)
    with pytest.raises(SiteError) as caught:
        load_zip(path)
    return str(caught.value).removeprefix(f"{path}: ")


def loaded(tmp_path: Path, data: bytes) -> dict[str, bytes]:
    path = tmp_path / "site.zip"
    path.write_bytes(data)
    return {name: asset.body for name, asset in load_zip(path)[0].items()}


def test_the_etag_is_24_hex_digits_of_blake2b(tmp_path: Path) -> None:
    path = tmp_path / "site.zip"
    path.write_bytes(zip_of({"a.html": b"hello"}))
    assert load_zip(path)[0]["a.html"].etag == '"8ed7252f4b03f9e8376db5b2"'


@pytest.mark.parametrize("name", ["a\\b.html", "a/./b.html", "./a.html"])
def test_names_with_a_backslash_or_a_dot_part_are_refused(tmp_path: Path, name: str) -> None:
    assert refusal(tmp_path, zip_of({name: b"x"})) == f"unsafe entry name {name!r}"


def test_a_local_header_past_the_end_is_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    assert refusal(tmp_path, patched(data, {}, {42: ("<I", len(data))})) == "a.html: local header out of range"


def test_a_local_header_without_its_signature_is_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    assert refusal(tmp_path, patched(data, {0: ("<4s", b"PK\x09\x09")}, {})) == "a.html: bad local header signature"


def test_stored_bytes_past_the_end_are_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    message = refusal(tmp_path, patched(data, {}, {20: ("<I", len(data))}))
    assert message == "a.html: data runs past the end of the zip"


def test_stored_bytes_up_to_the_very_end_are_in_range_and_then_found_not_to_end_there(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    up_to_the_end = len(data) - (30 + len("a.html"))
    message = refusal(tmp_path, patched(data, {}, {20: ("<I", up_to_the_end)}))
    assert message == "a.html: the DEFLATE stream does not end where the entry does"


def test_an_entry_with_an_extra_field_is_read_after_it(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("a.html", (2026, 11, 29, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.extra = b"\xfe\xca\x04\x00abcd"  # a private extra record of 4 bytes
        archive.writestr(info, CONTENT)
    assert loaded(tmp_path, buffer.getvalue()) == {"a.html": CONTENT}


def test_a_wrong_crc_with_the_right_size_is_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    wrong = zlib.crc32(CONTENT) ^ 1
    message = refusal(tmp_path, patched(data, {14: ("<I", wrong)}, {16: ("<I", wrong)}))
    assert message == "a.html: CRC-32 or size does not match"


def test_a_stored_entry_declaring_another_size_is_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": b"hello"}, zipfile.ZIP_STORED)
    message = refusal(tmp_path, patched(data, {22: ("<I", 6)}, {24: ("<I", 6)}))
    assert message == "a.html: a stored entry of 5 bytes declares 6"


def test_a_ratio_of_exactly_1032_passes_the_size_check(tmp_path: Path) -> None:
    """1032:1 is DEFLATE's limit, not past it: the entry gets as far as inflating, which finds it short."""
    data = zip_of({"a.html": CONTENT})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = 1032 * archive.getinfo("a.html").compress_size
    message = refusal(tmp_path, patched(data, {22: ("<I", declared)}, {24: ("<I", declared)}))
    assert message == "a.html: CRC-32 or size does not match"


def test_a_one_byte_stream_declaring_2000_bytes_is_refused_for_its_ratio(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    message = refusal(tmp_path, patched(data, {}, {20: ("<I", 1), 24: ("<I", 2000)}))
    assert message == "a.html: declares 2000 bytes from 1, more than DEFLATE can expand (1032:1)"


def test_an_entry_starting_inside_the_previous_one_is_refused(tmp_path: Path) -> None:
    data = bytearray(zip_of({"a.html": CONTENT, "b.html": CONTENT}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        first = archive.getinfo("a.html")
    inside = 30 + first.compress_size - 10  # before the first's end as the size check counts it
    second_central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    struct.pack_into("<I", data, second_central + 42, inside)
    assert refusal(tmp_path, bytes(data)) == "b.html overlaps a.html (entries share stored bytes)"


def test_directory_entries_are_skipped_not_the_end(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.mkdir("static")
        archive.writestr("static/a.css", CONTENT)
    assert loaded(tmp_path, buffer.getvalue()) == {"static/a.css": CONTENT}


def test_a_duplicate_entry_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.html", CONTENT)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.html", CONTENT)
    assert refusal(tmp_path, buffer.getvalue()) == "duplicate entry 'a.html'"


def test_an_encrypted_entry_is_refused(tmp_path: Path) -> None:
    data = zip_of({"a.html": CONTENT})
    message = refusal(tmp_path, patched(data, {6: ("<H", 1)}, {8: ("<H", 1)}))
    assert message == "a.html: encrypted entries are not supported"


def test_a_missing_zip_is_named_with_the_systems_reason(tmp_path: Path) -> None:
    path = tmp_path / "nope.zip"
    with pytest.raises(SiteError) as caught:
        load_zip(path)
    assert str(caught.value) == f"{path}: cannot read: No such file or directory"


def gap_of(body: bytes) -> int:
    """How many bytes smaller than ``body`` its level-9 DEFLATE stream is."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return len(body) - len(packer.compress(body) + packer.flush())


def body_with_gap(gap: int) -> bytes:
    """Random bytes (DEFLATE can't shrink them) then repeats (it can), as many as make the gap ``gap``."""
    noise = random.Random(13).randbytes(64)
    for repeats in range(200):
        body = noise + b"a" * repeats
        if gap_of(body) == gap:
            return body
    raise AssertionError(f"no body with a gap of {gap}")


@pytest.mark.parametrize(("gap", "gzipped"), [(18, False), (19, True)])
def test_gzip_is_kept_only_when_smaller_than_the_identity_body(tmp_path: Path, gap: int, gzipped: bool) -> None:
    """The gzip body is the stream plus 18 bytes (header and trailer): equal size is no gain."""
    body = body_with_gap(gap)
    path = tmp_path / "site.zip"
    path.write_bytes(zip_of({"a.bin": body}))
    asset = load_zip(path)[0]["a.bin"]
    assert (asset.gzip is not None, asset.name) == (gzipped, "a.bin")
    if asset.gzip is not None:
        assert len(asset.gzip) == len(body) - 1
