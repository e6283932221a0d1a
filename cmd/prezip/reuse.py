"""The zip written last, reused: a file whose stat has not changed since is not read, hashed or compressed again.

Beside the zip it writes (``-o``), prezip keeps an index in OUT (``INDEX``):
the zip's path, length and CRC-32, and per member the stat its file had and
where its bytes lie in the zip, and what made them (the tools' digest,
zlib's version, the level).  The next run copies the member of every
file that still has that stat straight out of the old zip.  The old zip is
used only if it is, byte for byte, the one the index describes (its CRC-32 is
checked, a few ms for a site of 1,000 pages), and a stat is recorded only
when it was settled (see cmd.shared.uptodate.settled_stat).  Anything else
is read and packed as on a first run: a stale or damaged index costs time,
never a wrong zip.
"""

import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmd.prezip.zipsite import LEVEL, Entry
from cmd.shared.files import write_atomic
from cmd.shared.layout import BUILD_DIR

INDEX = f"{BUILD_DIR}/zip-index.json"
FORMAT = 1
MEMBER_FIELDS = 7  # stat, method, crc, size, key, offset, length


class Tally:
    """The length and CRC-32 of the chunks that pass through ``through``: the zip as it is written."""

    def __init__(self) -> None:
        self.size, self.crc = 0, 0

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            self.crc = zlib.crc32(chunk, self.crc)
            yield chunk


@dataclass(frozen=True)
class Previous:
    """The last zip's bytes and its members by name, each [stat, method, crc, size, key, offset, length]."""

    data: bytes
    members: dict[str, list[Any]]

    def entry(self, name: str, stat: tuple[int, ...]) -> Entry | None:
        """The member for ``name`` as the last zip holds it, if its file still has the stat it had then."""
        member = self.members.get(name)
        if member is None or member[0] != list(stat):
            return None
        method, crc, size, key, offset, length = member[1:]
        return Entry(name, method, crc, size, self.data[offset : offset + length], key, stat)


def load(site: Path, output: Path) -> tuple[Previous | None, str | None]:
    """The last zip and its index, when they still describe each other; else None and, if damaged, a note."""
    try:
        index = json.loads((site / INDEX).read_bytes())
    except (FileNotFoundError, NotADirectoryError):  # a first run, or no site: read_entries says so
        return None, None
    except (OSError, ValueError):
        return None, f"its index {INDEX} was unreadable: every file packed again"
    if not well_formed(index):
        return None, f"its index {INDEX} was damaged or from another version: every file packed again"
    if index["made_by"] != made_by():
        return None, None  # members made otherwise (other tools, zlib or level) would differ from a cold build's
    path, size, crc = index["zip"]
    try:
        data = output.read_bytes() if path == os.path.abspath(output) else b""
    except OSError:
        return None, None  # no zip there any more: nothing to reuse, nothing wrong
    if len(data) != size or zlib.crc32(data) != crc:
        return None, None  # another zip now, or none
    return Previous(data, index["members"]), None


def made_by() -> list[object]:
    """What decides a member's bytes besides its file: the tools (which files are stored), zlib and the level."""
    from cmd.shared.version import tools_digest

    return [tools_digest(), zlib.ZLIB_RUNTIME_VERSION, LEVEL]


def well_formed(index: object) -> bool:
    if not isinstance(index, dict) or index.get("format") != FORMAT or "made_by" not in index:
        return False
    where, members = index.get("zip"), index.get("members")
    if not (isinstance(where, list) and len(where) == 3 and isinstance(members, dict)):
        return False
    return all(
        isinstance(member, list)
        and len(member) == MEMBER_FIELDS
        and isinstance(member[0], list)
        and all(isinstance(member[i], int) for i in (1, 2, 3, 5, 6))
        and isinstance(member[4], str)
        for member in members.values()
    )


def save(site: Path, output: Path, entries: list[Entry], payloads: list[int], tally: Tally) -> None:
    """Describe the zip just written to ``output``: each member whose file's stat was settled."""
    members = {
        entry.name: [list(entry.stat), entry.method, entry.crc, entry.size, entry.key, offset, len(entry.payload)]
        for entry, offset in zip(entries, payloads, strict=True)
        if entry.stat is not None
    }
    where = [os.path.abspath(output), tally.size, tally.crc]
    index = {"format": FORMAT, "made_by": made_by(), "zip": where, "members": members}
    write_atomic(site / INDEX, json.dumps(index).encode(), durable=False)  # torn by a crash: unreadable, unused
