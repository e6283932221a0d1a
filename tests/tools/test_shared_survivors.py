"""cmd/shared's errors, flags, manifest, layout and build lock, called in this process.

The tools' own tests run them as commands, which mutmut cannot see; these call each function
directly and check the exact value a user or the next tool reads (bench/mutation-survivors.md).
"""

import argparse
import datetime as dt
import errno
import fcntl
import hashlib
import os
import pickle
from pathlib import Path

import pytest

from cmd.shared import buildlock, manifest
from cmd.shared.cli import common_flags
from cmd.shared.errors import InputError, OutputError, os_failure, report, report_group
from cmd.shared.layout import encoded, list_page

# errors.py


def test_an_input_error_reads_as_path_line_message_or_the_message_alone() -> None:
    assert str(InputError("no title", Path("a/b.md"), 3)) == "a/b.md:3: no title"
    assert str(InputError("no title", "a/b.md")) == "a/b.md: no title"
    assert str(InputError("no articles")) == "no articles"
    assert repr(InputError("no articles", "x")) == "InputError('no articles')"


def test_an_input_error_crosses_a_process_pool_whole() -> None:
    copy = pickle.loads(pickle.dumps(OutputError("No space left on device", "/out/a.html")))
    assert type(copy) is OutputError and str(copy) == "/out/a.html: No space left on device"


def test_a_system_refusal_names_its_file_and_the_systems_reason() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/out/a.html")
    assert str(os_failure(full)) == "/out/a.html: No space left on device"
    assert str(os_failure(full, Path("/out/b.html"))) == "/out/b.html: No space left on device"
    assert str(os_failure(OSError("the disk went away"))) == "the disk went away"


def test_the_report_is_one_line_an_error_and_its_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert report("buildindex", []) == 0
    assert capsys.readouterr().err == ""
    assert report("buildindex", [InputError("bad date", "x.md", 2), InputError("no title", "y.md")]) == 1
    assert capsys.readouterr().err == "buildindex: error: x.md:2: bad date\nbuildindex: error: y.md: no title\n"


def test_a_group_reports_refused_writes_too_and_raises_anything_else(capsys: pytest.CaptureFixture[str]) -> None:
    refused = PermissionError(errno.EACCES, "Permission denied", "/out/x.html")
    group = ExceptionGroup("bad", [InputError("bad date", "x.md", 2), refused])
    assert report_group("rendermd", group) == 1
    assert (
        capsys.readouterr().err
        == "rendermd: error: x.md:2: bad date\nrendermd: error: /out/x.html: Permission denied\n"
    )
    with pytest.raises(ExceptionGroup):
        report_group("rendermd", ExceptionGroup("bug", [InputError("fine"), KeyError("a bug")]))


# cli.py


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(parents=[common_flags("prezip")])
    return parser.parse_args(argv)


def test_quiet_and_verbose_set_one_verbosity() -> None:
    assert [parse().verbosity, parse("-q").verbosity, parse("--quiet").verbosity] == [0, -1, -1]
    assert [parse("-v").verbosity, parse("--verbose").verbosity] == [1, 1]
    assert not hasattr(parse(), "version")


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse("-q", "--verbose")
    assert stopped.value.code == 2
    assert "argument -v/--verbose: not allowed with argument -q/--quiet" in capsys.readouterr().err


def test_version_names_the_tool(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse("--version")
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("prezip (eblog) ")


def test_the_shared_flags_help() -> None:
    shown = " ".join(argparse.ArgumentParser(parents=[common_flags("prezip")]).format_help().split())
    assert "-q, --quiet print only warnings and errors" in shown
    assert "-v, --verbose say more about each step" in shown
    assert "--version print the version and exit" in shown


# layout.py


def test_feed_and_sitemap_urls_keep_the_reserved_characters_and_encode_the_rest() -> None:
    assert encoded("/a:b@c!$&'()*+,;=-._~/") == "/a:b@c!$&'()*+,;=-._~/"
    assert encoded('/café au lait/"x"') == "/caf%C3%A9%20au%20lait/%22x%22"


def test_list_pages_are_named_as_hugo_names_them() -> None:
    assert list_page("/", 1) == ("/", "index.html")
    assert list_page("/", 3) == ("/page/3/", "page/3/index.html")
    assert list_page("/posts/", 1) == ("/posts/", "posts/index.html")
    assert list_page("/tags/X", 1) == ("/tags/X", "tags/X.html")
    assert list_page("/tags/X", 2) == ("/tags/X/page/2/", "tags/X/page/2/index.html")
    assert list_page("/posts/", 2) == ("/posts/page/2/", "posts/page/2/index.html")


# manifest.py


def test_series_parts_order_by_part_then_date_with_gaps_first() -> None:
    day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert manifest.series_order(3, day, "/c") == (3, day, "/c")
    unnumbered = manifest.series_order(None, None, "/u")
    assert unnumbered == (0, dt.datetime(1, 1, 1, tzinfo=dt.UTC), "/u")
    assert unnumbered[1].tzinfo is dt.UTC, "comparable with the dated parts"


def test_the_manifest_is_written_sorted_in_utf_8_and_read_back(tmp_path: Path) -> None:
    manifest.write(tmp_path, {"site": "Café", "articles": []})
    path = tmp_path / ".eblog" / "manifest.json"
    assert path.read_bytes() == '{"articles": [], "format": 2, "site": "Café"}\n'.encode()
    read, digest = manifest.read_with_digest(tmp_path)
    assert read == {"articles": [], "format": 2, "site": "Café"}
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


UNCLOSED = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"  # json's own words


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no manifest: run 'python -m cmd.rendermd ARTICLES OUT' first"),
        (b"{", f"unreadable manifest ({UNCLOSED}); run rendermd again"),
        (b"[]", "manifest from another version of the tools; run rendermd again"),
        (b'{"format": 1}', "manifest from another version of the tools; run rendermd again"),
    ],
)
def test_a_missing_damaged_or_older_manifest_is_one_line_naming_it(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / ".eblog" / "manifest.json"
    if content is not None:
        path.parent.mkdir()
        path.write_bytes(content)
    with pytest.raises(InputError) as refused:
        manifest.read(tmp_path)
    assert str(refused.value) == f"{path}: {message}"


# buildlock.py


def test_the_mark_names_each_unfinished_tool_on_its_line(tmp_path: Path) -> None:
    buildlock.set_mark(tmp_path, ["rendermd", "buildindex"])
    assert (tmp_path / ".eblog" / "incomplete").read_bytes() == b"rendermd\nbuildindex\n"
    assert buildlock.unfinished(tmp_path) == ["rendermd", "buildindex"]
    buildlock.set_mark(tmp_path, [])
    assert not (tmp_path / ".eblog" / "incomplete").exists()
    buildlock.set_mark(tmp_path, [])  # no mark to take away: nothing to do
    assert buildlock.unfinished(tmp_path) == []


def test_a_mark_that_cannot_be_read_or_removed_is_one_line_naming_it(tmp_path: Path) -> None:
    mark = tmp_path / ".eblog" / "incomplete"
    (mark / "in-the-way").mkdir(parents=True)
    with pytest.raises(OutputError) as unread:
        buildlock.unfinished(tmp_path)
    assert str(unread.value) == f"{mark}: Is a directory"
    with pytest.raises(OutputError) as kept:
        buildlock.set_mark(tmp_path, [])
    assert str(kept.value) == f"{mark}: Is a directory"


def test_the_lock_file_is_made_readable_by_all_and_writable_by_none(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        os.close(buildlock.take_lock(tmp_path, fcntl.LOCK_SH, 0, "busy"))
    finally:
        os.umask(old)
    assert (tmp_path / ".eblog" / "lock").stat().st_mode & 0o777 == 0o644


def test_a_lock_file_that_cannot_be_opened_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".eblog" / "lock").mkdir(parents=True)
    with pytest.raises(OutputError) as refused:
        buildlock.take_lock(tmp_path, fcntl.LOCK_SH, 0, "busy")
    assert str(refused.value) == f"{tmp_path / '.eblog' / 'lock'}: Is a directory"


def test_a_held_lock_is_waited_for_then_refused_naming_the_folder(tmp_path: Path) -> None:
    holder = buildlock.take_lock(tmp_path, fcntl.LOCK_EX, 0, "busy")
    try:
        open_before = len(os.listdir("/proc/self/fd"))
        with pytest.raises(InputError) as refused:
            buildlock.take_lock(tmp_path, fcntl.LOCK_SH, 0.15, "a build is still writing it")
        assert len(os.listdir("/proc/self/fd")) == open_before, "the refused try closed its file"
    finally:
        os.close(holder)
    assert str(refused.value) == f"{tmp_path}: a build is still writing it after waiting 0.15 s"
