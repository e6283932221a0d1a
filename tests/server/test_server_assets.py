"""The zip -> table step: bodies, gzip from the raw DEFLATE stream, validators, and refusing bad zips."""

import gzip
import io
import locale
import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from server.assets import SiteError, http_date, load_zip, media_type
from server.site import cache_control
from server.urls import clean_urls
from testing.server_sample import SampleSite, write_site, write_zip


def test_identity_bodies_are_the_files(site: SampleSite) -> None:
    assets, size = load_zip(site.zip)
    assert size == site.zip.stat().st_size
    assert sorted(assets) == sorted(site.files)
    for name, data in site.files.items():
        assert assets[name].body == data


def test_gzip_body_is_the_zip_stream_wrapped_and_decodes_to_the_file(site: SampleSite) -> None:
    assets, _ = load_zip(site.zip)
    page = assets["hello.html"]
    assert page.gzip is not None
    assert gzip.decompress(page.gzip) == site.files["hello.html"]
    with zipfile.ZipFile(site.zip) as archive:
        info = archive.getinfo("hello.html")
    # header (10) + the stored DEFLATE stream + CRC32 and ISIZE (8): nothing recompressed
    assert len(page.gzip) == 10 + info.compress_size + 8
    # magic, DEFLATE, no flags, no mtime, XFL 2 (maximum compression, as prezip packs), OS 255 (unknown)
    assert page.gzip[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    assert page.gzip[-8:] == info.CRC.to_bytes(4, "little") + info.file_size.to_bytes(4, "little")


def test_gzip_kept_only_when_smaller_and_never_for_stored_entries(site: SampleSite) -> None:
    assets, _ = load_zip(site.zip)
    assert assets["tiny.txt"].gzip is None  # 3 bytes can't shrink
    assert assets["static/logo.png"].gzip is None  # STORED by prezip
    for asset in assets.values():
        if asset.gzip is not None:
            assert len(asset.gzip) < len(asset.body)


def test_strong_etags_differ_per_encoding_and_follow_content(site: SampleSite, tmp_path: Path) -> None:
    assets, _ = load_zip(site.zip)
    page = assets["hello.html"]
    assert page.etag.startswith('"') and page.etag.endswith('"') and not page.etag.startswith("W/")
    assert page.gzip_etag is not None and page.gzip_etag != page.etag
    assert len({asset.etag for asset in assets.values()}) == len(assets)

    root = tmp_path / "site"
    write_site(root)
    (root / "hello.html").write_text("changed")
    write_zip(root, tmp_path / "changed.zip")
    changed, _ = load_zip(tmp_path / "changed.zip")
    assert changed["hello.html"].etag != page.etag
    assert changed["index.html"].etag == assets["index.html"].etag


def test_last_modified_is_the_entry_timestamp(tmp_path: Path) -> None:
    write_site(tmp_path / "site")
    write_zip(tmp_path / "site", tmp_path / "a.zip", epoch=1600000000)
    asset = load_zip(tmp_path / "a.zip")[0]["index.html"]
    assert asset.last_modified == "Sun, 13 Sep 2020 12:26:40 GMT"
    assert asset.mtime == 1600000000


def test_the_zip_epoch_placeholder_is_no_date(tmp_path: Path) -> None:
    write_site(tmp_path / "site")
    write_zip(tmp_path / "site", tmp_path / "a.zip", epoch=None)
    asset = load_zip(tmp_path / "a.zip")[0]["index.html"]
    assert asset.last_modified is None and asset.mtime is None


def test_table_is_read_only(site: SampleSite) -> None:
    assets, _ = load_zip(site.zip)
    with pytest.raises(TypeError):
        assets["evil.html"] = assets["index.html"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        assets["index.html"].body = b"x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("static/style.3f2a9c1b.css", "text/css; charset=utf-8"),
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("static/logo.png", "image/png"),
        ("static/font.woff2", "font/woff2"),
        ("README", "application/octet-stream"),
    ],
)
def test_media_types(name: str, expected: str) -> None:
    assert media_type(name) == expected


def zip_of(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corrupt_crc(site: SampleSite) -> bytes:
    data = bytearray(site.zip.read_bytes())
    with zipfile.ZipFile(site.zip) as archive:
        info = archive.getinfo("static/logo.png")  # STORED: flipping a byte breaks only the CRC
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0xFF
    return bytes(data)


def deflate_with_junk(site: SampleSite) -> bytes:
    """One DEFLATE entry whose stored bytes run on past the end of its DEFLATE stream."""
    content = b"<p>hello</p>" * 200
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = packer.compress(content) + packer.flush() + b"JUNK"
    data = bytearray(zip_of({"a.html": stream}, zipfile.ZIP_STORED))
    central = data.index(b"PK\x01\x02")
    for method_at, crc_at in ((8, 14), (central + 10, central + 16)):  # local header, central directory
        struct.pack_into("<H", data, method_at, zipfile.ZIP_DEFLATED)
        struct.pack_into("<I", data, crc_at, zlib.crc32(content))
        struct.pack_into("<I", data, crc_at + 8, len(content))  # uncompressed size
    return bytes(data)


def flipped_deflate_byte(site: SampleSite) -> bytes:
    data = bytearray(site.zip.read_bytes())
    with zipfile.ZipFile(site.zip) as archive:
        info = archive.getinfo("hello.html")
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda site: b"", "empty file"),
        (lambda site: b"not a zip at all", "corrupt zip"),
        (lambda site: site.zip.read_bytes()[:-30], "corrupt zip"),
        (corrupt_crc, "corrupt zip"),
        (deflate_with_junk, "does not end where the entry does"),
        (flipped_deflate_byte, "hello.html"),
        (lambda site: zip_of({}), "holds no files"),
        (lambda site: zip_of({"../etc/passwd": b"x"}), "unsafe entry name"),
        (lambda site: zip_of({"/abs.html": b"x"}), "unsafe entry name"),
        (lambda site: zip_of({"a//b.html": b"x"}), "unsafe entry name"),
    ],
)
def test_bad_zips_raise_one_line_error_naming_the_file(
    site: SampleSite, tmp_path: Path, make: Callable[[SampleSite], bytes], message: str
) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(make(site))
    with pytest.raises(SiteError) as caught:
        load_zip(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_missing_zip(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="cannot read"):
        load_zip(tmp_path / "nope.zip")


def test_only_hashed_names_under_static_are_immutable() -> None:
    assert cache_control("static/style.0123456789.css") == "public, max-age=31536000, immutable"
    pages = "public, max-age=60, s-maxage=30, stale-while-revalidate=30"
    assert cache_control("notes-deadbeef01.20240101.html") == pages
    assert cache_control("static/notes.html") == pages
    assert cache_control("static/logo.png") == "public, max-age=86400"


def test_the_cdn_max_age_sets_s_maxage_and_the_stale_window() -> None:
    pages = "public, max-age=60, s-maxage=300, stale-while-revalidate=300"
    assert cache_control("feed.json", 300) == pages
    assert cache_control("static/style.0123456789.css", 300) == "public, max-age=31536000, immutable"


def test_two_files_answering_one_url_are_refused() -> None:
    with pytest.raises(SiteError, match=r"rss\.xml and rss\.xml\.html would both answer /rss\.xml"):
        clean_urls(["index.html", "rss.xml", "rss.xml.html"])


def shared_stream_zip(content: bytes, names: list[str]) -> bytes:
    """A zip bomb's shape: one stored DEFLATE stream, listed in the central directory under several names."""
    first = names[0]
    data = bytearray(zip_of({first: content}))
    central = data.index(b"PK\x01\x02")
    end = data.index(b"PK\x05\x06")
    record = bytes(data[central:end])
    extra = b"".join(record.replace(first.encode(), name.encode()) for name in names[1:])
    assert all(len(name) == len(first) for name in names)
    tail = bytearray(data[end:])
    count = struct.unpack_from("<H", tail, 8)[0] + len(names) - 1
    struct.pack_into("<HHI", tail, 8, count, count, len(record) + len(extra))
    return bytes(data[:end]) + extra + bytes(tail)


def test_entries_sharing_stored_bytes_are_refused_before_inflating(tmp_path: Path) -> None:
    """Issue 17 defect 2: four names on one 1 GiB stream booted in 25 s at 5.1 GB RSS."""
    path = tmp_path / "bomb.zip"
    path.write_bytes(shared_stream_zip(b"\0" * 1_000_000, ["a.html", "b.html", "c.html", "d.html"]))
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == 4  # a zip reader takes it as four files
    with pytest.raises(SiteError, match=r"b\.html overlaps a\.html \(entries share stored bytes\)"):
        load_zip(path)


def test_a_site_past_the_size_cap_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(zip_of({"a.html": b"a" * 600_000, "b.html": b"b" * 600_000}))
    assert len(load_zip(path, max_site_bytes=1_200_000)[0]) == 2
    with pytest.raises(SiteError, match=r"inflate to more than 1000000 bytes \(EBLOG_MAX_SITE_BYTES\)"):
        load_zip(path, max_site_bytes=1_000_000)


def declared_size(data: bytes, size: int) -> bytes:
    """The zip with its one entry's uncompressed size rewritten, in the local header and the central directory."""
    patched = bytearray(data)
    central = patched.index(b"PK\x01\x02")
    struct.pack_into("<I", patched, 22, size)
    struct.pack_into("<I", patched, central + 24, size)
    return bytes(patched)


def test_an_absurd_declared_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratio.zip"
    path.write_bytes(declared_size(zip_of({"a.html": b"<p>hello</p>" * 10}), 4_000_000_000))
    with pytest.raises(SiteError, match=r"a\.html: declares 4000000000 bytes from \d+, more than DEFLATE can expand"):
        load_zip(path, max_site_bytes=8_000_000_000)


def test_an_entry_inflating_past_its_declared_size_stops_there(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    path.write_bytes(declared_size(zip_of({"a.html": b"a" * 1_000_000}), 1000))
    with pytest.raises(SiteError, match=r"a\.html: inflates to more than the 1000 bytes it declares"):
        load_zip(path)


def other_locales() -> list[str]:
    """The machine's locales other than C and POSIX (a stock Debian container has none)."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.split()
    return [name for name in listed if name.split(".")[0] not in ("C", "POSIX")]


def french_strftime(format: str, *when: object) -> str:
    """What strftime's %a and %b give under LC_TIME=fr_FR.UTF-8, for a machine that has no such locale."""
    return "jeu., 01 janv. 1970 00:00:00 GMT"


@pytest.mark.parametrize("setting", ["a French strftime", *other_locales()])
def test_http_dates_are_english_whatever_the_locale(setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if setting == "a French strftime":
        monkeypatch.setattr(time, "strftime", french_strftime)
        assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
        assert http_date(1_796_027_143) == "Mon, 30 Nov 2026 08:25:43 GMT"
        return
    saved = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, setting)
        assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    finally:
        locale.setlocale(locale.LC_TIME, saved)
