"""What a content tree means, in one class per engine: this one is eblog's own.

A convention answers, for one tree of Markdown files: which files are pages,
section indexes and bundle resources; when a file without a date in its
front matter was written; where each page lives (its URL, and the URL its
engine gave it before); and how the engine's own markup in a body becomes
Markdown.  Rendering knows nothing of engines: it gets records and text.

eblog's own layout: ``slug.md`` is served at ``/slug``; a folder is a
section (``notes/x.md`` at ``/notes/x``, listed at ``/notes/``), whose
``_index.md`` gives the list page its title and text; ``x/index.md`` is a
page bundle, served at ``/x/`` with the files beside it.
"""

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from cmd.rendermd.conventions import paths
from cmd.rendermd.conventions.fields import Fields
from cmd.shared.errors import InputError

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
INDEX_NAMES = frozenset({"index.md", "index.markdown"})
SECTION_NAMES = frozenset({"_index.md", "_index.markdown"})
# Editors' leftovers: vim's swap files and its write test, backups, Emacs' lock and autosave files.
EDITOR_FILE = re.compile(r"(^\.|~$|\.sw[a-p]$|^4913$|^#.*#$|\.tmp$)")

SLUG = re.compile(r"[^\W_][\w.~-]*")
Warn = Callable[[str, int, str], None]  # (message, line in the body, what the text becomes) -> None


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file of the tree, and what its place in the tree says."""

    path: Path
    name: str  # relative to ARTICLES, POSIX: the cache key, and how errors and links name it
    role: str  # "page" or "section" (an _index.md)
    section: str  # the folder it belongs to, relative to ARTICLES: "" at the top
    stem: str  # what its URL is made from: the file name without extension, or the bundle's folder
    bundle: tuple[str, ...] = ()  # a page bundle's other files, relative to ARTICLES
    categories: tuple[str, ...] = ()  # Jekyll: the folders above _posts
    draft: bool = False  # Jekyll: a file in _drafts/
    post: bool = True  # False for a standalone page (Jekyll's about.md): no date, in no list


@dataclass(frozen=True)
class Placement:
    url: str  # canonical: what links, feeds and the sitemap use
    old_urls: tuple[str, ...]  # URLs the page had before, each to answer 301 to ``url``


def is_editor_file(name: str) -> bool:
    return EDITOR_FILE.search(name) is not None


def walk(root: Path, skip: Callable[[str], bool] = lambda relative: False) -> list[SourceFile]:
    """Every Markdown file under ``root`` in Hugo's terms: sections, leaf bundles, pages.

    ``skip`` gets a folder's path relative to ``root`` and leaves it out.  Hidden
    names and editors' temporary files are never content.
    """
    found: list[SourceFile] = []
    for folder, subfolders, filenames in os.walk(root):
        here = Path(folder)
        relative = here.relative_to(root).as_posix()
        relative = "" if relative == "." else relative
        subfolders[:] = sorted(
            name for name in subfolders if not is_editor_file(name) and not skip(f"{relative}/{name}".lstrip("/"))
        )
        names = sorted(name for name in filenames if not is_editor_file(name))
        index = next((name for name in names if name in INDEX_NAMES), None)
        if relative and index is not None:
            found.append(bundle_page(root, here, relative, index))
            subfolders.clear()
            continue
        for name in names:
            stem, suffix = os.path.splitext(name)  # not PurePosixPath: a thousand files a run
            if suffix.lower() not in MARKDOWN_SUFFIXES:
                continue
            role = "section" if name in SECTION_NAMES else "page"
            found.append(SourceFile(here / name, f"{relative}/{name}".lstrip("/"), role, relative, stem))
    return found


# The whole tree as detection walked it (Jekyll's, to count dated names), for ``discover`` to take
# once instead of walking it again: 1,000 files, ~8 ms. ``conventions.detect`` empties it first.
DETECTION_WALKS: dict[Path, list[SourceFile]] = {}


def walk_for_detection(root: Path) -> list[SourceFile]:
    files = DETECTION_WALKS[root] = walk(root)
    return files


def discovered(root: Path, reserved: frozenset[str]) -> list[SourceFile]:
    """``walk(root)`` less the folders in ``reserved`` (paths relative to ``root``): detection's walk if it made one."""
    earlier = DETECTION_WALKS.pop(root, None)
    if earlier is None:
        return walk(root, skip=reserved.__contains__)
    return [file for file in earlier if not in_reserved(file.name, reserved)]


def in_reserved(name: str, reserved: frozenset[str]) -> bool:
    """Whether a folder above ``name`` is reserved, as ``walk``'s ``skip`` would have left it out."""
    folders = name.split("/")[:-1]
    return any("/".join(folders[: depth + 1]) in reserved for depth in range(len(folders)))


def bundle_page(root: Path, folder: Path, relative: str, index: str) -> SourceFile:
    """A leaf bundle: the index file is the page, every other file (not Markdown) goes with it."""
    resources = []
    for sub, subfolders, filenames in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if not is_editor_file(name))
        for name in sorted(filenames):
            if is_editor_file(name) or PurePosixPath(name).suffix.lower() in MARKDOWN_SUFFIXES:
                continue
            resources.append((Path(sub) / name).relative_to(root).as_posix())
    parent = PurePosixPath(relative).parent.as_posix()
    section = "" if parent == "." else parent
    return SourceFile(
        folder / index, f"{relative}/{index}", "page", section, PurePosixPath(relative).name, tuple(resources)
    )


class Convention:
    """eblog's own layout; the engines' adapters override what differs."""

    name: ClassVar[str] = "eblog"
    label: ClassVar[str] = "eblog's own layout"
    default_permalink: ClassVar[str] = "/:section/:slug"
    # Engines where a page may have no date (an "about" page): it is rendered, not listed.
    undated_pages: ClassVar[bool] = False
    # Engines without titles in front matter fall back on the file name.
    title_from_name: ClassVar[bool] = False
    # How a string of tags or categories is split: eblog on commas and spaces, Jekyll on
    # spaces; Hugo and Zola read one string as one term (None).
    term_separator: ClassVar[str | None] = r"[,\s]+"

    def __init__(self, root: Path, site_root: Path | None = None, config: Mapping[str, Any] | None = None):
        self.root = root
        self.site_root = site_root  # the engine's project folder, when ARTICLES sits inside one
        self.config: Mapping[str, Any] = config or {}
        # Folders of the tree that hold no articles: eblog's static files, a site's own templates.
        self.reserved: frozenset[str] = frozenset({"static"} if type(self) is Convention else ())

    @classmethod
    def detect(cls, root: Path) -> "Convention | None":
        """The convention with the settings found beside ``root``, or None if the tree is not this engine's."""
        return cls(root)

    # --- the tree ----------------------------------------------------------

    def discover(self) -> list[SourceFile]:
        """The tree's Markdown files; ARTICLES/static/ holds files, never articles."""
        return discovered(self.root, self.reserved)

    def static_roots(self) -> list[tuple[Path, str]]:
        """Folders copied into the site as they are: (folder, where it goes under OUT)."""
        return [(self.root / "static", "static")]

    def site_file(self, url: str) -> Path | None:
        """A file of the engine's site that a page uses by its root-relative ``url``, to copy as it is."""
        return None

    def describe(self) -> str:
        where = f" ({self.site_root.name}/ holds the engine's settings)" if self.site_root else ""
        return f"{self.label}{where}; URLs like {self.permalink_for('')}"

    # --- a file's date and URL ---------------------------------------------

    def file_date(self, file: SourceFile) -> dt.datetime | None:
        """The date a file carries outside its front matter (its name), if any."""
        return None

    def slug(self, file: SourceFile, fields: Fields) -> str:
        """The file name, or ``slug``: letters of any script and case, digits, '.', '_', '-' and '~'."""
        slug = fields.slug or file.stem
        if not SLUG.fullmatch(slug):
            rule = "letters, digits, '.', '_', '-' or '~' (no spaces), starting with a letter or digit"
            raise InputError(f"slug {slug!r} must be {rule}", file.path)
        return slug

    def permalink_for(self, section: str) -> str:
        """The engine's URL template for a page in ``section``."""
        return self.default_permalink

    def values(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> dict[str, str]:
        """What a permalink template's placeholders stand for, for one page.

        These are also site.toml's placeholders, whatever the engine: :year :month
        :day :slug :title (the title in slug form) :section.
        """
        slug = self.slug(file, fields)
        found = {"slug": slug, "title": paths.slugify(fields.title or slug), "section": file.section}
        if date is not None:
            found |= {"year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}"}
        return found

    def own_url(self, url: str, file: SourceFile) -> str:
        """A URL the page sets for itself (``url``, ``permalink``, ``path``), as the engine reads it."""
        return paths.tidy(url)

    def engine_url(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> str:
        """Where the engine would have put the page."""
        if fields.url:
            return self.own_url(fields.url, file)
        return paths.expand(self.permalink_for(file.section), self.values(file, fields, date))

    def alias_url(self, alias: str, file: SourceFile) -> str:
        return paths.tidy(alias)

    def section_url(self, section: str) -> str:
        return paths.tidy(f"/{section}/")

    def list_section(self, folder: str, indexed: frozenset[str]) -> str:
        """The section whose list page shows a page of ``folder`` (``indexed``: folders with an _index.md)."""
        return folder

    def place(self, file: SourceFile, fields: Fields, date: dt.datetime | None, permalink: str | None) -> Placement:
        """The page's URL (site.toml's permalink, else the engine's) and the URLs that lead to it."""
        engine = self.engine_url(file, fields, date)
        if permalink and not fields.url:
            chosen = paths.expand(permalink, Convention.values(self, file, fields, date))
        else:
            chosen = engine
        url = paths.canonical(chosen)
        if problem := paths.unsafe_url(url):
            raise InputError(f"URL {url!r} cannot be used: {problem}", file.path)
        old = [engine, *(self.alias_url(alias, file) for alias in fields.aliases)]
        return Placement(url, tuple(dict.fromkeys(u for u in old if not paths.same_page(u, url))))

    # --- links between pages and the engine's markup -----------------------

    def link_keys(self, file: SourceFile) -> list[str]:
        """The names other files may use to link to this one (see ``preprocess``)."""
        return [file.name]

    def references(self, body: str) -> list[tuple[str, int]]:
        """(link target as written, line in the body) for every link to another file."""
        return []

    def preprocess(self, body: str, links: Mapping[str, str], warn: Warn) -> str:
        """The body as plain Markdown: the engine's own markup resolved, or reported and left as text."""
        return body
