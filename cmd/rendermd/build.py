"""Render every article into OUT_DIR: read and checked first, then only what changed, in parallel.

Order of work, and why:
1. Read the tree through its convention (``sources``) and check every file
   and URL.  Any bad input stops the run before a single file is written, so
   the pages already in OUT_DIR stay as they were.
2. Decide per page what is stale: the body (Markdown -> HTML, the expensive
   part) depends on the source, the pages it links to and the tools; the
   page also on its neighbours, its series and the site settings.
3. Render stale pages across cores, remove pages of deleted articles, copy
   the files pages use, and write the manifest and the cache last, so that
   an interrupted run is simply redone next time.
"""

import dataclasses
import hashlib
import json
import marshal
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmd.rendermd import conventions, sources, stamp
from cmd.rendermd.conventions.base import Convention
from cmd.rendermd.fragment import Fragment
from cmd.rendermd.sources import Page, Tree
from cmd.shared import config as site_config
from cmd.shared import manifest as site_manifest
from cmd.shared.buildlock import building
from cmd.shared.csp import Policy
from cmd.shared.errors import InputError
from cmd.shared.files import remove, resolve_inside, write_atomic, write_if_changed
from cmd.shared.layout import BUILD_DIR, HIGHLIGHTED, MANIFEST, RENDER_CACHE, STATIC_DIR
from cmd.shared.records import Entry, Redirect, SectionEntry
from cmd.shared.theme import THEME_COPY, Theme, overrides
from cmd.shared.uptodate import Watch
from cmd.shared.version import TOOLS_ROOT, library_origins, tools_digest

if TYPE_CHECKING:  # pages imports markdown-it, Pygments and Jinja2: only a run with stale pages loads it
    from cmd.rendermd.pages import PageJob

FRAGMENTS = f"{BUILD_DIR}/fragments"


@dataclass(frozen=True)
class Rendered:
    """What a run knew once it was done, for a caller that renders again in the same process (the preview)."""

    tree: Tree
    published: list[Page]  # newest first
    settings: site_config.SiteConfig
    stylesheet: str
    common: dict[str, Any]  # what every page's template gets (see page_common)
    templates: Path | None  # the site's own templates, as copied into OUT


@dataclass(frozen=True)
class Summary:
    rendered: int
    unchanged: int
    removed: int
    drafts: int
    seconds: float
    convention: str = ""
    warnings: tuple[str, ...] = field(default=())
    state: Rendered | None = field(default=None, repr=False, compare=False)

    def line(self) -> str:
        return f"{self.counts()} in {self.seconds:.2f} s"

    def counts(self) -> str:
        drafts = f", {self.drafts} drafts skipped" if self.drafts else ""
        warned = f", {len(self.warnings)} warnings" if self.warnings else ""
        return f"rendermd: {self.rendered} rendered, {self.unchanged} unchanged, {self.removed} removed{drafts}{warned}"

    def report_unchanged(self) -> list[str]:
        """What the next run prints if it finds nothing changed (see stamp.up_to_date), less its time."""
        same = dataclasses.replace(self, rendered=0, unchanged=self.rendered + self.unchanged, removed=0)
        return [f"rendermd: {self.convention}", *(f"rendermd: {w}" for w in self.warnings), same.counts()]


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def fragment_file(source_name: str) -> str:
    """Where a source's rendered body is kept under OUT, for reuse and for the feeds."""
    return f"{FRAGMENTS}/{source_name}.html"


def load_cache(out_dir: Path) -> dict[str, Any]:
    """The previous run's bookkeeping; only its list of files survives a change of the tools."""
    empty: dict[str, Any] = {
        "tools": tools_digest(),
        "stylesheet": None,
        "sources": {},
        "fragments": {},
        "pages": {},
        "assets": [],
    }
    try:
        cached = marshal.loads((out_dir / RENDER_CACHE).read_bytes())  # noqa: S302 (our own file; it runs nothing)
    except (FileNotFoundError, NotADirectoryError, ValueError, EOFError, TypeError):
        return empty
    if not isinstance(cached, dict) or not all(
        isinstance(cached.get(key), type(empty[key])) for key in empty if key != "stylesheet"
    ):
        return empty
    if cached.get("tools") != empty["tools"]:
        return {**empty, "pages": cached["pages"], "assets": cached["assets"]}
    return cached


def cache_identity(out_dir: Path) -> tuple[int, ...] | None:
    """Which render cache file is there: every save is a new file (a rename), so a new inode and mtime."""
    try:
        st = os.stat(out_dir / RENDER_CACHE)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def save_cache(out_dir: Path, cache: dict[str, Any]) -> None:
    """Once a run, at its end: marshal, not JSON, as 1,000 articles' cache took 25 ms to write and 11 to read
    as JSON, 2 and 6 as marshal (only plain values go in it; a file marshal cannot read is an empty cache)."""
    write_atomic(out_dir / RENDER_CACHE, marshal.dumps(cache))


def forgotten(cache: dict[str, Any]) -> dict[str, Any]:
    """The cache of a run that did not finish: its pages and bodies may have been half rewritten since, so
    none is current (their names stay, so that those of articles deleted meanwhile are still removed)."""
    return {
        **cache,
        "fragments": {name: {**data, "key": ""} for name, data in cache["fragments"].items()},
        "pages": dict.fromkeys(cache["pages"]),
    }


def entry_of(page: Page) -> Entry:
    """The page as lists and feeds show it; what its body teaches is filled in when it is rendered."""
    fields = page.fields
    return Entry(
        url=page.url,
        title=page.title,
        date=page.date.isoformat() if page.date else None,
        updated=fields.updated.isoformat() if fields.updated else None,
        authors=fields.authors,
        summary=fields.summary or "",
        tags=page.tags,
        categories=page.categories,
        section=page.section,
        series=fields.series,
        part=fields.part,
        draft=page.draft,
        reading_minutes=0,
        fragment=fragment_file(page.source.file.name),
        fragment_digest="",
        source=page.source.file.name,
    )


def in_order(pages: Iterable[Page]) -> list[Page]:
    """Newest first (then by URL, for a stable order); undated pages last."""
    return sorted(pages, key=lambda page: (page.date is None, -(page.date.timestamp() if page.date else 0), page.url))


def neighbours(listed: list[Page]) -> dict[str, dict[str, Any]]:
    """Per URL: the newer and the older article, and the series it belongs to."""
    series: dict[str, list[Page]] = defaultdict(list)
    for page in listed:
        if page.fields.series:
            series[page.fields.series].append(page)
    for parts in series.values():
        parts.sort(key=lambda p: site_manifest.series_order(p.fields.part, p.date, p.url))

    def link(page: Page | None) -> dict[str, str] | None:
        return {"url": page.url, "title": page.title} if page else None

    found = {}
    for index, page in enumerate(listed):
        parts = series.get(page.fields.series or "", [])
        found[page.url] = {
            "newer": link(listed[index - 1]) if index > 0 else None,
            "older": link(listed[index + 1]) if index + 1 < len(listed) else None,
            "series": {"name": page.fields.series, "position": parts.index(page) + 1, "parts": [link(p) for p in parts]}
            if parts
            else None,
        }
    return found


@dataclass(frozen=True)
class Stale:
    """A page (or a section's text) to render again; ``fragment`` is set when its body is current."""

    source: sources.Source
    key: str
    fragment: Fragment | None
    links: dict[str, str] = field(default_factory=dict)
    asset_base: str | None = None
    entry: Entry | None = None
    page_file: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """What this run renders, and what it keeps from the last one."""

    stale: list[Stale]
    pages: dict[str, str]  # page file -> fingerprint
    fragments: dict[str, Fragment]  # source name -> fragment
    entries: dict[str, Entry] = field(default_factory=dict)  # source name -> entry, its body's facts not yet in


def fragment_key(page_or_index: sources.Source, links: object, asset_base: str | None, policy: str, engine: str) -> str:
    return fingerprint(page_or_index.digest, links, asset_base, policy, engine)


def page_work(
    page: Page, engine: str, policy: str, common: dict[str, Any], links_of: dict[str, dict[str, Any]]
) -> Stale:
    """What rendering ``page`` takes: its body's key, its entry, its context (``common``: site, stylesheet)."""
    around = links_of.get(page.url, {"newer": None, "older": None, "series": None})
    context = {**common, "toc": page.fields.toc, **around}
    key = fragment_key(page.source, page.links, page.asset_base, policy, engine)
    return Stale(page.source, key, None, dict(page.links), page.asset_base, entry_of(page), page.output, context)


def page_common(settings: site_config.SiteConfig, stylesheet: str, site_theme: Theme) -> dict[str, Any]:
    """What every page's template gets besides its own article: the site, its look, its path."""
    return {
        "site": dataclasses.asdict(settings),
        "stylesheet": stylesheet,
        "base": settings.base_path,
        "theme": site_theme.digest,
    }


def plan(
    tree: Tree,
    published: list[Page],
    settings: site_config.SiteConfig,
    stylesheet: str,
    site_theme: Theme,
    cache: dict[str, Any],
    out_dir: Path,
) -> Plan:
    """Decide, page by page, what must be rendered again."""
    policy = fingerprint(settings.policy().header())
    common = page_common(settings, stylesheet, site_theme)
    common_digest = fingerprint(common)  # once, not once a page: the site's settings are most of a context
    links_of = neighbours([page for page in published if page.date is not None])
    old_fragments = {name: Fragment.from_json(data) for name, data in cache["fragments"].items()}
    result = Plan([], {}, {})

    def current(name: str, key: str) -> Fragment | None:
        old = old_fragments.get(name)
        return old if old is not None and old.key == key and in_out(out_dir, fragment_file(name)) else None

    for page in published:
        name = page.source.file.name
        item = page_work(page, tree.convention.name, policy, common, links_of)
        assert item.entry is not None
        result.entries[name] = item.entry
        own = {key: value for key, value in item.context.items() if key not in common}
        result.pages[page.output] = fingerprint(item.key, item.entry.to_json(), common_digest, own)
        body = current(name, item.key)
        if body and cache["pages"].get(page.output) == result.pages[page.output] and in_out(out_dir, page.output):
            result.fragments[name] = body
        else:
            result.stale.append(dataclasses.replace(item, fragment=body))
    for section in tree.sections:
        if section.index is not None:
            key = fragment_key(section.index, (), None, policy, tree.convention.name)
            body = current(section.index.file.name, key)
            if body:
                result.fragments[section.index.file.name] = body
            else:
                result.stale.append(Stale(section.index, key, None))
    return result


def in_out(out_dir: Path, name: str) -> bool:
    """Whether OUT holds ``name``: asked of every page and fragment, so without building a Path each time."""
    return os.path.exists(os.path.join(out_dir, name))


def ensure_stylesheet(out_dir: Path, cached: object, site_theme: Theme) -> str:
    """The stylesheet's path, written again only when it is missing or the theme's CSS changed."""
    if isinstance(cached, list) and cached[1] == site_theme.digest and (out_dir / cached[0]).exists():
        return str(cached[0])
    from cmd.rendermd.pages import site_stylesheet  # Pygments' CSS: only when the stylesheet is written

    stylesheet, css = site_stylesheet(site_theme)
    write_atomic(out_dir / stylesheet, css)
    return stylesheet


def run_jobs(
    work: Plan,
    tree: Tree,
    settings: site_config.SiteConfig,
    out_dir: Path,
    jobs: int | None,
    progress: bool,
) -> None:
    """Render what is stale (should this run die half-way, buildlock's mark tells the next one: see ``forgotten``)."""
    if not work.stale:
        return
    from cmd.rendermd.pages import build_pages

    names = [item.source.file.name for item in work.stale]
    policy = settings.policy()
    templates = overrides(out_dir)
    page_jobs = [page_job(item, tree.convention, policy, out_dir, templates) for item in work.stale]
    workers = jobs or len(os.sched_getaffinity(0))  # the cores this process may use, as in a container
    for name, fragment in zip(names, build_pages(page_jobs, workers, progress), strict=True):
        work.fragments[name] = fragment
    drop_other_versions(out_dir)


def page_job(
    item: Stale, convention: Convention, policy: Policy, out_dir: Path, templates: Path | None = None
) -> "PageJob":
    """The job that renders ``item`` into OUT_DIR (its body too, unless its fragment is current)."""
    from cmd.rendermd.pages import PageJob

    return PageJob(
        out_dir=out_dir,
        source=item.source.file.path,
        body_line=item.source.reading.body_line,
        fragment_file=fragment_file(item.source.file.name),
        fragment_key=item.key,
        markdown=None if item.fragment else item.source.body(),
        fragment=item.fragment,
        convention=convention,
        links=item.links,
        asset_base=item.asset_base,
        policy=policy,
        entry=item.entry,
        page_file=item.page_file,
        context=item.context,
        templates=templates,
    )


def remove_gone(out_dir: Path, cache: dict[str, Any], work: Plan) -> int:
    """Delete the pages and fragments of articles that are gone (or moved to another URL)."""
    removed = cache["pages"].keys() - work.pages.keys()
    for page_file in removed:
        remove(out_dir, page_file)
    for name in cache["fragments"].keys() - work.fragments.keys():
        remove(out_dir, fragment_file(name))
    return len(removed)


def files_under(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield path


def assets_to_copy(tree: Tree, published: list[Page], fragments: dict[str, Fragment]) -> dict[str, Path]:
    """Every file the site needs as it is: static folders, bundles' files, files pages use from the site."""
    convention = tree.convention
    wanted: dict[str, Path] = {}
    for folder, destination in convention.static_roots():
        if folder.is_dir():
            for path in files_under(folder):
                target = (Path(destination) / path.relative_to(folder)).as_posix()
                wanted[target] = resolve_inside(folder, path)
    for page in published:
        for name, target in page.assets:
            wanted[target] = resolve_inside(convention.root, convention.root / name)
    for page in published:
        fragment = fragments.get(page.source.file.name)
        for ref in fragment.site_refs if fragment else ():
            found = convention.site_file(ref)
            if found is not None and ref.lstrip("/") not in wanted:
                wanted[ref.lstrip("/")] = resolve_inside(convention.site_root or convention.root, found)
    return wanted


def copy_assets(out_dir: Path, wanted: dict[str, Path], previous: list[str]) -> list[str]:
    for target, path in sorted(wanted.items()):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", path) from None
        write_if_changed(out_dir / target, data)
    for gone in set(previous) - wanted.keys():
        remove(out_dir, gone)
    return sorted(wanted)


def drop_other_versions(out_dir: Path) -> None:
    """Code blocks highlighted by other versions of the tools: never read again."""
    folder = out_dir / HIGHLIGHTED
    if folder.is_dir():
        for other in folder.iterdir():
            if other.name != tools_digest()[:16]:
                shutil.rmtree(other, ignore_errors=True)


def drop_old_stylesheets(out_dir: Path, stylesheet: str, assets: list[str]) -> None:
    for old_css in (out_dir / STATIC_DIR).glob("style.*.css"):
        if old_css.name != Path(stylesheet).name and f"{STATIC_DIR}/{old_css.name}" not in assets:
            old_css.unlink(missing_ok=True)


def redirects_of(published: list[Page]) -> list[Redirect]:
    """Pages' old URLs, and tag pages renamed since tags kept letters of any script."""
    moved = [Redirect(old, page.url) for page in published for old in page.old_urls]
    moved += [Redirect(old, new) for old, new in sources.tag_redirects(published).items()]
    return sorted(moved, key=lambda r: r.old)


def manifest_of(
    tree: Tree, published: list[Page], work: Plan, settings: site_config.SiteConfig, stylesheet: str, site_theme: Theme
) -> dict[str, Any]:
    entries = [work.fragments[name].fill(work.entries[name]) for name in (page.source.file.name for page in published)]
    sections = [
        SectionEntry(
            path=section.path,
            url=section.url,
            title=section.title,
            description=section.index.reading.fields.summary if section.index else None,
            fragment=fragment_file(section.index.file.name) if section.index else None,
        )
        for section in tree.sections
    ]
    return {
        "site": dataclasses.asdict(settings),
        "stylesheet": stylesheet,
        "theme": site_theme.digest,
        "convention": tree.convention.name,
        "csp": settings.policy().header(),
        "articles": [entry.to_json() for entry in entries],
        "sections": [section.to_json() for section in sections],
        "redirects": [redirect.to_json() for redirect in redirects_of(published)],
    }


def ignored_keys(tree: Tree) -> list[str]:
    """--strict: the front matter keys eblog reads nothing from, per file, with the first one's line."""
    notes = []
    for page in tree.pages:
        unknown = page.fields.unknown
        if unknown:
            from cmd.rendermd.frontmatter import read

            line = read(page.source.data, page.source.file.path, required=False).line_of(unknown[0])
            where = f"{page.source.file.path}:{line}" if line else str(page.source.file.path)
            notes.append(f"{where}: note: front matter keys eblog ignores: {', '.join(unknown)}")
    return notes


def read_theme(articles_dir: Path, settings: site_config.SiteConfig, convention: Convention) -> Theme:
    """The site's own templates and CSS; their folder, when inside the tree, holds no articles."""
    folder = (articles_dir / settings.templates).resolve()
    if folder.is_relative_to(articles_dir.resolve()) and folder != articles_dir.resolve():
        convention.reserved |= {folder.relative_to(articles_dir.resolve()).as_posix()}
    return Theme.read(folder)


def render_site(
    articles_dir: Path,
    out_dir: Path,
    *,
    drafts: bool = False,
    jobs: int | None = None,
    progress: bool = False,
    strict: bool = False,
) -> Summary:
    """Bring OUT_DIR's pages up to date with ARTICLES_DIR; bad input raises an ExceptionGroup."""
    started = time.perf_counter()
    if not articles_dir.is_dir():
        raise InputError("articles directory not found", articles_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("the output path exists and is not a directory", out_dir)
    watch = Watch(
        out_dir,
        stamp.TOOL,
        stamp.asked(articles_dir, out_dir, drafts=drafts, strict=strict),
        deep=[articles_dir, TOOLS_ROOT],
        shallow=library_origins(),
    )  # before anything is read, so a change made while this run reads is seen by the next one
    settings = site_config.load(articles_dir)
    convention: Convention = conventions.detect(articles_dir, settings.convention or None)
    watch.add((articles_dir / settings.templates).resolve())  # the theme may live outside the articles
    site_theme = read_theme(articles_dir, settings, convention)
    seen, cache = cache_identity(out_dir), load_cache(out_dir)
    tree = sources.load(
        convention, cache["sources"], convention.name, permalink=settings.permalink or None, drafts=drafts
    )
    published = in_order(page for page in tree.pages if drafts or not page.draft)
    # Every article read and checked: only now is OUT touched, under the build lock (see buildlock.py),
    # so prezip never packs half of this run, and one syncfs at the end replaces an fsync a page.
    with building(out_dir, "rendermd") as build:
        if cache_identity(out_dir) != seen:  # another run wrote it since: its record of OUT is the true one
            cache = load_cache(out_dir)
        if build.interrupted:
            cache = forgotten(cache)
        return write_site(tree, published, settings, site_theme, out_dir, cache, jobs, progress, strict, started, watch)


def written_files(out_dir: Path, cache: dict[str, Any]) -> list[Path | str]:
    """What a run leaves in OUT, as its cache lists it: a later run is skipped only while all of it stays.

    The fragments' folders stand for the fragments (a thousand stat calls fewer): a file added or
    removed changes its folder's mtime, only rendermd writes there, and a full run, too, only asks
    whether each fragment is still there.
    """
    theme_copy = out_dir / THEME_COPY
    fragment_folders = sorted(
        {os.path.join(out_dir, os.path.dirname(fragment_file(name))) for name in cache["fragments"]}
    )
    return [
        *(out_dir / name for name in [*cache["pages"], *cache["assets"], MANIFEST, RENDER_CACHE, STATIC_DIR]),
        *fragment_folders,
        *([out_dir / cache["stylesheet"][0]] if cache["stylesheet"] else []),
        theme_copy,
        *(sorted(theme_copy.glob("*.html")) if theme_copy.is_dir() else []),
    ]


def write_site(
    tree: Tree,
    published: list[Page],
    settings: site_config.SiteConfig,
    site_theme: Theme,
    out_dir: Path,
    cache: dict[str, Any],
    jobs: int | None,
    progress: bool,
    strict: bool,
    started: float,
    watch: Watch,
) -> Summary:
    """The writing half of a render: pages, assets, manifest, cache, and the stamp that lets a next run skip."""
    convention = tree.convention
    stylesheet = ensure_stylesheet(out_dir, cache["stylesheet"], site_theme)
    site_theme.install(out_dir)
    work = plan(tree, published, settings, stylesheet, site_theme, cache, out_dir)
    run_jobs(work, tree, settings, out_dir, jobs, progress)
    removed = remove_gone(out_dir, cache, work)
    assets = copy_assets(out_dir, assets_to_copy(tree, published, work.fragments), cache["assets"])
    drop_old_stylesheets(out_dir, stylesheet, assets)

    site_manifest.write(out_dir, manifest_of(tree, published, work, settings, stylesheet, site_theme))
    cache.update(
        stylesheet=[stylesheet, site_theme.digest],
        sources=sources.cache_entries(tree, convention.name),
        fragments={name: fragment.to_json() for name, fragment in work.fragments.items()},
        pages=work.pages,
        assets=assets,
    )
    save_cache(out_dir, cache)
    warnings = [*tree.warnings, *(w for name in sorted(work.fragments) for w in work.fragments[name].warnings)]
    if strict:
        warnings += ignored_keys(tree)
    rendered = sum(item.entry is not None for item in work.stale)
    summary = Summary(
        rendered=rendered,
        unchanged=len(published) - rendered,
        removed=removed,
        drafts=tree.drafts_skipped,
        seconds=time.perf_counter() - started,
        convention=f"{convention.root}: {convention.describe()}",
        warnings=tuple(warnings),
        state=Rendered(
            tree, published, settings, stylesheet, page_common(settings, stylesheet, site_theme), overrides(out_dir)
        ),
    )
    watch.keep(written_files(out_dir, cache), summary.report_unchanged())
    return summary
