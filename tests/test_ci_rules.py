"""The suite-wide CI rule itself: in CI a skipped test fails the run."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_pytest_on(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text())
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\ndef test_runs():\n    assert True\n\n"
        "@pytest.mark.skip(reason='no engine')\ndef test_skipped():\n    pass\n"
    )
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(REPO)}  # the conftest imports testing.ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_skip_fails_the_run_in_ci(tmp_path: Path) -> None:
    result = run_pytest_on(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "in CI every test must run" in result.stdout


def test_a_skip_is_fine_outside_ci(tmp_path: Path) -> None:
    result = run_pytest_on(tmp_path, "")
    assert result.returncode == 0, result.stdout


# The zones CI runs the suite under (see .ci/run). A zone name the machine does not know
# silently means UTC, and those runs would test nothing.
ZONE_OFFSETS = {"Pacific/Kiritimati": {"+1400"}, "America/Los_Angeles": {"-0800", "-0700"}}


@pytest.mark.parametrize("zone", sorted(ZONE_OFFSETS))
def test_the_machine_knows_the_zones_ci_runs_under(zone: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import time; print(time.strftime('%z'))"],
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() in ZONE_OFFSETS[zone]


def test_the_lint_script_type_checks_what_mypy_is_configured_to() -> None:
    """scripts/lint names its mypy paths; a bare `mypy` reads pyproject.toml's: they must be the same."""
    script = REPO / "scripts" / "lint"
    if not script.exists():  # the Docker build copies tests/ but not scripts/
        pytest.skip(f"{script.relative_to(REPO)} is not here")
    lint = script.read_text()
    [command] = [line.split() for line in lint.splitlines() if line.startswith(".venv/bin/mypy ")]
    configured = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    assert [word for word in command[1:] if not word.startswith("-")] == configured
    assert "--strict" in command
