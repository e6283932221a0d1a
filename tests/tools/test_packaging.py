"""pyproject.toml says each dependency twice: the wheel's (dependencies, extras) and the repo's
(dependency groups, which the Docker stages install); the two must not drift apart."""

import tomllib

from tests.tools.tools_support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_server_only_install_is_the_serve_group() -> None:
    assert PYPROJECT["project"]["dependencies"] == PYPROJECT["dependency-groups"]["serve"]


def test_the_build_extra_is_the_render_group() -> None:
    assert PYPROJECT["project"]["optional-dependencies"]["build"] == PYPROJECT["dependency-groups"]["render"]


def test_the_preview_extra_is_the_build_extra_and_the_preview_group() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]["preview"]
    assert extras == ["eblog[build]", *PYPROJECT["dependency-groups"]["preview"]]
