"""Fixtures for the build tools' tests: a sample corpus, and one site built from it."""

from pathlib import Path

import pytest

from cmd.buildindex.index import build_index
from cmd.rendermd.build import render_site
from tests.tools.tools_support import BASE_URL, BuiltSite, write_sample


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tools read these from the environment; a developer's shell must not change results."""
    for name in ("EBLOG_BASE_URL", "EBLOG_FEED_SIZE", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A fresh copy of the sample corpus, for tests that edit it."""
    return write_sample(tmp_path / "articles")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The sample corpus rendered and indexed once, for tests that only read the result."""
    base = tmp_path_factory.mktemp("built")
    articles = write_sample(base / "articles")
    render_site(articles, base / "out")
    build_index(base / "out", base_url=BASE_URL + "/")
    return BuiltSite(articles, base / "out")
