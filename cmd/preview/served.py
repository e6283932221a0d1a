"""The preview's table of served files: the private OUT folder as the server's Assets.

The same files a zip of OUT would hold (prezip's ``site_files``), compressed with prezip's
own ``deflate``, each made an Asset by the server's ``make_asset``; HTML pages and the
``_headers`` file pass through ``inject`` first.  After a build only files whose bytes (or
mark) changed are made again, and the new ``Site`` borrows the rest from the last one.
"""

import datetime as dt
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cmd.preview import inject
from cmd.prezip.zipsite import STORED_SUFFIXES, deflate, site_files
from cmd.rendermd.build import Rendered
from server.assets import Asset, make_asset
from server.headers_file import HEADERS_FILE
from server.site import Site

COMMIT = "preview"
# Served when the first build fails: the overlay on it says why, and it reloads once the site builds.
WAITING_PAGE = (
    b'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>eblog preview</title>\n'
    b"</head>\n<body>\n<main>\n<h1>The site does not build yet</h1>\n"
    b"<p>The preview shows the problems it found; save a fix and this page reloads.</p>\n</main>\n</body>\n</html>\n"
)


@dataclass(frozen=True)
class Built:
    """One file of OUT as last read: how it looked on disk, its bytes, and the mark it was served with."""

    signature: tuple[int, int, int]  # inode, size, mtime in ns: a rewrite (temp file and rename) changes it
    data: bytes
    mark: str


def signature(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_size, info.st_mtime_ns


def marks(state: Rendered | None, now: dt.datetime) -> dict[str, str]:
    """The mark of every page that gets one (drafts, future dates), by its file in OUT."""
    if state is None:
        return {}
    found = {page.output: inject.mark_for(page.draft, page.date, now) for page in state.published}
    return {name: mark for name, mark in found.items() if mark}


def as_served(name: str, data: bytes, mark: str) -> Asset:
    """One file as the preview serves it (see the module docstring)."""
    if name.endswith(".html"):
        data = inject.preview_page(data, mark)
    elif name == HEADERS_FILE:
        data = inject.preview_headers(data.decode("utf-8"))
    compress = PurePosixPath(name).suffix.lower() not in STORED_SUFFIXES
    return make_asset(name, data, deflate(data) if compress else None, zlib.crc32(data))


class Served:
    """The served table and the Site made from it; ``update`` reads what a build changed."""

    def __init__(self, out: Path):
        self.out = out
        self.built: dict[str, Built] = {}
        self.assets: dict[str, Asset] = {}
        self.site: Site | None = None

    def waiting(self) -> Site:
        """The one page served until the first good build (it shows the overlay, then reloads)."""
        self.site = Site({"404.html": as_served("404.html", WAITING_PAGE, "")}, COMMIT)
        return self.site

    def update(self, names: Iterable[str] | None, page_marks: Mapping[str, str]) -> set[str]:
        """Read ``names`` again (None: every file of OUT); return the names whose served bytes changed."""
        if names is None:
            present = {str(file.name) for file in site_files(self.out)}
            gone = self.built.keys() - present
            candidates: Iterable[str] = sorted(present)
        else:
            gone = set()
            candidates = names
        changed = {name for name in candidates if self.read(name, page_marks.get(name, ""))}
        for name in gone:
            del self.built[name]
            del self.assets[name]
        changed |= gone
        if changed or self.site is None:
            self.site = Site(self.assets, COMMIT, previous=self.site)
        return changed

    def read(self, name: str, mark: str) -> bool:
        """Take in ``name`` from OUT if it changed; True when what is served changed."""
        path = self.out / name
        try:
            seen = signature(path)
        except FileNotFoundError:
            return False
        old = self.built.get(name)
        if old is not None and old.signature == seen and old.mark == mark:
            return False
        with open(path, "rb") as file:
            data = file.read()
        self.built[name] = Built(seen, data, mark)
        if old is not None and old.data == data and old.mark == mark:
            return False  # written again with the same bytes
        self.assets[name] = as_served(name, data, mark)
        return True
