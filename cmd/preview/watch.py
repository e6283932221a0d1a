"""What the preview watches, which changes it ignores, and when a burst of changes is over.

watchfiles (the Rust ``notify`` crate: inotify on Linux) reports changes in batches: a batch
ends once ``STEP_MS`` pass without another change.  Editors' ways of saving all end with the
file in place, so the preview looks at what is on disk when a batch ends, not at the
events: a temp file renamed over the article is a change of the article, the temp file
itself is gone.  Swap, backup and lock files never start a build.

A git checkout writes many files while it holds ``.git/index.lock``: changes seen while
that file exists wait for it to go, so a checkout of 300 files is one build.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from cmd.rendermd.conventions.base import is_editor_file
from cmd.shared import theme

STEP_MS = 10  # a batch ends after this long without a change
LONGEST_BATCH_MS = 300  # ... or after this long in all, so a steady stream still gets built
# IDEs' safe-write copies (JetBrains: x.md___jb_tmp___, x.md___jb_old___); the others are caught by
# rendermd's own list of editors' files (dotfiles, ~ backups, vim's swap files and its 4913 probe).
IDE_SUFFIXES = ("___jb_tmp___", "___jb_old___")


def theme_files() -> list[Path]:
    """The templates and the stylesheet: a change there means every page, and the caches, again."""
    return [theme.TEMPLATES, theme.STYLESHEET.parent]


def is_theme_file(path: Path) -> bool:
    return any(path.is_relative_to(folder) for folder in theme_files())


def outermost(paths: list[Path]) -> list[Path]:
    """``paths`` without those inside another one (inotify watches a folder and all below it)."""
    found: list[Path] = []
    for path in sorted({path.resolve() for path in paths if path.exists()}, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(kept) for kept in found):
            found.append(path)
    return found


class Relevant(DefaultFilter):
    """watchfiles' own filter (.git, __pycache__, node_modules...) and every editor's leftovers."""

    def __init__(self, roots: list[Path]):
        super().__init__()
        self.roots = roots

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and not self.ignored(Path(path))

    def ignored(self, path: Path) -> bool:
        if path.name.endswith(IDE_SUFFIXES):
            return True
        root = next((root for root in self.roots if path.is_relative_to(root)), None)
        parts = path.relative_to(root).parts if root is not None else (path.name,)
        return any(is_editor_file(part) for part in parts)


async def changes(roots: list[Path], stop: asyncio.Event) -> AsyncIterator[set[Path]]:
    """Each batch of changed paths under ``roots`` until ``stop`` (an Event) is set."""
    kept = outermost(roots)
    async for batch in awatch(
        *kept,
        watch_filter=Relevant(kept),
        step=STEP_MS,
        debounce=LONGEST_BATCH_MS,
        stop_event=stop,
    ):
        yield {Path(path) for _, path in batch}


def git_lock(folder: Path) -> Path | None:
    """The index.lock of the git work tree ``folder`` is in (a linked work tree's too), if any."""
    for parent in [folder.resolve(), *folder.resolve().parents]:
        marker = parent / ".git"
        if marker.is_dir():
            return marker / "index.lock"
        if marker.is_file():  # a linked work tree: "gitdir: PATH"
            text = marker.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                return (parent / text.removeprefix("gitdir:").strip()) / "index.lock"
    return None
