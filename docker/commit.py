"""The commit an image is built from, for the X-Eblog-Commit header and /healthz.

    python docker/commit.py GIT_DIR      prints SOURCE_COMMIT if set, else GIT_DIR's HEAD, else "unknown"

The build has no git, so git's own files are read: HEAD holds a commit (a detached HEAD, as CI
checkouts leave it) or `ref: refs/heads/NAME`, whose commit is in refs/heads/NAME or, once git has
packed its refs (gc, a fresh or shallow clone), on a line of packed-refs. Any other state (no .git,
as in a source tarball; a worktree, whose .git is a file pointing outside the build context; a
branch with no commit yet) is "unknown", never a wrong commit. SOURCE_COMMIT (a build argument)
wins, for builds from a worktree or an export.
"""

import os
import re
import sys
from pathlib import Path

COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 repositories
UNKNOWN = "unknown"


def head_commit(git_dir: Path) -> str:
    """HEAD's commit, read from the files under git_dir, or "unknown"."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return UNKNOWN
    if COMMIT.fullmatch(head):
        return head
    if not head.startswith("ref: "):
        return UNKNOWN
    return ref_commit(git_dir, head.removeprefix("ref: ").strip())


def ref_commit(git_dir: Path, ref: str) -> str:
    """A ref's commit: its loose file first (git writes there after packing), then packed-refs."""
    if not ref.startswith("refs/") or ".." in ref.split("/"):
        return UNKNOWN
    try:
        loose = (git_dir / ref).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        loose = ""
    if COMMIT.fullmatch(loose):
        return loose
    try:
        packed = (git_dir / "packed-refs").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return UNKNOWN
    for line in packed:
        commit, _, name = line.partition(" ")
        if name == ref and COMMIT.fullmatch(commit):
            return commit
    return UNKNOWN


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docker/commit.py GIT_DIR", file=sys.stderr)
        return 2
    given = os.environ.get("SOURCE_COMMIT", "").strip()
    print(given if given else head_commit(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
