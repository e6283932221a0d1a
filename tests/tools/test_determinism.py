"""Determinism on a corpus the tests write: no build time in the output, the same bytes with or without workers.

Kept apart from test_pipeline_e2e (marked ``articles``, it reads the real articles/), so that
these run everywhere the suite runs, the Docker build's test run included.
"""

import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cmd.buildindex.index import build_index
from cmd.prezip.__main__ import main as prezip_main
from cmd.prezip.zipsite import build_zip
from cmd.rendermd.build import render_site
from cmd.shared.buildlock import set_mark
from tests.tools.tools_support import BuiltSite, public_files, write_article


def test_no_wall_clock_time_in_the_output(built_site: BuiltSite) -> None:
    """The sample articles are from 2001: a build date or year would stand out."""
    now = time.gmtime()
    today = dt.date(now.tm_year, now.tm_mon, now.tm_mday)
    clock = re.compile(rf"\b{now.tm_year}\b|{today.isoformat()}|{today.strftime('%d %b')}")
    files = public_files(built_site.out)
    assert len(files) > 10
    for name, data in files.items():
        assert not clock.search(data.decode("utf-8")), name
    archive = zipfile.ZipFile(io.BytesIO(build_zip(built_site.out)))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_parallel_and_serial_renders_are_identical(tmp_path: Path) -> None:
    """Enough articles to take the worker-process path, against one process."""
    articles = tmp_path / "articles"
    for n in range(40):
        body = f"## Part {n}\n\nText {n} with `code`.\n\n```python {{linenos=true}}\nx = {n}\n```\n"
        front = f"title: Post {n}\ndate: 2001-01-{n % 28 + 1:02}\ntags: [t{n % 3}]\n"
        write_article(articles, f"post-{n:02}.md", front, body)
    outputs = []
    for jobs in (2, 1):
        out = tmp_path / f"out-{jobs}"
        assert render_site(articles, out, jobs=jobs).rendered == 40
        build_index(out)
        outputs.append((public_files(out), build_zip(out)))
    assert outputs[0] == outputs[1]


def write_corpus(articles: Path) -> None:
    """Twelve articles: tags shared, a series, pages enough for lists of two pages (paginate 5)."""
    (articles / "site.toml").parent.mkdir(parents=True, exist_ok=True)
    (articles / "site.toml").write_text("paginate = 5\nfeed_size = 4\n", encoding="utf-8")
    for n in range(12):
        series = f"series: Guide\npart: {n // 4 + 1}\n" if n % 4 == 0 else ""
        front = f"title: Post {n}\ndate: 2001-02-{n + 1:02}\ntags: [t{n % 3}, all]\n{series}"
        body = f"Text {n} links to [the first](/post-00).\n\n```python\nx = {n}\n```\n"
        write_article(articles, f"post-{n:02}.md", front, body)


def build(articles: Path, out: Path) -> tuple[dict[str, bytes], bytes]:
    """The three tools in turn, prezip through its command line (its reuse of the last zip needs -o)."""
    render_site(articles, out)
    build_index(out)
    zipped = out.parent / f"{out.name}.zip"
    time.sleep(0.1)  # older than a file-system tick: prezip's index may vouch for the pages by their stat
    assert prezip_main([str(out), "-o", str(zipped)]) == 0
    return public_files(out), zipped.read_bytes()


EDITS: dict[str, Callable[[Path], object]] = {
    "body": lambda a: (a / "post-07.md").write_text((a / "post-07.md").read_text() + "\nOne more line.\n"),
    "title": lambda a: (a / "post-03.md").write_text((a / "post-03.md").read_text().replace("Post 3", "Renamed")),
    "tags": lambda a: (a / "post-05.md").write_text((a / "post-05.md").read_text().replace("t2, all", "new")),
    "date": lambda a: (a / "post-00.md").write_text((a / "post-00.md").read_text().replace("02-01", "03-09")),
    "deleted": lambda a: (a / "post-11.md").unlink(),
    "added": lambda a: write_article(a, "post-12.md", "title: New\ndate: 2001-01-01\ntags: [t0]\n"),
    "same size": lambda a: (a / "post-09.md").write_text((a / "post-09.md").read_text().replace("Text 9", "Text X")),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_built_incrementally_equals_a_cold_build(tmp_path: Path, edit: str) -> None:
    """Pages, list pages, feeds and the zip: byte for byte what a build from nothing makes of the same articles."""
    articles = tmp_path / "articles"
    write_corpus(articles)
    time.sleep(0.1)  # older than a file-system tick: rendermd's cache may vouch for them by their stat
    first = build(articles, tmp_path / "incremental")
    EDITS[edit](articles)
    time.sleep(0.1)  # the edit too: only its stat can tell it from the file the cache has
    incremental = build(articles, tmp_path / "incremental")
    cold = build(articles, tmp_path / "cold")
    assert incremental[0] != first[0]
    assert incremental[0].keys() == cold[0].keys()
    for name in cold[0]:
        assert incremental[0][name] == cold[0][name], name
    assert incremental[1] == cold[1]


def test_a_render_that_died_half_way_is_finished_as_a_cold_build_would_be(tmp_path: Path) -> None:
    """A killed rendermd may have rewritten a page and its body and not its cache: the next run trusts neither."""
    articles = tmp_path / "articles"
    write_corpus(articles)
    time.sleep(0.1)
    out = tmp_path / "incremental"
    build(articles, out)
    (out / "post-03.html").write_text("half a page", encoding="utf-8")
    (out / ".eblog" / "fragments" / "post-03.md.html").write_text("half a body", encoding="utf-8")
    set_mark(out, ["rendermd"])  # what the killed run left: its name in the mark
    assert build(articles, out) == build(articles, tmp_path / "cold")
