"""bench/mutation.py's recheck runs against the tests and test helpers as they are now."""

from pathlib import Path

import pytest

from bench import mutation


def test_a_recheck_copies_the_current_tests_and_their_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, mutants = tmp_path / "repo", tmp_path / "repo" / "mutants"
    for name in ("tests/server/test_new.py", "testing/new_helper.py"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("# added after the mutation run\n")
    mutants.mkdir()
    monkeypatch.setattr(mutation, "REPO", repo)
    monkeypatch.setattr(mutation, "MUTANTS", mutants)
    monkeypatch.setattr(mutation, "RECHECKED", mutants / "rechecked.json")
    monkeypatch.setattr(mutation, "failing_test", lambda name, tests: "")
    mutation.recheck(["server.site.x_bad_path__mutmut_1"])
    assert (mutants / "tests/server/test_new.py").is_file()
    assert (mutants / "testing/new_helper.py").is_file()
    assert (mutants / "rechecked.json").read_text().count("x_bad_path__mutmut_1") == 1
