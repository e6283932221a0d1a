"""The whole pipeline as a user runs it, on the real articles/, and its determinism."""

import gzip
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tools.tools_support import REPO, check_html, gzip_member, public_files, run_tool

pytestmark = pytest.mark.articles


@dataclass(frozen=True)
class Pipeline:
    out: Path
    zip: Path
    logs: list[str]


def run_pipeline(base: Path, hash_seed: str) -> Pipeline:
    """rendermd, buildindex, then prezip as a shell pipeline ends (``> FILE``, still supported; README
    recommends ``-o FILE``, which test_prezip covers)."""
    out, archive = base / "out", base / "assets.zip"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    logs = []
    for args in (("cmd.rendermd", "articles", str(out)), ("cmd.buildindex", str(out))):
        result = run_tool(*args, env=env, text=True)
        assert result.returncode == 0, result.stderr
        logs.append(result.stderr)
    command = f"{shlex.quote(sys.executable)} -m cmd.prezip {shlex.quote(str(out))} > {shlex.quote(str(archive))}"
    result = subprocess.run(command, shell=True, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return Pipeline(out, archive, logs)


def article_slugs(*, drafts: bool) -> list[str]:
    """The real articles' file names, drafts or the others (read here with a plain regex, not by the tools)."""
    return sorted(
        path.stem
        for path in (REPO / "articles").glob("*.md")
        if bool(re.search(r"^draft:\s*true\s*$", path.read_text(encoding="utf-8"), re.M)) == drafts
    )


def published_slugs() -> list[str]:
    return article_slugs(drafts=False)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return run_pipeline(tmp_path_factory.mktemp("pipeline-a"), hash_seed="1")


def test_the_three_commands_build_the_site(pipeline: Pipeline) -> None:
    slugs = published_slugs()
    assert len(slugs) >= 3
    drafts = len(article_slugs(drafts=True))
    skipped = f", {drafts} drafts skipped" if drafts else ""
    summary = rf"rendermd: {len(slugs)} rendered, 0 unchanged, 0 removed{skipped} in \d+\.\d\d s"
    detected, *_, last = pipeline.logs[0].splitlines()
    assert detected == "rendermd: articles: eblog's own layout; URLs like /:section/:slug"
    assert re.fullmatch(summary, last)
    names = zipfile.ZipFile(pipeline.zip).namelist()
    expected = {"index.html", "404.html", "tags.html", "rss.xml", "atom.xml", "feed.json", "sitemap.xml"}
    expected |= {f"{slug}.html" for slug in slugs}
    assert expected <= set(names)
    assert [name for name in names if re.fullmatch(r"static/style\.[0-9a-f]{10}\.css", name)]
    assert [name for name in names if name.startswith("tags/")]
    assert not [name for name in names if name.startswith(".") or "draft" in name]
    assert names == sorted(names, key=lambda name: name.split("/"))  # sorted by path component


def test_the_zip_holds_the_site_as_built(pipeline: Pipeline) -> None:
    data = pipeline.zip.read_bytes()
    archive = zipfile.ZipFile(pipeline.zip)
    assert archive.testzip() is None
    assert set(archive.namelist()) == set(public_files(pipeline.out))
    for info in archive.infolist():
        original = (pipeline.out / info.filename).read_bytes()
        assert archive.read(info) == original
        assert gzip.decompress(gzip_member(data, info)) == original


def test_every_page_of_the_real_site_is_valid_html(pipeline: Pipeline) -> None:
    archive = zipfile.ZipFile(pipeline.zip)
    pages = [name for name in archive.namelist() if name.endswith(".html")]
    for name in pages:
        assert (name, check_html(archive.read(name).decode("utf-8")).problems) == (name, [])
    listing = "".join(archive.read(f"{slug}.html").decode() for slug in published_slugs())
    assert '<span class="ln" aria-hidden="true">' in listing  # the articles' numbered listings
    assert "<table>" in listing and 'class="footnotes"' in listing


def test_the_real_feeds_parse(pipeline: Pipeline) -> None:
    count = len(published_slugs())
    assert len(ET.parse(pipeline.out / "rss.xml").getroot().findall("channel/item")) == count
    assert len(ET.parse(pipeline.out / "atom.xml").getroot().findall("{http://www.w3.org/2005/Atom}entry")) == count
    assert len(json.loads((pipeline.out / "feed.json").read_text(encoding="utf-8"))["items"]) == count
    sitemap = ET.parse(pipeline.out / "sitemap.xml").getroot()
    locs = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert {f"http://localhost:8080/{slug}" for slug in published_slugs()} <= set(locs)


def test_the_real_draft_renders_with_the_drafts_flag(tmp_path: Path) -> None:
    result = run_tool("cmd.rendermd", "--drafts", "articles", str(tmp_path / "out"), text=True)
    assert result.returncode == 0, result.stderr
    drafts = article_slugs(drafts=True)
    assert drafts  # issue 2 asks articles/ to include a draft
    for slug in drafts:
        assert check_html((tmp_path / "out" / f"{slug}.html").read_text(encoding="utf-8")).problems == []


def test_a_second_clean_build_elsewhere_is_byte_identical(pipeline: Pipeline, tmp_path: Path) -> None:
    """Another directory and another hash seed (set and dict order) give the same bytes."""
    other = run_pipeline(tmp_path, hash_seed="2")
    assert public_files(other.out) == public_files(pipeline.out)
    assert other.zip.read_bytes() == pipeline.zip.read_bytes()


def test_rerunning_the_commands_changes_nothing(pipeline: Pipeline, tmp_path: Path) -> None:
    before = pipeline.zip.read_bytes()
    pages = {path: path.stat().st_mtime_ns for path in pipeline.out.rglob("*.html")}
    render = run_tool("cmd.rendermd", "articles", str(pipeline.out), text=True)
    assert re.search(r"^rendermd: 0 rendered, \d+ unchanged, 0 removed", render.stderr, re.M)
    index = run_tool("cmd.buildindex", str(pipeline.out), text=True)
    assert index.stderr.startswith("buildindex: up to date")
    again = run_tool("cmd.prezip", str(pipeline.out), "-o", str(tmp_path / "again.zip"))
    assert again.returncode == 0
    assert (tmp_path / "again.zip").read_bytes() == before
    assert {path: path.stat().st_mtime_ns for path in pipeline.out.rglob("*.html")} == pages
