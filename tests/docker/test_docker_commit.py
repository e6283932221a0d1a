"""docker/commit.py, which the images' commit stage runs on the .git files the build context holds:
HEAD as git itself resolves it, on any branch, detached, with packed refs, in a shallow clone.

Each repository is made by the real git, and `git rev-parse HEAD` is the expected value.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

COMMIT_PY = REPO / "docker" / "commit.py"
IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_py(git_dir: Path, source_commit: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_COMMIT"}
    if source_commit is not None:
        env["SOURCE_COMMIT"] = source_commit
    result = subprocess.run(
        [sys.executable, str(COMMIT_PY), str(git_dir)], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on a branch that is not main, with two commits (so a reflog of main would lie)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch", "main")
    for n in (1, 2):
        (path / "a.txt").write_text(f"{n}\n")
        git(path, "add", "a.txt")
        git(path, "commit", "--quiet", "--message", f"commit {n}")
    git(path, "switch", "--quiet", "--create", "feature/x", "HEAD~1")
    (path / "b.txt").write_text("b\n")
    git(path, "add", "b.txt")
    git(path, "commit", "--quiet", "--message", "on the branch")
    return path


def test_a_branch_other_than_main(repo: Path) -> None:
    assert commit_py(repo / ".git") == git(repo, "rev-parse", "HEAD") != git(repo, "rev-parse", "main")


def test_a_detached_head(repo: Path) -> None:
    git(repo, "switch", "--quiet", "--detach", "main~1")
    assert commit_py(repo / ".git") == git(repo, "rev-parse", "HEAD")


def test_packed_refs(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "feature" / "x").exists(), "git left the ref loose"
    assert commit_py(repo / ".git") == git(repo, "rev-parse", "HEAD")


def test_a_loose_ref_newer_than_its_packed_line(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    (repo / "c.txt").write_text("c\n")
    git(repo, "add", "c.txt")
    git(repo, "commit", "--quiet", "--message", "after packing")
    assert commit_py(repo / ".git") == git(repo, "rev-parse", "HEAD")


def test_a_shallow_clone(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--branch", "feature/x", f"file://{repo}", str(clone))
    assert (clone / ".git" / "shallow").is_file()
    assert commit_py(clone / ".git") == git(clone, "rev-parse", "HEAD") == git(repo, "rev-parse", "feature/x")


def test_source_commit_wins(repo: Path) -> None:
    assert commit_py(repo / ".git", "0123456789abcdef0123456789abcdef01234567") == (
        "0123456789abcdef0123456789abcdef01234567"
    )
    assert commit_py(repo / ".git", "") == git(repo, "rev-parse", "HEAD"), "an empty build-arg is no commit"


def test_unknown_rather_than_wrong(repo: Path, tmp_path: Path) -> None:
    assert commit_py(tmp_path / "no-such-dir") == "unknown", "a source tarball"
    worktree = tmp_path / "worktree"
    git(repo, "worktree", "add", "--quiet", str(worktree), "main")
    assert (worktree / ".git").is_file()
    assert commit_py(worktree / ".git") == "unknown", "a worktree's .git is a file pointing outside the context"
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "--quiet")
    assert commit_py(empty / ".git") == "unknown", "a branch with no commit yet"
    broken = tmp_path / "broken"
    shutil.copytree(repo / ".git", broken)
    (broken / "HEAD").write_text("ref: ../../etc/passwd\n")
    assert commit_py(broken) == "unknown"
