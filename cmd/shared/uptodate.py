"""Did anything a tool reads or wrote change since its last run?  Answered from stat calls alone.

A warm run with nothing to do spent most of its time before its first useful
line: importing Jinja2, Pygments and pyromark, reading and hashing every
source.  So each tool, once a run has succeeded, keeps a stamp in
OUT/.eblog/: what it was asked (the ``key``), the stat of everything it read
(``inputs``, walked before the run) and of everything it wrote (``outputs``,
after it).  The next run, before importing anything heavy, stats the same
things; when every size, mtime, ctime and inode is the same, OUT already holds
what a full run would write, and the tool only repeats its report.

Any edit, added, deleted or renamed file, even a touch that keeps the bytes,
changes one of those, and the tool then does its full run (which compares
contents, and rebuilds only what differs).  What stat cannot see: a file
written again, with the same size, within the file system's timestamp tick of
the moment it was stat'ed.  Inputs changed that recently are "racy", as git
calls them, and no stamp is kept for them; nor where a walk meets a symbolic
link, whose target may change without the link's own stat changing.
"""

import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from cmd.shared.layout import BUILD_DIR, INCOMPLETE

STAMPS = f"{BUILD_DIR}/stamps"
SKIPPED = frozenset({"__pycache__", ".git", ".hg", ".svn"})  # nothing reads them; .git changes on every git command
RACY_NS = 50_000_000  # a generous file-system tick (Linux's coarse clock: 1-10 ms)
RACY_NS_WHOLE_SECONDS = 2_000_000_000  # where timestamps are whole seconds (FAT keeps 2 s)

Signature = list[list[object]]


class Unwatchable(Exception):
    """A walk met something whose changes stat cannot vouch for (a symbolic link)."""


def racy(changes: list[int], since_ns: int) -> bool:
    """Whether any of these ctimes is so close to ``since_ns`` that a later change could keep the same stat."""
    whole_seconds = bool(changes) and all(ns % 1_000_000_000 == 0 for ns in changes)
    margin = RACY_NS_WHOLE_SECONDS if whole_seconds else RACY_NS
    return any(ns >= since_ns - margin for ns in changes)


def settled_stat(path: Path | str) -> tuple[int, ...] | None:
    """(size, mtime, ctime, inode) of ``path``, to know it unchanged later by; None when it changed too
    recently for that (a second change within the same tick would leave the same stat), or is unreadable."""
    now = time.time_ns()
    try:
        st = os.stat(path)
    except OSError:
        return None
    if racy([st.st_ctime_ns], now):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_state(path: str) -> list[object]:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return [path]
    return [path, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode]


def walk(folder: str, signature: Signature, hidden: bool) -> None:
    """Add every file and folder under ``folder`` (``hidden``: dot names too) to ``signature``."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name in SKIPPED or (not hidden and entry.name.startswith(".")):
            continue
        if entry.is_symlink():
            raise Unwatchable(entry.path)
        signature.append(file_state(entry.path))
        if entry.is_dir(follow_symlinks=False):
            walk(entry.path, signature, hidden)


# Each tree the skip check walked in this process, with the time its walk began: the Watch of the
# full run that follows takes it (once) instead of walking the same thousand files again. A walk
# made earlier is as good: a file changed since is seen by the next run, and the racy rule counts
# from the walk's own start.
EARLIER: dict[tuple[str, bool], tuple[int, Signature]] = {}


def walk_root(root: str, hidden: bool) -> Signature:
    signature = [file_state(root)]
    if os.path.isdir(root):  # a root that is a link is walked through: its target's files are what is read
        walk(root, signature, hidden)
    return signature


def scan(deep: Sequence[str], shallow: Sequence[str], hidden: bool = True, remember: bool = False) -> Signature:
    """The stat of each of ``shallow`` and of everything under each of ``deep``; Unwatchable on a link.

    ``remember``: keep each walk in ``EARLIER`` for the Watch that may follow.
    """
    signature = [file_state(path) for path in shallow]
    for root in deep:
        started_ns = time.time_ns()
        states = walk_root(root, hidden)
        if remember:
            EARLIER[root, hidden] = (started_ns, states)
        signature += states
    return signature


def asked(tool: str, key: object) -> object:
    """What a run is asked, as its stamp keeps it (JSON's lists for tuples), with the Python that runs it.

    ``sys.path`` is in the key, and its folders among the inputs: installing,
    removing or upgrading a library changes its folder's mtime.
    """
    return json.loads(json.dumps([tool, key, sys.executable, sys.version, import_path()]))


def import_path() -> list[str]:
    """``sys.path`` with "" (the current folder, under ``-c``) spelled out, as ``-m`` spells it."""
    return [os.path.abspath(folder) for folder in sys.path]


def stamp_path(out_dir: Path, tool: str) -> Path:
    return out_dir / STAMPS / f"{tool}.json"


def read_stamp(out_dir: Path, tool: str) -> dict[str, object] | None:
    try:
        stamp = json.loads(stamp_path(out_dir, tool).read_bytes())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def unchanged(out_dir: Path, tool: str, key: object) -> list[str] | None:
    """The report of ``tool``'s last run when, asked ``key`` again, it would change nothing; else None."""
    if os.path.lexists(out_dir / INCOMPLETE):  # a run died half-way: only a full run clears the mark
        return None
    stamp = read_stamp(out_dir, tool)
    if stamp is None or stamp.get("key") != asked(tool, key):
        return None
    deep, shallow, outputs = stamp.get("deep"), stamp.get("shallow"), stamp.get("outputs")
    if not (isinstance(deep, list) and isinstance(shallow, list) and isinstance(outputs, list)):
        return None
    try:
        inputs_now = scan(deep, shallow, hidden=stamp.get("hidden") is not False, remember=True)
    except (Unwatchable, OSError):
        return None
    if inputs_now != stamp.get("inputs") or scan([], outputs) != stamp.get("written"):
        return None
    report = stamp.get("report")
    return report if isinstance(report, list) and all(isinstance(line, str) for line in report) else None


def skipped(out_dir: Path, tool: str, key: object, *, quiet: bool = False) -> bool:
    """Whether ``tool`` has nothing to do; if so its last report is printed again, with this run's time.

    ``quiet`` (-q): only the warnings, as a run that does the work prints them.
    """
    started = time.perf_counter()
    report = unchanged(out_dir, tool, key)
    if report is None:
        return False
    for line in report[:-1]:
        if not quiet or ": warning: " in line:
            print(line, file=sys.stderr)
    if report and not quiet:
        print(f"{report[-1]} in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return True


class Watch:
    """The inputs of a run, stat'ed before it reads them; ``keep`` writes the stamp once the run succeeded."""

    def __init__(
        self,
        out_dir: Path,
        tool: str,
        key: object,
        deep: Iterable[Path | str],
        shallow: Iterable[Path | str],
        hidden: bool = True,
    ):
        self.out_dir, self.tool, self.key, self.hidden = out_dir, tool, asked(tool, key), hidden
        self.deep = [os.path.abspath(path) for path in deep]
        self.shallow = [*(os.path.abspath(path) for path in shallow), *import_path()]
        self.started_ns = time.time_ns()
        try:
            self.inputs: Signature | None = scan([], self.shallow)
            for root in self.deep:
                self.inputs += self.walked(root)
        except (Unwatchable, OSError):
            self.inputs = None

    def walked(self, root: str) -> Signature:
        """The states under ``root``: the skip check's walk if it made one, else a walk now."""
        earlier = EARLIER.pop((root, self.hidden), None)
        if earlier is None:
            return walk_root(root, self.hidden)
        self.started_ns = min(self.started_ns, earlier[0])
        return earlier[1]

    def add(self, folder: Path) -> None:
        """Watch ``folder`` too, once the run knows it reads it (and before it does)."""
        folder_name = os.path.abspath(folder)
        if self.inputs is None or folder_name in self.deep:
            return
        self.deep.append(folder_name)
        try:
            self.inputs += self.walked(folder_name)
        except (Unwatchable, OSError):
            self.inputs = None

    def racy(self) -> bool:
        """Whether an input changed so recently that a second change in the same tick would look the same."""
        assert self.inputs is not None
        return racy([int(str(state[2])) for state in self.inputs if len(state) > 1], self.started_ns)

    def keep(self, outputs: Iterable[Path | str], report: list[str]) -> None:
        """Write the stamp (or drop the old one, when the inputs cannot be vouched for)."""
        from cmd.shared.files import write_if_changed  # not on the fast path: only a full run writes

        path = stamp_path(self.out_dir, self.tool)
        if self.inputs is None or self.racy():
            path.unlink(missing_ok=True)
            return
        written = [os.path.abspath(path) for path in outputs]
        stamp = {
            "key": self.key,
            "deep": self.deep,
            "shallow": self.shallow,
            "hidden": self.hidden,
            "inputs": self.inputs,
            "outputs": written,
            "written": scan([], written),
            "report": report,
        }
        write_if_changed(path, json.dumps(stamp).encode())  # the same stamp again is no write
