"""server/version.py in process: what --version prints and where the number comes from.

The tools' subprocess tests (tests/tools/test_cli_habits.py) show the same from outside; these run
the code in the test's own process, so that a changed line is seen by the tests that reach it.
The expected number is read here from pyproject.toml, not from the code under test.
"""

import argparse
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from server import version as version_module
from server.version import PrintVersion, version

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def parser_for(tool: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=tool)
    parser.add_argument("--version", action=PrintVersion, tool=tool)
    parser.add_argument("site", nargs="?")
    return parser


@pytest.mark.parametrize(
    ("tool", "line"), [("rendermd", f"rendermd (eblog) {VERSION}\n"), ("eblog", f"eblog {VERSION}\n")]
)
def test_version_prints_one_line_on_stdout_and_exits_0(
    tool: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parser_for(tool).parse_args(["--version"])
    assert stopped.value.code in (0, None)
    assert capsys.readouterr() == (line, "")


def test_version_takes_no_value_and_leaves_nothing_in_the_namespace() -> None:
    assert vars(parser_for("prezip").parse_args(["out"])) == {"site": "out"}
    help_text = " ".join(parser_for("prezip").format_help().split())
    assert "--version print the version and exit" in help_text


def test_a_help_text_given_is_kept() -> None:
    parser = argparse.ArgumentParser(prog="x")
    parser.add_argument("--version", action=PrintVersion, tool="x", help="which eblog this is")
    assert "which eblog this is" in parser.format_help()


def test_the_installed_metadata_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def installed(name: str) -> str:
        asked.append(name)
        return "9.8.7"

    monkeypatch.setattr(importlib.metadata, "version", installed)
    assert (version(), asked) == ("9.8.7", ["eblog"])


def refuse_metadata(name: str) -> str:
    raise importlib.metadata.PackageNotFoundError(name)


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ('[project]\nname = "eblog"\nversion = "1.2.3"\n', "1.2.3"),
        ('[project]\nname = "eblog"\n', "unknown"),
        ("[project\n", "unknown"),
        (None, "unknown"),
    ],
)
def test_without_metadata_pyproject_says_or_the_version_is_unknown(
    pyproject: str | None, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.metadata, "version", refuse_metadata)
    path = tmp_path / "pyproject.toml"
    if pyproject is not None:
        path.write_text(pyproject)
    monkeypatch.setattr(version_module, "PYPROJECT", path)
    assert version() == expected


def test_the_repositorys_pyproject_is_the_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "version", refuse_metadata)
    assert version() == VERSION
