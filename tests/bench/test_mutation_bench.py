"""bench/mutation.py's recheck: only a failing test (or a module that fails to import) kills a mutant."""

import subprocess
from typing import Any

import pytest

from bench import mutation

FAILED = "F\n=== short test summary info ===\nFAILED tests/server/test_x.py::test_y - assert 1 == 2\n"
IMPORT_ERROR = "E\n=== short test summary info ===\nERROR tests/server/test_x.py - ImportError\n"


@pytest.mark.parametrize(
    ("status", "stdout", "verdict"),
    [
        (0, "1 passed\n", ""),
        (1, FAILED, "tests/server/test_x.py::test_y"),
        (2, IMPORT_ERROR, "tests/server/test_x.py"),
        (4, "ERROR: file or directory not found: tests/server/test_new_survivors.py\n", ""),
        (5, "no tests ran\n", ""),
        (3, "INTERNALERROR> boom\n", ""),
    ],
)
def test_only_a_failure_found_by_a_test_counts_as_a_kill(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], status: int, stdout: str, verdict: str
) -> None:
    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, status, stdout, "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert mutation.failing_test("server.x.x_y__mutmut_1", ["tests/server"]) == verdict
    said = capsys.readouterr().out
    assert ("pytest could not run" in said) is (status in (3, 4, 5)), said
