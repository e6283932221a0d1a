"""prezip: a deterministic zip whose DEFLATE entries double as gzip bodies."""

import gzip
import io
import os
import random
import re
import shutil
import subprocess
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cmd.prezip import zipsite
from cmd.prezip.__main__ import main
from cmd.prezip.zipsite import build_zip
from cmd.shared import files
from tests.tools.tools_support import BuiltSite, gzip_member, run_tool

TEXT = ("<p>A paragraph of a page, repeated so that DEFLATE has work to do.</p>\n" * 200).encode()
# name -> (bytes, stored?)
FILES = {
    "index.html": (TEXT, False),
    "café.html": (TEXT + b"<p>caf\xc3\xa9</p>", False),
    "static/style.0123456789.css": (b"body { margin: 0 auto; }\n" * 50, False),
    "feed.json": (b'{"items": []}\n' * 40, False),
    "rss.xml": (b"<rss/>\n" * 40, False),
    "tags/docker.html": (TEXT, False),
    "img/logo.png": (os.urandom(3000), True),
    "img/photo.JPG": (os.urandom(2000), True),
    "img/anim.gif": (os.urandom(500), True),
    "img/pic.webp": (os.urandom(700), True),
    "fonts/body.woff2": (os.urandom(900), True),
    "downloads/site.zip": (os.urandom(400), True),
    "downloads/data.gz": (gzip.compress(TEXT, mtime=0), True),
}
HIDDEN = [".eblog/manifest.json", ".eblog/fragments/a.html", ".hidden", "static/.DS_Store"]


def write_tree(folder: Path) -> Path:
    for name, (data, _) in {**FILES, **dict.fromkeys(HIDDEN, (b"private", True))}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "site")


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_every_public_file_sorted_and_intact(tree: Path) -> None:
    archive = open_zip(build_zip(tree))
    assert archive.testzip() is None  # every CRC checks out
    names = archive.namelist()
    assert names == sorted(FILES)
    for name in names:
        assert archive.read(name) == FILES[name][0]


def test_build_metadata_and_dot_files_stay_out(tree: Path) -> None:
    names = open_zip(build_zip(tree)).namelist()
    assert not [name for name in names if any(part.startswith(".") for part in name.split("/"))]


def test_compressed_formats_are_stored_and_text_is_deflated(tree: Path) -> None:
    for info in open_zip(build_zip(tree)).infolist():
        stored = FILES[info.filename][1]
        assert info.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED), info.filename
        if stored:
            assert info.compress_size == info.file_size
        else:
            assert info.compress_size < info.file_size / 4


def link_list(lines: int) -> bytes:
    """Many lines that share long runs: the one input here on which every DEFLATE level gives other bytes."""
    rng = random.Random(1)
    items = (
        f'<li><a href="/posts/{rng.randrange(50)}">{"".join(rng.choices("ab", k=rng.randrange(5, 40)))}</a></li>'
        for _ in range(lines)
    )
    return "\n".join(items).encode()


def test_text_is_deflated_at_the_highest_level(tree: Path) -> None:
    """The entry holds exactly what zlib makes at level 9 (window 2^15, memLevel 9); levels 1 to 8 differ here."""
    text = link_list(1000)
    (tree / "list.html").write_bytes(text)
    data = build_zip(tree)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    assert (
        gzip_member(data, open_zip(data).getinfo("list.html"))[10:-8] == compressor.compress(text) + compressor.flush()
    )


def test_fixed_timestamps_permissions_and_no_extra_fields(tree: Path) -> None:
    os.utime(tree / "index.html", (1_000_000_000, 1_000_000_000))
    (tree / "rss.xml").chmod(0o600)
    for info in open_zip(build_zip(tree)).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3  # Unix, so the mode below means what it says
        assert info.external_attr >> 16 == 0o100644
        assert info.extra == b""
        assert info.comment == b""


def test_source_date_epoch_sets_the_timestamp(tree: Path, tmp_path: Path) -> None:
    """The command reads SOURCE_DATE_EPOCH; the zip carries it, in UTC."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1689335417"}  # 2023-07-14 11:50:17 UTC
    result = run_tool("cmd.prezip", str(tree), "-o", str(tmp_path / "a.zip"), env=env)
    assert result.returncode == 0, result.stderr
    infos = open_zip((tmp_path / "a.zip").read_bytes()).infolist()
    assert {info.date_time for info in infos} == {(2023, 7, 14, 11, 50, 16)}  # zip times have 2 s steps


def test_the_library_takes_the_time_as_an_argument(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only __main__ reads the environment: build_zip uses the time it is given, or 1980."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1689335417")
    assert {info.date_time for info in open_zip(build_zip(tree)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    stamped = open_zip(build_zip(tree, 1_000_000_000)).infolist()  # 2001-09-09 01:46:40 UTC
    assert {info.date_time for info in stamped} == {(2001, 9, 9, 1, 46, 40)}


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, (1980, 1, 1, 0, 0, 0)), (5000000000, (2107, 12, 31, 23, 59, 58))],
)
def test_source_date_epoch_outside_the_zip_range_is_clamped(tree: Path, epoch: int, expected: tuple[int, ...]) -> None:
    assert {info.date_time for info in open_zip(build_zip(tree, epoch)).infolist()} == {expected}


def test_bad_source_date_epoch_is_an_error(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert main([str(tree), "-o", str(tree.parent / "out.zip")]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert "SOURCE_DATE_EPOCH" in line
    assert not (tree.parent / "out.zip").exists()


def test_same_site_gives_the_same_bytes(tree: Path, tmp_path: Path) -> None:
    first = build_zip(tree)
    assert build_zip(tree) == first  # second run: streams come from the deflate cache
    shutil.rmtree(tree / ".eblog")
    assert build_zip(tree) == first  # no cache at all
    other = write_tree(tmp_path / "elsewhere" / "copy")
    for path in other.rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    (other / "index.html").chmod(0o600)
    assert build_zip(other) == first  # other place, other times, other modes: same zip


def test_a_changed_file_changes_the_zip(tree: Path) -> None:
    first = build_zip(tree)
    (tree / "index.html").write_bytes(TEXT + b"<p>new</p>")
    second = build_zip(tree)
    assert second != first
    assert open_zip(second).read("index.html").endswith(b"<p>new</p>")


def test_the_deflate_cache_keeps_only_current_streams(tree: Path) -> None:
    deflated = sum(not stored for _, stored in FILES.values())
    build_zip(tree)
    for n in range(3):
        (tree / "index.html").write_bytes(TEXT + f"<p>edit {n}</p>".encode())
        build_zip(tree)
    assert len(list((tree / ".eblog/deflate").iterdir())) == deflated


@pytest.mark.parametrize(
    "tear",
    [lambda data: b"", lambda data: bytes(len(data)), lambda data: data[: len(data) // 2]],
    ids=["empty", "zeros", "cut"],
)
def test_a_torn_cache_entry_is_made_again(tree: Path, tear: Callable[[bytes], bytes]) -> None:
    """The cache is written without fsync: after a crash an entry may be empty, zeros or cut short.
    Its CRC-32 gives it away, and the stream is made again instead of going into the zip."""
    first = build_zip(tree)
    entries = list((tree / ".eblog/deflate").iterdir())
    for entry in entries:
        entry.write_bytes(tear(entry.read_bytes()))
    assert build_zip(tree) == first
    texts = {data for data, _ in FILES.values()}
    assert all(zlib.decompress(entry.read_bytes()[:-4], -15) in texts for entry in entries)  # repaired


def test_deflated_entries_are_gzip_members(tree: Path) -> None:
    """What the server sends for Accept-Encoding: gzip, built from the zip's bytes alone."""
    data = build_zip(tree)
    deflated = [info for info in open_zip(data).infolist() if info.compress_type == zipfile.ZIP_DEFLATED]
    assert len(deflated) == sum(not stored for _, stored in FILES.values())
    for info in deflated:
        member = gzip_member(data, info)
        assert gzip.decompress(member) == (tree / info.filename).read_bytes()
        assert zlib.crc32((tree / info.filename).read_bytes()) == info.CRC


def test_gzip_members_of_the_real_site(built_site: BuiltSite) -> None:
    data = build_zip(built_site.out)
    archive = open_zip(data)
    assert "index.html" in archive.namelist() and "atom.xml" in archive.namelist()
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert gzip.decompress(gzip_member(data, info)) == (built_site.out / info.filename).read_bytes()


def test_command_writes_the_zip_to_stdout_or_a_file(tree: Path, tmp_path: Path) -> None:
    piped = tmp_path / "piped.zip"
    with piped.open("wb") as stdout:
        result = run_tool("cmd.prezip", str(tree), stdout=stdout, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    result = run_tool("cmd.prezip", str(tree), "-o", str(tmp_path / "named.zip"))
    assert (result.returncode, result.stdout) == (0, b"")
    assert piped.read_bytes() == (tmp_path / "named.zip").read_bytes() == build_zip(tree)


def test_refuses_to_write_to_a_terminal(tree: Path) -> None:
    controller, terminal = os.openpty()
    try:
        result = run_tool("cmd.prezip", str(tree), stdout=terminal, stderr=subprocess.PIPE)
    finally:
        os.close(terminal)
    os.set_blocking(controller, False)
    try:
        shown = os.read(controller, 1 << 16)
    except OSError:  # nothing was written (EAGAIN, or EIO once the terminal side is closed)
        shown = b""
    finally:
        os.close(controller)
    assert result.returncode != 0
    assert b"terminal" in result.stderr
    assert result.stderr.count(b"\n") == 1
    assert b"PK" not in shown


def test_a_terminal_is_fine_with_an_output_file(tree: Path, tmp_path: Path) -> None:
    controller, terminal = os.openpty()
    try:
        output = str(tmp_path / "a.zip")
        result = run_tool("cmd.prezip", str(tree), "-o", output, stdout=terminal, stderr=subprocess.PIPE)
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 0, result.stderr
    assert open_zip((tmp_path / "a.zip").read_bytes()).namelist() == sorted(FILES)


def test_missing_directory_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-site"
    assert main([str(missing), "-o", str(tmp_path / "a.zip")]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"prezip: error: {missing}: not a directory")
    assert not missing.exists()  # a typo must not create the directory it names
    assert not (tmp_path / "a.zip").exists()


def test_a_file_instead_of_a_directory_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "page.html").write_text("not a site")
    assert main([str(tmp_path / "page.html"), "-o", str(tmp_path / "a.zip")]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"prezip: error: {tmp_path / 'page.html'}: not a directory")


@pytest.mark.parametrize("contents", [[], [".eblog/manifest.json"]])
def test_empty_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: list[str]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for name in contents:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("{}")
    assert main([str(site), "-o", str(tmp_path / "a.zip")]) != 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"prezip: error: {site}: no files to zip")
    assert not (tmp_path / "a.zip").exists()


def test_the_zip_does_not_depend_on_the_clock(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build_zip(tree)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    shutil.rmtree(tree / ".eblog")
    assert build_zip(tree) == first


def test_refuses_to_write_the_zip_inside_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>home</p>")
    result = run_tool("cmd.prezip", str(site), "-o", str(site / "assets.zip"), text=True)
    assert result.returncode == 2
    assert "outside" in result.stderr and str(site / "assets.zip") in result.stderr
    assert not (site / "assets.zip").exists()


def record_syncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Log each fsync (by the path of its descriptor) and rename, in order; both still happen."""
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source: str, target: str) -> None:
        calls.append(("rename", f"{source} -> {target}"))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_the_zip_is_on_disk_before_its_name_is(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-o FILE: the temp file is fsync'ed before it is renamed to FILE, and FILE's folder after, so a power
    cut leaves the old zip or the new one, never a name pointing at missing data."""
    calls = record_syncs(monkeypatch)
    output = tmp_path / "dist" / "assets.zip"
    output.parent.mkdir()
    assert main([str(tree), "-o", str(output)]) == 0
    [rename] = [i for i, (call, what) in enumerate(calls) if call == "rename" and what.endswith(f" -> {output}")]
    temp = calls[rename][1].split(" -> ")[0]
    assert ("fsync", temp) in calls[:rename]
    assert ("fsync", str(output.parent)) in calls[rename + 1 :]
    assert open_zip(output.read_bytes()).namelist() == sorted(FILES)


def test_a_zip_written_to_a_file_on_stdout_is_synced(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prezip OUT > FILE`: the old zip is gone already (the shell emptied FILE), but the new one is synced."""
    calls = record_syncs(monkeypatch)
    target = tmp_path / "assets.zip"
    saved = os.dup(1)
    try:
        with target.open("wb") as stdout:
            os.dup2(stdout.fileno(), 1)
            status = main([str(tree)])
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert status == 0
    assert ("fsync", str(target)) in calls
    assert open_zip(target.read_bytes()).namelist() == sorted(FILES)


def settled_pack(site: Path, zipped: Path) -> None:
    """prezip -o once the files are older than a file-system tick, so that its index vouches for them by stat."""
    time.sleep(0.1)
    assert main([str(site), "-o", str(zipped)]) == 0


def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files prezip reads from now on, as it reads them."""
    read: list[str] = []
    real_read = zipsite.read_file

    def read_file(file: zipsite.SiteFile) -> bytes:
        read.append(str(file.name))
        return real_read(file)

    monkeypatch.setattr(zipsite, "read_file", read_file)
    return read


def test_an_unchanged_file_is_copied_from_the_last_zip_not_read(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zipped = tmp_path / "a.zip"
    settled_pack(tree, zipped)
    (tree / "rss.xml").write_bytes(b"<rss>new</rss>\n")
    read = files_read(monkeypatch)
    settled_pack(tree, zipped)
    assert read == ["rss.xml"]
    assert zipped.read_bytes() == build_zip(tree)


def test_a_zip_changed_since_it_was_indexed_is_not_copied_from(tree: Path, tmp_path: Path) -> None:
    """Same size, one byte of a stored member flipped: the CRC-32 of the whole zip tells it from the one indexed."""
    zipped = tmp_path / "a.zip"
    settled_pack(tree, zipped)
    data = bytearray(zipped.read_bytes())
    data[data.index(FILES["img/logo.png"][0][:64]) + 10] ^= 0xFF
    zipped.write_bytes(bytes(data))
    settled_pack(tree, zipped)
    assert zipped.read_bytes() == build_zip(tree)


@pytest.mark.parametrize("index", ["{not json", "[]", '{"format": 1, "zip": [], "members": {}}', "\xff"])
def test_a_damaged_zip_index_is_a_note_and_a_full_pack(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], index: str
) -> None:
    zipped = tmp_path / "a.zip"
    settled_pack(tree, zipped)
    capsys.readouterr()
    (tree / ".eblog" / "zip-index.json").write_text(index, encoding="latin-1")
    (tree / "rss.xml").write_bytes(b"<rss>new</rss>\n")
    settled_pack(tree, zipped)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("prezip: its index .eblog/zip-index.json was "), line
    assert line.endswith(": every file packed again"), line
    assert zipped.read_bytes() == build_zip(tree)


def test_members_made_by_other_tools_are_not_copied(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another version of the tools, zlib or level may store or compress a file otherwise: every file is read."""
    zipped = tmp_path / "a.zip"
    settled_pack(tree, zipped)
    index = tree / ".eblog" / "zip-index.json"
    index.write_text(re.sub(r'"made_by": \[[^]]*\]', '"made_by": ["other tools", "1.2.3", 1]', index.read_text()))
    (tree / "rss.xml").write_bytes(b"<rss>new</rss>\n")
    read = files_read(monkeypatch)
    settled_pack(tree, zipped)
    assert sorted(read) == sorted(FILES)
    assert capsys.readouterr().err == ""  # not damage: nothing to say
    assert zipped.read_bytes() == build_zip(tree)


def test_small_chunks_are_written_in_few_calls_and_every_byte_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip is thousands of small headers between payloads: gathered into blocks, even when os.write is short."""
    calls: list[int] = []
    real_write = os.write

    def short_write(fd: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        return real_write(fd, bytes(data[:700_000]))  # as a pipe or a full disk may: less than asked

    monkeypatch.setattr(os, "write", short_write)
    chunks = [bytes([n % 256]) * 30 for n in range(5000)] + [b"b" * 3_000_000] + [b"tail"] * 10
    target = tmp_path / "out.bin"
    files.write_atomic(target, iter(chunks))
    assert target.read_bytes() == b"".join(chunks)
    assert len(calls) <= 12, calls  # 5,000 headers: one block; the big chunk: its own five short writes


def test_a_few_pages_are_deflated_in_this_thread_as_a_pool_would(monkeypatch: pytest.MonkeyPatch) -> None:
    contents = [b"<p>page %d</p>" % n * 50 for n in range(6)]
    serial = zipsite.deflate_all(contents)
    monkeypatch.setattr(zipsite, "SERIAL_BYTES", 0)  # the pool, as for a cold build
    assert zipsite.deflate_all(contents) == serial
    assert [zlib.decompress(stream, -zlib.MAX_WBITS) for stream in serial] == contents
