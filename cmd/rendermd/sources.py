"""The first step of a render: a content tree becomes checked records, before anything is written.

The tree's convention (eblog's own, Jekyll, Hugo, Zola) finds the files and
says where each page lives; this module reads each file (not at all when the
cache has it at the same stat, and parses it again only when its bytes
changed), checks what it says, and checks the records
against each other: two pages on one URL, an old URL that is some page's
current one, a link to a page that does not exist.  Every problem is
collected, so that one run reports them all.
"""

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cmd.rendermd import frontmatter
from cmd.rendermd.conventions import paths
from cmd.rendermd.conventions.base import Convention, SourceFile
from cmd.rendermd.conventions.fields import Fields, read_fields
from cmd.shared.errors import InputError
from cmd.shared.uptodate import settled_stat

# URLs buildindex writes (and /index, which the server sends to /): no page may take one.
GENERATED = frozenset(
    {
        "/index",
        "/404",
        "/tags",
        "/archive",
        "/rss.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/_redirects",
        "/_headers",
    }
)
LIST_PAGE = re.compile(r"(^/tags/|^/categories/|/page/\d+/$)")  # term pages, and later pages of any list


@dataclass(frozen=True)
class Reading:
    """What one file says, as far as it depends on the file's bytes alone (cached by digest)."""

    fields: Fields
    body_line: int
    references: tuple[tuple[str, int], ...]  # (target, line in the body)
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": self.fields.to_json(),
            "body_line": self.body_line,
            "references": [list(item) for item in self.references],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reading":
        references = tuple((str(target), int(line)) for target, line in data["references"])
        return cls(Fields.from_json(data["fields"]), data["body_line"], references, tuple(data["warnings"]))


@dataclass(frozen=True)
class Source:
    """A source file's bytes and what they say."""

    file: SourceFile
    loaded: bytes | None  # None when the cache vouched for the file by its stat: read only if needed
    digest: str
    reading: Reading
    stat: tuple[int, ...] | None = None  # (size, mtime, ctime, inode) as read; None when too recent to vouch

    @property
    def data(self) -> bytes:
        """The file's bytes: those this run read, else read now and checked against the digest cached."""
        if self.loaded is not None:
            return self.loaded
        data = read_bytes(self.file.path)
        if hashlib.sha256(data).hexdigest() != self.digest:
            raise InputError("changed while rendermd was running: run it again", self.file.path)
        return data

    def body(self) -> str:
        """The Markdown body, characters no output can carry replaced."""
        document = frontmatter.read(self.data, self.file.path, required=False)
        return document.body


@dataclass(frozen=True)
class Page:
    """A source placed in the site: everything rendering and indexing need to know of it."""

    source: Source
    title: str
    date: dt.datetime | None
    url: str
    old_urls: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    section: str  # the list page that shows it: its folder, or the nearest one that is a section
    draft: bool
    links: tuple[tuple[str, str], ...]  # (target as written, URL), for the engine's link markup
    assets: tuple[tuple[str, str], ...]  # a bundle's files: (source relative to ARTICLES, file under OUT)

    @property
    def fields(self) -> Fields:
        return self.source.reading.fields

    @property
    def output(self) -> str:
        return paths.page_file(self.url)

    @property
    def asset_base(self) -> str | None:
        """Where a bundle's files are served from: relative links in its body resolve against it."""
        if not self.source.file.bundle:
            return None
        return self.url if self.url.endswith("/") else self.url + "/"


@dataclass(frozen=True)
class Section:
    """A folder of pages, with the _index.md that describes it, if any."""

    path: str
    url: str
    title: str
    index: Source | None


@dataclass(frozen=True)
class Tree:
    convention: Convention
    pages: list[Page]
    sections: list[Section]
    warnings: list[str]
    drafts_skipped: int


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None


def cached_reading(cached: dict[str, Any] | None, key: str, digest: str | None = None) -> Reading | None:
    """The cached reading, if it is for these tools and (when given) these bytes, and readable."""
    if not cached or cached.get("key") != key or (digest is not None and cached.get("digest") != digest):
        return None
    try:
        return Reading.from_json(cached["reading"])
    except (KeyError, TypeError, ValueError):
        return None  # a damaged entry: the file is parsed again


def read_source(file: SourceFile, cached: dict[str, Any] | None, key: str, convention: Convention) -> Source:
    """Read one file; the cache spares reading it when its stat is the same, parsing it when its bytes are."""
    seen = settled_stat(file.path)
    if cached and seen is not None and cached.get("stat") == list(seen) and isinstance(cached.get("digest"), str):
        reading = cached_reading(cached, key)
        if reading is not None:
            return Source(file, None, cached["digest"], reading, seen)
    data = read_bytes(file.path)
    digest = hashlib.sha256(data).hexdigest()
    reading = cached_reading(cached, key, digest) or parse(file, data, convention)
    return Source(file, data, digest, reading, seen)


def parse(file: SourceFile, data: bytes, convention: Convention) -> Reading:
    document = frontmatter.read(data, file.path, required=not convention.title_from_name)
    references = tuple(convention.references(document.body))
    return Reading(read_fields(document, convention.term_separator), document.body_line, references, document.warnings)


def title_of(source: Source, convention: Convention) -> str:
    title = source.reading.fields.title
    if title:
        return title
    if not convention.title_from_name:
        raise InputError("front matter has no 'title'", source.file.path)
    dated = paths.dated_name(source.file.stem)
    words = (dated[1] if dated else source.file.stem).replace("-", " ").replace("_", " ").split()
    return " ".join(word[:1].upper() + word[1:] for word in words) or source.file.stem


@functools.cache  # a site has far fewer terms than pages that name them
def term_slug(term: str) -> str:
    """A tag's or category's page name: its letters (any script, lowercase) and digits, runs of
    anything else one hyphen; ``+`` and ``#`` are spelled out, so C, C++ and C# stay three tags."""
    return paths.slugify(term.replace("+", " plus ").replace("#", " sharp "))


@functools.cache  # asked of every tag of every page on every run (tag_redirects)
def legacy_tag_slug(term: str) -> str:
    """The rule tag pages were named by before: ASCII letters and digits only (``café`` was ``caf``)."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def term_slugs(source: Source, terms: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """Tags or categories as their pages name them (``term_slug``)."""
    slugs = []
    for term in terms:
        slug = term_slug(term)
        if not slug:
            raise InputError(f"{kind} {term!r} has no letters or digits", source.file.path)
        slugs.append(slug)
    return tuple(sorted(set(slugs)))


def page_date(source: Source, convention: Convention) -> dt.datetime | None:
    """Front matter's date, else the one in the file's name; None where the engine allows undated pages."""
    if not source.file.post:
        return None
    date = source.reading.fields.date or convention.file_date(source.file)
    if date is not None or convention.undated_pages:
        return date
    if source.file.draft:  # Jekyll dates a draft in _drafts/ by its file's time
        return dt.datetime.fromtimestamp(source.file.path.stat().st_mtime, dt.UTC).replace(microsecond=0)
    raise InputError(
        "front matter has no 'date': add 'date: YYYY-MM-DD', or name the file YYYY-MM-DD-name.md", source.file.path
    )


def bundle_assets(file: SourceFile, url: str) -> tuple[tuple[str, str], ...]:
    if not file.bundle:
        return ()
    base = (url if url.endswith("/") else url + "/").lstrip("/")
    folder = PurePosixPath(file.name).parent
    return tuple((name, base + PurePosixPath(name).relative_to(folder).as_posix()) for name in file.bundle)


def place(source: Source, convention: Convention, permalink: str | None, indexed: frozenset[str]) -> Page:
    """Where the page goes; a URL buildindex writes is refused here, a clash between pages in ``check_urls``."""
    fields = source.reading.fields
    title = title_of(source, convention)
    date = page_date(source, convention)
    placement = convention.place(source.file, fields, date, permalink)
    if is_generated(placement.url):
        raise InputError(
            f"URL {placement.url} is one buildindex writes: set another with 'slug' or 'url'", source.file.path
        )
    return Page(
        source=source,
        title=title,
        date=date,
        url=placement.url,
        old_urls=placement.old_urls,
        tags=term_slugs(source, fields.tags, "tag"),
        categories=term_slugs(source, (*source.file.categories, *fields.categories), "category"),
        section=convention.list_section(source.file.section, indexed),
        draft=is_draft(source),
        links=(),
        assets=bundle_assets(source.file, placement.url),
    )


def is_generated(url: str) -> bool:
    return paths.canonical(url).rstrip("/") in GENERATED or LIST_PAGE.search(url) is not None


def check_urls(pages: list[Page], sections: list[Section]) -> list[InputError]:
    """Every URL answers one thing: a page, a list page, a generated page or an old URL's redirect."""
    errors = []
    owners: dict[str, str] = {}
    for section in sections:
        owners[section.url] = f"the list page of {section.path or 'the site'}/"
    for page in pages:
        url, path = page.url, page.source.file.path
        if url in owners:
            errors.append(InputError(f"URL {url} is already taken by {owners[url]}", path))
        else:
            owners[url] = str(path)
    for page in pages:
        for old in page.old_urls:
            if old in owners and owners[old] != str(page.source.file.path):
                errors.append(InputError(f"old URL {old} is already taken by {owners[old]}", page.source.file.path))
            owners.setdefault(old, str(page.source.file.path))
    return errors


def link_index(pages: list[Page], convention: Convention) -> dict[str, Page | None]:
    """Every name a page can be linked by; a name two pages share is ambiguous (None)."""
    index: dict[str, Page | None] = {}
    for page in pages:
        for key in dict.fromkeys(convention.link_keys(page.source.file)):
            index[key] = page if key not in index else None
    return index


def resolve_links(page: Page, index: dict[str, Page | None]) -> tuple[Page, list[InputError]]:
    """The URL of every page ``page`` links to with the engine's markup."""
    if not page.source.reading.references:
        return page, []
    errors, links = [], []
    folder = PurePosixPath(page.source.file.name).parent
    for target, line in page.source.reading.references:
        candidates = [target, (folder / target).as_posix()]
        found = [index[key] for key in candidates if key in index]
        line_in_file = page.source.reading.body_line + line - 1
        if not found:
            errors.append(InputError(f"link to {target!r} finds no page", page.source.file.path, line_in_file))
        elif found[0] is None:
            errors.append(
                InputError(f"link to {target!r} is ambiguous: give its path", page.source.file.path, line_in_file)
            )
        else:
            links.append((target, found[0].url))
    return Page(**{**page.__dict__, "links": tuple(dict.fromkeys(links))}), errors


def sections_of(pages: list[Page], indexes: list[Source], convention: Convention) -> list[Section]:
    """A list page per folder that holds pages, or has an _index.md; titles from _index.md."""
    by_path = {source.file.section: source for source in indexes}
    folders = {page.section for page in pages} | set(by_path)
    sections = []
    for path in sorted(folders - {""}):
        index = by_path.get(path)
        title = index.reading.fields.title if index and index.reading.fields.title else None
        sections.append(Section(path, convention.section_url(path), title or humanized(path), index))
    if "" in by_path:
        sections.insert(0, Section("", "/", by_path[""].reading.fields.title or "", by_path[""]))
    return sections


def humanized(folder: str) -> str:
    name = PurePosixPath(folder).name.replace("-", " ").replace("_", " ")
    return name[:1].upper() + name[1:]


def is_draft(source: Source) -> bool:
    return source.file.draft or source.reading.fields.draft


def load(convention: Convention, cached: dict[str, Any], key: str, *, permalink: str | None, drafts: bool) -> Tree:
    """Read, place and check every file of the tree; raise every problem found at once."""
    files = convention.discover()
    if not any(file.role == "page" for file in files):
        raise InputError("no articles (*.md or *.markdown) in the articles directory", convention.root)
    sources, errors = [], []
    for file in files:
        try:
            sources.append(read_source(file, cached.get(file.name), key, convention))
        except InputError as error:
            errors.append(error)
    pages = []
    skipped = 0
    indexed = frozenset(source.file.section for source in sources if source.file.role == "section")
    for source in sources:
        if source.file.role == "page" and is_draft(source) and not drafts:
            skipped += 1  # a draft left out is not placed nor checked: half-written is what a draft is
        if source.file.role != "page" or (is_draft(source) and not drafts):
            continue
        try:
            pages.append(place(source, convention, permalink, indexed))
        except InputError as error:
            errors.append(error)
    indexes = [source for source in sources if source.file.role == "section"]
    sections = sections_of(pages, indexes, convention)
    errors += check_urls(pages, sections)
    index = link_index(pages, convention)
    resolved = []
    for page in pages:
        linked, problems = resolve_links(page, index)
        resolved.append(linked)
        errors += problems
    if errors:
        raise ExceptionGroup("bad articles", errors)
    warnings = [warning for source in sources for warning in source.reading.warnings] + merged_terms(resolved)
    return Tree(convention, resolved, sections, warnings, skipped)


def merged_terms(pages: list[Page]) -> list[str]:
    """A warning for each tag page two spellings share that differ in more than case and separators."""
    spellings: dict[str, set[str]] = {}
    for page in pages:
        for term in page.fields.tags:
            spellings.setdefault(term_slug(term), set()).add(term)
    warnings = []
    for slug, names in sorted(spellings.items()):
        if len({re.sub(r"[\W_]+", "", name.lower()) for name in names}) > 1:
            listed = ", ".join(repr(name) for name in sorted(names))
            warnings.append(f"warning: tags {listed} share the page /tags/{slug}: spell them alike, or apart")
    return warnings


def tag_redirects(pages: list[Page]) -> dict[str, str]:
    """Old tag URLs (from the ASCII-only rule) that now have another name: old path -> new path."""
    current = {slug for page in pages for slug in page.tags}
    moved = {}
    for page in pages:
        for term in page.fields.tags:
            old, new = legacy_tag_slug(term), term_slug(term)
            if old and old != new and old not in current:
                moved[f"/tags/{old}"] = f"/tags/{new}"
    return moved


def cache_entries(tree: Tree, key: str) -> dict[str, Any]:
    """What the next run may reuse: each file's reading, keyed by its bytes (or its stat) and the convention."""
    sources = [page.source for page in tree.pages] + [s.index for s in tree.sections if s.index is not None]
    return {
        source.file.name: {
            "digest": source.digest,
            "key": key,
            "stat": source.stat and list(source.stat),
            "reading": source.reading.to_json(),
        }
        for source in sources
    }
