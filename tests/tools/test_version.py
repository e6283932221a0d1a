"""The tools' fingerprint: what makes every page render again when the tools change."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmd.shared import version


@pytest.fixture
def tools_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of cmd/ as the fingerprint's root, so a test can edit a template of it."""
    copy = tmp_path / "cmd"
    shutil.copytree(version.TOOLS_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(version, "TOOLS_ROOT", copy)
    version.tools_digest.cache_clear()
    yield copy
    version.tools_digest.cache_clear()


@pytest.mark.parametrize(
    "name", ["shared/templates/article.html", "shared/static/style.css", "shared/locale/fr/LC_MESSAGES/eblog.po"]
)
def test_a_template_stylesheet_or_catalogue_edit_changes_it(tools_copy: Path, name: str) -> None:
    before = version.tools_digest()
    with (tools_copy / name).open("a", encoding="utf-8") as file:
        file.write("\n")
    version.tools_digest.cache_clear()
    assert version.tools_digest() != before


@pytest.mark.parametrize("module", ["pygments", "pyromark", "jinja2", "yaml"])
def test_another_version_of_a_shaping_library_changes_it(
    tools_copy: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    """A library's version is in the name of its dist-info folder (pyromark's is in no .py file)."""
    before = version.tools_digest()
    real = version.installed_as

    def newer(origin: Path, distribution: str) -> str:
        found = real(origin, distribution)
        return (
            found.replace(".dist-info", ".post1.dist-info")
            if distribution == version.SHAPING_LIBRARIES[module]
            else found
        )

    monkeypatch.setattr(version, "installed_as", newer)
    version.tools_digest.cache_clear()
    assert version.tools_digest() != before


def test_every_shaping_library_is_found_with_its_version() -> None:
    import importlib.util

    for module, distribution in version.SHAPING_LIBRARIES.items():
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        assert version.installed_as(Path(spec.origin), distribution).startswith(f"{distribution}-")
