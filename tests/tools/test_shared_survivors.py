"""cmd/shared's errors, flags, manifest, layout, build lock and theme, rendermd's Fragment and prezip's
stamp, called in this process.

The tools' own tests run them as commands, which mutmut cannot see; these call each function
directly and check the exact value a user or the next tool reads (bench/mutation-survivors.md).
"""

import argparse
import datetime as dt
import errno
import fcntl
import hashlib
import marshal
import os
import pickle
import re
from pathlib import Path

import jinja2
import pytest

from cmd.prezip import stamp as prezip_stamp
from cmd.rendermd import conventions
from cmd.rendermd.conventions.hugo import Hugo
from cmd.rendermd.fragment import Fragment
from cmd.shared import buildlock, manifest, theme
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


# theme.py


def test_compiled_templates_are_kept_per_version_of_the_tools_and_others_dropped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = out / ".eblog" / "compiled-templates"
    folder.mkdir(parents=True)
    (folder / "0123456789abcdef-old.cache").write_bytes(b"compiled by other tools")
    cache = theme.compiled_templates(out)
    assert list(folder.iterdir()) == [], "another version's entries are never read again: gone"
    bucket = jinja2.bccache.Bucket(jinja2.Environment(), "article.html", "checksum")
    bucket.code = compile("x = 1", "article.html", "exec")
    cache.dump_bytecode(bucket)
    (entry,) = folder.iterdir()
    assert re.fullmatch(r"[0-9a-f]{16}-article\.html\.cache", entry.name), "16 digits of the tools, then the key"
    theme.compiled_templates(tmp_path / "fresh")
    assert (tmp_path / "fresh" / ".eblog" / "compiled-templates").is_dir(), "made with its parents"


def test_a_theme_reads_its_templates_its_stylesheet_and_its_extra_rules(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("<html>")
    assert theme.Theme.read(tmp_path) == theme.Theme((("base.html", b"<html>"),), None, "")
    (tmp_path / "style.css").write_text("p { color: #123 }")
    (tmp_path / "extra.css").write_text("h1 { margin: 0 }")
    assert theme.Theme.read(tmp_path) == theme.Theme(
        (("base.html", b"<html>"),), "p { color: #123 }", "h1 { margin: 0 }"
    )
    assert theme.Theme.read(tmp_path / "none") == theme.Theme((), None, "")


def test_installed_templates_follow_the_theme_and_removed_ones_go(tmp_path: Path) -> None:
    copy = tmp_path / ".eblog" / "templates"
    assert theme.Theme((("a.html", b"A"),)).install(tmp_path) == copy
    assert theme.overrides(tmp_path) == copy
    assert theme.Theme((("b.html", b"B"),)).install(tmp_path) == copy
    assert sorted(path.name for path in copy.iterdir()) == ["b.html"]
    assert theme.Theme().install(tmp_path) is None
    assert list(copy.iterdir()) == []
    assert theme.overrides(tmp_path) is None, "an empty copy overrides nothing"
    assert theme.overrides(tmp_path / "elsewhere") is None


def test_the_stylesheet_is_ours_then_the_sites_rules_then_the_highlighting_under_its_hash() -> None:
    ours = (Path(theme.__file__).parent / "static" / "style.css").read_text(encoding="utf-8")
    name, data = theme.stylesheet(".hl { }")
    assert data == (ours + "\n/* Code highlighting (Pygments) */\n.hl { }").encode()
    assert name == f"static/style.{hashlib.sha256(data).hexdigest()[:10]}.css"
    name, data = theme.stylesheet(".hl { }", theme.Theme(style="p { }", extra="h1 { }"))
    assert data == b"p { }\n/* The site's own rules */\nh1 { }\n/* Code highlighting (Pygments) */\n.hl { }"


# cmd/rendermd/fragment.py and cmd/prezip/stamp.py


def test_a_fragment_comes_back_whole_from_the_render_cache() -> None:
    kept = Fragment("key", "digest", ((2, "intro", "Intro"),), 3, "An excerpt", ("/static/a.png",), ("x.md:1: w",))
    assert Fragment.from_json(marshal.loads(marshal.dumps(kept.to_json()))) == kept


def test_another_source_date_epoch_makes_prezip_zip_again(tmp_path: Path) -> None:
    one, other = (prezip_stamp.watch(tmp_path, tmp_path / "site.zip", epoch) for epoch in ("1700000000", "1"))
    assert one.key != other.key


# cmd/rendermd/conventions/__init__.py


@pytest.mark.parametrize(
    ("marks", "engine"),
    [
        ({"_config.yml": "title: x\n"}, "jekyll"),
        ({"../hugo.toml": "title = 'x'\n"}, "hugo"),
        ({"../config.toml": "base_url = 'https://example.org'\n"}, "zola"),
        ({"post.md": "---\ntitle: x\n---\n"}, "eblog"),
    ],
)
def test_a_tree_is_read_by_the_engine_whose_marks_it_has(tmp_path: Path, marks: dict[str, str], engine: str) -> None:
    root = tmp_path / "content"
    root.mkdir()
    for name, text in marks.items():
        (root / name).write_text(text)
    found = conventions.detect(root)
    assert found.name == engine and found.root == root


def test_a_named_engine_is_used_with_its_settings_when_it_has_any(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    assert type(conventions.detect(root, "hugo")) is Hugo and conventions.detect(root, "hugo").root == root
    (tmp_path / "hugo.toml").write_text("disablePathToLower = true\n")
    named = conventions.detect(root, "hugo")
    assert type(named) is Hugo and named.root == root and not named.lowercase, "the settings beside the tree"
    assert conventions.detect(root, "eblog").name == "eblog"


def test_an_unknown_engine_is_one_line_naming_site_toml(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        conventions.detect(tmp_path, "pelican")
    assert (
        str(refused.value)
        == f"{tmp_path / 'site.toml'}: unknown convention 'pelican' (known: eblog, jekyll, hugo, zola)"
    )
