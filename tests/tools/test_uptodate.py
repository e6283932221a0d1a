"""The no-change fast path (cmd.shared.uptodate): a warm run skips only while nothing it reads or wrote changed.

Each tool's command line runs in-process here, as a user's run would, minus the
interpreter start.  Whether a run was skipped is seen from outside: a full run
writes its stamp again (a new inode), a skipped one leaves it as it was.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main as buildindex_main
from cmd.prezip.__main__ import main as prezip_main
from cmd.rendermd.__main__ import main as rendermd_main
from cmd.shared import uptodate
from tests.tools.tools_support import REPO

SETTLE = 0.06  # seconds: past the racy window (50 ms), so what was just written may be vouched for


def settle() -> None:
    time.sleep(SETTLE)


def stamp_of(out: Path, tool: str) -> tuple[int, int] | None:
    """The stamp's inode and mtime: a full run writes a new one, a skipped run leaves it."""
    path = out / ".eblog" / "stamps" / f"{tool}.json"
    if not path.exists():
        return None
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def pipeline(articles: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """rendermd, buildindex, prezip -o, as a user runs them; their stderr lines."""
    assert rendermd_main([str(articles), str(out)]) == 0
    assert buildindex_main([str(out)]) == 0
    assert prezip_main([str(out), "-o", str(out.parent / "site.zip")]) == 0
    return capsys.readouterr().err.splitlines()


def stamped(articles: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[int, int] | None]:
    """Build until every tool has a stamp, and return them.

    One settled run is enough, unless something else on the machine wrote to a
    folder on sys.path within the racy window (a linter's cache beside the repo):
    the run then rightly keeps no stamp, and the next one does.
    """
    pipeline(articles, out, capsys)
    for _ in range(3):
        settle()
        pipeline(articles, out, capsys)
        stamps = {tool: stamp_of(out, tool) for tool in ("rendermd", "buildindex", "prezip")}
        if None not in stamps.values():
            return stamps
    raise AssertionError(f"no stamp after three settled runs: {stamps}")


def skipped(out: Path, before: dict[str, tuple[int, int] | None]) -> dict[str, bool]:
    return {tool: stamp_of(out, tool) == stamp for tool, stamp in before.items()}


def test_a_run_with_nothing_changed_skips_every_tool_and_says_the_same(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    before = stamped(sample_dir, out, capsys)
    zip_before = (tmp_path / "site.zip").stat()
    lines = pipeline(sample_dir, out, capsys)
    assert skipped(out, before) == {"rendermd": True, "buildindex": True, "prezip": True}
    assert lines[0] == f"rendermd: {sample_dir}: eblog's own layout; URLs like /:section/:slug"
    assert re.fullmatch(r"rendermd: 0 rendered, 5 unchanged, 0 removed, 1 drafts skipped in \d+\.\d\d s", lines[1])
    assert re.fullmatch(r"buildindex: up to date in \d+\.\d\d s", lines[2])
    assert len(lines) == 3
    zip_after = (tmp_path / "site.zip").stat()
    assert (zip_after.st_ino, zip_after.st_mtime_ns) == (zip_before.st_ino, zip_before.st_mtime_ns)


def edit(articles: Path) -> None:
    gamma = articles / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")


def add(articles: Path) -> None:
    (articles / "omega.md").write_text("---\ntitle: Omega\ndate: 2001-06-01\n---\nOmega text.\n", encoding="utf-8")


def delete(articles: Path) -> None:
    (articles / "gamma.md").unlink()


def touch(articles: Path) -> None:
    os.utime(articles / "gamma.md")


def same_size_same_mtime(articles: Path) -> None:
    """A byte changed in place and the mtime put back (as ``cp -p`` or an archive would): only ctime tells."""
    gamma = articles / "gamma.md"
    st = gamma.stat()
    text = gamma.read_text(encoding="utf-8")
    gamma.write_text(text.replace("Gamma continues", "Gamma Continues"), encoding="utf-8")
    os.utime(gamma, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert gamma.stat().st_size == st.st_size


def new_template(articles: Path) -> None:
    (articles / "templates").mkdir()
    (articles / "templates" / "extra.css").write_text(".mine { color: red; }\n", encoding="utf-8")


def new_setting(articles: Path) -> None:
    (articles / "site.toml").write_text('title = "Another title"\n', encoding="utf-8")


@pytest.mark.parametrize(
    "change", [edit, add, delete, touch, same_size_same_mtime, new_template, new_setting], ids=lambda f: f.__name__
)
def test_any_change_to_the_articles_runs_rendermd_in_full(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object
) -> None:
    out = tmp_path / "out"
    before = stamped(sample_dir, out, capsys)
    assert callable(change)
    change(sample_dir)
    assert rendermd_main([str(sample_dir), str(out)]) == 0
    assert stamp_of(out, "rendermd") != before["rendermd"]  # the stamp of a full run (or none, if racy)


def test_what_each_change_does_reaches_the_pages(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    edit(sample_dir)
    add(sample_dir)
    pipeline(sample_dir, out, capsys)
    assert "An added sentence." in (out / "gamma-page.html").read_text(encoding="utf-8")
    assert (out / "omega.html").exists()
    settle()
    delete(sample_dir)
    pipeline(sample_dir, out, capsys)
    assert not (out / "gamma-page.html").exists()


def test_a_touch_that_keeps_the_bytes_runs_once_in_full_then_skips_again(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    pages = {path: path.read_bytes() for path in out.glob("*.html")}
    settle()
    touch(sample_dir)
    settle()
    lines = pipeline(sample_dir, out, capsys)
    assert re.fullmatch(r"rendermd: 0 rendered, 5 unchanged, 0 removed, 1 drafts skipped in \d+\.\d\d s", lines[1])
    assert {path: path.read_bytes() for path in out.glob("*.html")} == pages
    settle()
    again = {tool: stamp_of(out, tool) for tool in ("rendermd", "buildindex", "prezip")}
    pipeline(sample_dir, out, capsys)
    assert skipped(out, again) == {"rendermd": True, "buildindex": True, "prezip": True}


def test_a_page_deleted_from_out_is_written_again(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    page = (out / "beta.html").read_bytes()
    (out / "beta.html").unlink()
    assert rendermd_main([str(sample_dir), str(out)]) == 0
    assert (out / "beta.html").read_bytes() == page


def test_an_interrupted_build_is_never_skipped(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    before = stamped(sample_dir, out, capsys)
    (out / ".eblog" / "incomplete").write_text("rendermd\n", encoding="utf-8")
    assert rendermd_main([str(sample_dir), str(out)]) == 0
    assert stamp_of(out, "rendermd") != before["rendermd"]
    assert not (out / ".eblog" / "incomplete").exists()


def test_buildindex_runs_in_full_for_a_new_manifest_option_or_missing_page(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    assert buildindex_main([str(out), "--base-url", "https://other.example.org"]) == 0
    assert "https://other.example.org/beta" in (out / "sitemap.xml").read_text(encoding="utf-8")
    settle()
    assert buildindex_main([str(out)]) == 0
    assert "https://other.example.org" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    settle()
    (out / "rss.xml").unlink()
    assert buildindex_main([str(out)]) == 0
    assert (out / "rss.xml").exists()
    settle()
    edit(sample_dir)
    assert rendermd_main([str(sample_dir), str(out)]) == 0
    assert buildindex_main([str(out)]) == 0
    assert "An added sentence." in (out / "feed.json").read_text(encoding="utf-8")


def test_prezip_writes_again_for_a_changed_site_epoch_or_missing_zip(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, zip_path = tmp_path / "out", tmp_path / "site.zip"
    stamped(sample_dir, out, capsys)
    first = zip_path.read_bytes()
    (out / "beta.html").write_text("changed by hand", encoding="utf-8")
    assert prezip_main([str(out), "-o", str(zip_path)]) == 0
    assert zip_path.read_bytes() != first
    (out / "beta.html").unlink()
    assert prezip_main([str(out), "-o", str(zip_path)]) == 0
    without_beta = zip_path.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert prezip_main([str(out), "-o", str(zip_path)]) == 0
    assert zip_path.read_bytes() != without_beta
    zip_path.unlink()
    assert prezip_main([str(out), "-o", str(zip_path)]) == 0
    assert zip_path.exists()


def test_inputs_changed_within_the_racy_window_get_no_stamp(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("just written", encoding="utf-8")
    watch = uptodate.Watch(tmp_path, "test", ["key"], deep=[tmp_path / "in"], shallow=[])
    watch.keep([], ["done"])
    assert uptodate.unchanged(tmp_path, "test", ["key"]) is None
    settle()
    uptodate.Watch(tmp_path, "test", ["key"], deep=[tmp_path / "in"], shallow=[]).keep([], ["done"])
    assert uptodate.unchanged(tmp_path, "test", ["key"]) == ["done"]
    assert uptodate.unchanged(tmp_path, "test", ["another key"]) is None


def test_the_full_run_takes_the_walk_of_the_check_before_it(tmp_path: Path) -> None:
    """The Watch reuses the skip check's walk rather than stat the tree again: a file changed between
    the two is recorded as it was before, so the next check finds it changed and runs in full."""
    (tmp_path / "in").mkdir()
    first = tmp_path / "in" / "a.md"
    first.write_text("one", encoding="utf-8")
    settle()
    uptodate.Watch(tmp_path, "test", ["key"], deep=[tmp_path / "in"], shallow=[]).keep([], ["done"])
    (tmp_path / "in" / "b.md").write_text("new", encoding="utf-8")
    settle()
    assert uptodate.unchanged(tmp_path, "test", ["key"]) is None  # b.md: the run goes ahead
    first.write_text("two, written after the check", encoding="utf-8")
    settle()
    uptodate.Watch(tmp_path, "test", ["key"], deep=[tmp_path / "in"], shallow=[]).keep([], ["done"])
    assert uptodate.unchanged(tmp_path, "test", ["key"]) is None


def test_a_symbolic_link_among_the_inputs_gets_no_stamp(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "elsewhere.md").write_text("the target", encoding="utf-8")
    (tmp_path / "in" / "link.md").symlink_to(tmp_path / "elsewhere.md")
    settle()
    uptodate.Watch(tmp_path, "test", ["key"], deep=[tmp_path / "in"], shallow=[]).keep([], ["done"])
    assert uptodate.unchanged(tmp_path, "test", ["key"]) is None


def test_a_library_installed_on_the_import_path_is_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade (Pygments 2.x -> 2.y) swaps a *.dist-info folder: the folder on sys.path gets a new mtime."""
    site_packages = tmp_path / "site-packages"
    (site_packages / "pygments-2.18.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site_packages))
    settle()
    uptodate.Watch(tmp_path, "test", ["key"], deep=[], shallow=[]).keep([], ["done"])
    assert uptodate.unchanged(tmp_path, "test", ["key"]) == ["done"]
    (site_packages / "pygments-2.18.0.dist-info").rename(site_packages / "pygments-2.19.1.dist-info")
    assert uptodate.unchanged(tmp_path, "test", ["key"]) is None


@pytest.mark.slow  # six interpreter starts
def test_a_skipped_run_imports_none_of_the_libraries(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each tool runs twice in its own process (pytest's sys.path is another key): the second has nothing to do."""
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    heavy = [
        "jinja2",
        "pygments",
        "pyromark",
        "yaml",
        "cmd.rendermd.build",
        "cmd.buildindex.index",
        "cmd.prezip.zipsite",
    ]
    for tool, args in [
        ("cmd.rendermd", [str(sample_dir), str(out)]),
        ("cmd.buildindex", [str(out)]),
        ("cmd.prezip", [str(out), "-o", str(tmp_path / "site.zip")]),
    ]:
        script = (
            "import runpy, sys\n"
            f"sys.argv = [{tool!r}, *{args!r}]\n"
            "try:\n"
            f"    runpy.run_module({tool!r}, run_name='__main__')\n"
            "except SystemExit as exit:\n"
            "    assert not exit.code, exit.code\n"
            f"print(sorted(name for name in {heavy!r} if name in sys.modules))\n"
        )
        full = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert full.returncode == 0, full.stderr
        assert full.stdout.strip() != "[]", (tool, full.stdout)  # the check below can fail
        settle()
        skipped = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert skipped.returncode == 0, skipped.stderr
        assert skipped.stdout.strip() == "[]", (tool, skipped.stdout)


def test_a_fragment_deleted_from_out_is_rendered_again(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stamp watches the fragments' folder, not each fragment: a deletion still changes the folder."""
    out = tmp_path / "out"
    stamped(sample_dir, out, capsys)
    fragment = out / ".eblog" / "fragments" / "beta.md.html"
    body = fragment.read_bytes()
    fragment.unlink()
    assert rendermd_main([str(sample_dir), str(out)]) == 0
    assert fragment.read_bytes() == body


def test_an_articles_folder_given_as_a_link_is_watched_through_it(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    linked = tmp_path / "linked-articles"
    linked.symlink_to(sample_dir)
    out = tmp_path / "out"
    before = stamped(linked, out, capsys)
    edit(sample_dir)
    assert rendermd_main([str(linked), str(out)]) == 0
    assert stamp_of(out, "rendermd") != before["rendermd"]
    assert "An added sentence." in (out / "gamma-page.html").read_text(encoding="utf-8")
