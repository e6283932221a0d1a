"""Determinism on a corpus the tests write: no build time in the output, the same bytes with or without workers.

Kept apart from test_pipeline_e2e (marked ``articles``, it reads the real articles/), so that
these run everywhere the suite runs, the Docker build's test run included.
"""

import datetime as dt
import io
import re
import time
import zipfile
from pathlib import Path

from cmd.buildindex.index import build_index
from cmd.prezip.zipsite import build_zip
from cmd.rendermd.build import render_site
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
