"""What a build is made from: a copy of the tree (never the real one), and the commit it is.

The commit comes from git itself (`git rev-parse`), the oracle the Docker build's own reading of
.git (docker/commit.py) is checked against.
"""

import shutil
import subprocess
from pathlib import Path

from workshop.engine import REPO


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout.strip()


def head_commit(cwd: Path = REPO) -> str:
    """HEAD's full commit hash, as git resolves it."""
    return git("rev-parse", "--verify", "HEAD^{commit}", cwd=cwd)


def describe(ref: str | None, root: Path = REPO) -> tuple[str, str]:
    """What is built, said once before the copy: (label, commit). With ref: that ref's commit; else
    the working tree, at HEAD's commit, and whether it has changes."""
    if ref:
        commit = git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=root)
        return f"{ref} = {commit[:7]}", commit
    commit = head_commit(root)
    changed = " with changes" if git("status", "--porcelain", cwd=root) else ""
    return f"working tree at {commit[:7]}{changed}", commit


def copy_tree(dest: Path, ref: str | None = None, root: Path = REPO) -> Path:
    """The files git knows in root (the working tree's, tracked and untracked but not ignored, or
    ref's tree), and a .git holding only HEAD, detached at the commit they are: what the Dockerfile's
    commit stage reads, whether the checkout is a worktree, a shallow clone or on any branch."""
    dest.mkdir(parents=True)
    if ref:
        archive = subprocess.run(["git", "-C", str(root), "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
        for name in filter(None, listed.split("\0")):
            source = root / name
            if source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name, follow_symlinks=False)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text(describe(ref, root)[1] + "\n")
    return dest
