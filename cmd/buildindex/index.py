"""Build the site's list pages, feeds, sitemap and redirects into OUT_DIR.

Everything is derived from the manifest rendermd wrote, so the run is cheap;
still, when neither the manifest nor the tools nor the settings changed,
nothing is rendered at all and the files on disk stay untouched, and
otherwise only the files whose inputs changed are rendered (see ``Writer``).

Lists are paged as Hugo pages them (``/page/2/``, ``/tags/x/page/2/``,
``/posts/page/2/``), ``site.toml``'s ``paginate`` articles a page; the feeds
keep only the newest ``feed_size``.
"""

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cmd.buildindex import stamp
from cmd.shared import manifest as site_manifest
from cmd.shared.buildlock import building
from cmd.shared.config import from_mapping
from cmd.shared.errors import InputError
from cmd.shared.files import remove, write_atomic, write_if_changed
from cmd.shared.layout import (
    BUILD_DIR,
    CATEGORIES_DIR,
    HEADERS_FILE,
    MANIFEST,
    REDIRECTS_FILE,
    TAGS_DIR,
    encoded,
    list_page,
    rooted,
)
from cmd.shared.records import Entry, Redirect, SectionEntry
from cmd.shared.theme import THEME_COPY, overrides
from cmd.shared.uptodate import Watch
from cmd.shared.version import TOOLS_ROOT, library_origins, tools_digest

if TYPE_CHECKING:
    import jinja2

STATE = f"{BUILD_DIR}/index-state.json"
UP_TO_DATE = "buildindex: up to date"
RECENT_ON_404 = 5


@dataclass(frozen=True)
class Summary:
    written: int
    unchanged: bool
    seconds: float
    state_damaged: bool = False

    def line(self) -> str:
        if self.unchanged:
            return f"{UP_TO_DATE} in {self.seconds:.2f} s"
        note = f" (its state in {STATE} was unreadable: everything rebuilt)" if self.state_damaged else ""
        return f"buildindex: {self.written} files written in {self.seconds:.2f} s{note}"


@dataclass(frozen=True)
class Site:
    """The manifest, read into records."""

    settings: dict[str, Any]
    stylesheet: str
    articles: list[Entry]  # dated, newest first: what lists and feeds show
    pages: list[Entry]  # every rendered page, undated ones too: what the sitemap lists
    sections: list[SectionEntry]
    redirects: list[Redirect]
    csp: str
    theme: str  # the digest of the site's own templates and CSS

    @property
    def base_path(self) -> str:
        """The path the site lives under ("" at a host's root): every link the list pages make starts with it."""
        return urlsplit(str(self.settings["base_url"])).path.rstrip("/")


def latest(dates: Iterable[str]) -> str | None:
    """The newest of some ISO 8601 date-times; compared as instants, as text order breaks across offsets."""
    return max(dates, key=dt.datetime.fromisoformat, default=None)


def changed(entry: Entry) -> str:
    assert entry.date is not None
    return entry.updated or entry.date


def home_items(articles: list[Entry]) -> list[dict[str, Any]]:
    """Newest first; a series appears once, where its newest part would, with its parts in order."""
    parts: dict[str, list[Entry]] = defaultdict(list)
    for article in articles:
        if article.series:
            parts[article.series].append(article)
    items: list[dict[str, Any]] = []
    shown = set()
    for article in articles:
        series = article.series
        if not series:
            items.append({"series": None, "article": article})
        elif series not in shown:
            shown.add(series)
            ordered = sorted(
                parts[series],
                key=lambda a: site_manifest.series_order(a.part, dt.datetime.fromisoformat(a.date or ""), a.url),
            )
            items.append({"series": series, "parts": ordered})
    return items


def pages_of(items: list[Any], size: int) -> list[list[Any]]:
    """``items`` in pages of ``size``; an empty list is one empty page."""
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def pagination(base: str, number: int, total: int) -> dict[str, Any]:
    """Links to the neighbouring pages of a paged list, for the template."""
    return {
        "number": number,
        "total": total,
        "newer": list_page(base, number - 1)[0] if number > 1 else None,
        "older": list_page(base, number + 1)[0] if number < total else None,
    }


def read_site(manifest: dict[str, Any], out_dir: Path, base_url: str | None, feed_size: int | None) -> Site:
    given = {key: value for key, value in (("base_url", base_url), ("feed_size", feed_size)) if value is not None}
    rendered_for = from_mapping(manifest["site"], "the manifest").base_path
    config = from_mapping({**manifest["site"], **given}, "buildindex settings")
    if config.base_path != rendered_for:
        raise InputError(
            f"the base URL {config.base_url} puts the site under {config.base_path or '/'}, but its pages were "
            f"rendered for {rendered_for or '/'}: set base_url in site.toml and run rendermd again",
            out_dir,
        )
    settings = dataclasses.asdict(config)
    try:
        pages = [Entry.from_json(item) for item in manifest["articles"]]
        sections = [SectionEntry.from_json(item) for item in manifest["sections"]]
        redirects = [Redirect.from_json(item) for item in manifest["redirects"]]
        return Site(
            settings,
            manifest["stylesheet"],
            [page for page in pages if page.listed],
            pages,
            sections,
            redirects,
            manifest["csp"],
            manifest["theme"],
        )
    except (KeyError, TypeError) as error:
        raise InputError(f"manifest from another version of the tools ({error}); run rendermd again", out_dir) from None


class Writer:
    """Renders the templates into a {file: text} table, the common context added once.

    Each file's inputs (its template, path and context, the site's ``frame``)
    are fingerprinted first; a file whose fingerprint is the one the last run
    recorded, and which is still on disk as that run left it, is not rendered
    again: after one article is edited, only the lists, tag pages and feeds
    that show it are.
    """

    def __init__(self, site: Site, templates: Path | None, frame: str, previous: dict[str, list[Any]], out_dir: Path):
        self.site, self.templates, self.frame, self.previous, self.out_dir = site, templates, frame, previous, out_dir
        self.common = {"site": site.settings, "stylesheet": site.stylesheet, "base": site.base_path}
        self.files: dict[str, str] = {}  # rendered by this run
        self.fingerprints: dict[str, str] = {}  # every file this run owns
        self.digests: dict[int, str] = {}  # id of a record in the context -> its digest

    @cached_property
    def env(self) -> "jinja2.Environment":
        from cmd.buildindex.feeds import rfc822  # Jinja2 is only imported when something is rendered
        from cmd.shared.theme import environment

        env = environment(self.site.settings["language"], self.templates, self.site.theme, self.out_dir).overlay()
        env.filters["rfc822"] = rfc822
        env.filters["encoded"] = encoded
        return env

    def record_digest(self, record: object) -> str:
        """A record (an Entry, a SectionEntry) in a fingerprint: the digest of its fields, made once."""
        found = self.digests.get(id(record))
        if found is None:
            fields = json.dumps([type(record).__name__, vars(record)], sort_keys=True, default=self.record_digest)
            found = self.digests[id(record)] = hashlib.sha256(fields.encode()).hexdigest()
        return found

    def produce(self, file: str, inputs: object, make: Callable[[], str]) -> None:
        """Own ``file``; render it with ``make`` unless ``inputs`` are those of the copy on disk."""
        text = json.dumps([self.frame, file, inputs], sort_keys=True, default=self.record_digest)
        fingerprint = hashlib.sha256(text.encode()).hexdigest()
        self.fingerprints[file] = fingerprint
        if self.previous.get(file) != [fingerprint, *on_disk(self.out_dir / file)]:
            self.files[file] = make()

    def render(self, file: str, template: str, **context: Any) -> None:
        self.render_from(file, template, context, lambda: context)

    def render_from(self, file: str, template: str, inputs: object, context: Callable[[], dict[str, Any]]) -> None:
        """Render ``template`` with what ``context`` makes, only when ``inputs`` (which decide it) changed."""
        self.produce(
            file, [template, inputs], lambda: self.env.get_template(template).render(**self.common, **context())
        )

    def page(self, file: str, template: str, path: str, **context: Any) -> None:
        self.render(file, template, path=path, **context)

    def paged(self, base: str, template: str, items: list[Any], size: int, **context: Any) -> None:
        """A list page and its follow-ups: ``base``, then ``base/page/2/``..."""
        chunks = pages_of(items, size)
        for number, chunk in enumerate(chunks, 1):
            url, file = list_page(base, number)
            self.page(file, template, url, items=chunk, pager=pagination(base, number, len(chunks)), **context)


def on_disk(path: Path) -> list[int]:
    """What says a file is still the one a run wrote: size, mtime, ctime, inode (a rename makes a new one)."""
    try:
        st = os.stat(path)
    except OSError:
        return []
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


# The taxonomies that get pages: (folder, the field of Entry that holds the terms).
TAXONOMIES = ((TAGS_DIR, "tags"), (CATEGORIES_DIR, "categories"))


def term_groups(articles: list[Entry], field: str) -> dict[str, list[Entry]]:
    """Each term of a taxonomy (tags, categories) with its articles, newest first, terms sorted."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for article in articles:
        for term in getattr(article, field):
            groups[term].append(article)
    return dict(sorted(groups.items()))


def years(articles: list[Entry]) -> list[tuple[int, list[Entry]]]:
    """The archive: every article, grouped by year, newest first."""
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for article in articles:
        grouped[dt.datetime.fromisoformat(article.date or "").year].append(article)
    return sorted(grouped.items(), reverse=True)


def read_fragment(out_dir: Path, fragment: str | None) -> str:
    if fragment is None:
        return ""
    try:
        return (out_dir / fragment).read_text(encoding="utf-8")
    except OSError:
        raise InputError("a rendered body is missing; run rendermd again", out_dir / fragment) from None


def write_lists(writer: Writer, site: Site, out_dir: Path) -> None:
    """Home, archive, sections and tags, each paged."""
    size = site.settings["paginate"]
    home = next((section for section in site.sections if section.path == ""), None)
    intro = rooted(read_fragment(out_dir, home.fragment), site.base_path) if home else ""
    writer.paged("/", "index.html", home_items(site.articles), size, intro=intro)
    writer.page("archive.html", "archive.html", "/archive", years=years(site.articles))
    for section in site.sections:
        if section.path:
            members = [article for article in site.articles if is_in(article, section)]
            text = rooted(read_fragment(out_dir, section.fragment), site.base_path)
            writer.paged(section.url, "section.html", members, size, section=section, text=text)
    for folder, field in TAXONOMIES:
        groups = term_groups(site.articles, field)
        if not groups and folder != TAGS_DIR:
            continue  # /tags always exists (the site's menu links it); the others only when used
        terms = [(term, len(group)) for term, group in groups.items()]
        writer.page(f"{folder}.html", "tags.html", f"/{folder}", folder=folder, tags=terms)
        for term, group in groups.items():
            writer.paged(f"/{folder}/{term}", "tag.html", group, size, folder=folder, term=term, count=len(group))
    writer.page("404.html", "404.html", "/404", recent=site.articles[:RECENT_ON_404])


def is_in(article: Entry, section: SectionEntry) -> bool:
    return article.section == section.path or article.section.startswith(section.path + "/")


def write_feeds(writer: Writer, site: Site, out_dir: Path) -> None:
    """The three feeds, decided by their articles' records: a record's ``fragment_digest`` is its body's hash,
    so the bodies are read (and their links made absolute) only when a feed is rendered again."""
    from cmd.buildindex.feeds import feed_entries, json_feed

    articles = site.articles[: site.settings["feed_size"]]
    updated = latest(changed(a) for a in articles)

    @functools.cache
    def entries() -> list[dict[str, Any]]:
        return feed_entries(out_dir, articles, site.settings["base_url"])

    for feed in ("rss.xml", "atom.xml"):
        writer.render_from(feed, feed, [articles, updated], lambda: {"entries": entries(), "updated": updated})
    writer.produce("feed.json", ["json", articles], lambda: json_feed(site.settings, entries()))


def sitemap_urls(site: Site) -> list[dict[str, str | None]]:
    base = site.settings["base_url"]
    newest = latest(changed(a) for a in site.articles)
    urls: list[dict[str, str | None]] = [{"loc": f"{base}/", "lastmod": newest}]
    urls += [{"loc": base + encoded(page.url), "lastmod": page.updated or page.date} for page in site.pages]
    urls += [{"loc": base + encoded(section.url), "lastmod": None} for section in site.sections if section.path]
    urls.append({"loc": f"{base}/archive", "lastmod": newest})
    for folder, field in TAXONOMIES:
        groups = term_groups(site.articles, field)
        if groups or folder == TAGS_DIR:
            urls.append({"loc": f"{base}/{folder}", "lastmod": newest})
        for term, group in groups.items():
            urls.append({"loc": base + encoded(f"/{folder}/{term}"), "lastmod": latest(changed(a) for a in group)})
    return urls


def redirect_rules(site: Site) -> list[tuple[str, str]]:
    """Each old URL, and for a folder (``/old/``) its form without the slash, which led there too.

    Hugo and Zola also answered a list's first page at ``/page/1/``: it sends to the list.
    """
    taken = {page.url for page in site.pages} | {section.url for section in site.sections}
    rules = {r.old: r.new for r in site.redirects}
    for section in site.sections:
        rules.setdefault(section.url.rstrip("/") + "/page/1/", section.url)
    for r in site.redirects:
        bare = r.old.rstrip("/")
        if r.old.endswith("/") and bare and bare not in taken and bare not in rules:
            rules[bare] = r.new
    return sorted(rules.items())


def redirects_file(site: Site) -> str:
    """Old URLs, one ``FROM TO 301`` rule a line: the server's redirect table."""
    lines = [f"{encoded(old)} {encoded(new)} 301" for old, new in redirect_rules(site)]
    return "# Old URLs of pages, written by buildindex: FROM TO STATUS\n" + "".join(line + "\n" for line in lines)


def headers_file(site: Site) -> str:
    """The Content-Security-Policy rendermd's warnings describe, for the server to send."""
    return f"/*\n  Content-Security-Policy: {site.csp}\n"


def render_files(writer: Writer, site: Site, out_dir: Path) -> None:
    """Every file buildindex owns: ``writer`` renders those whose inputs changed."""
    write_lists(writer, site, out_dir)
    write_feeds(writer, site, out_dir)
    writer.render("sitemap.xml", "sitemap.xml", urls=sitemap_urls(site))
    writer.produce(REDIRECTS_FILE, site.redirects, lambda: redirects_file(site))
    writer.produce(HEADERS_FILE, site.csp, lambda: headers_file(site))


def read_state(out_dir: Path) -> tuple[dict[str, Any], bool]:
    """The last run's key and files (name -> [fingerprint, stat]), and whether a state file was there but unreadable."""
    empty: dict[str, Any] = {"key": None, "files": {}}
    try:
        state = json.loads((out_dir / STATE).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return empty, False
    except (ValueError, UnicodeDecodeError):
        return empty, True
    files = state.get("files") if isinstance(state, dict) else None
    if not isinstance(files, dict) or not all(isinstance(record, list) for record in files.values()):
        return empty, True  # an old or damaged one: build everything again
    return state, False


def build_index(out_dir: Path, *, base_url: str | None = None, feed_size: int | None = None) -> Summary:
    """Write the index pages, feeds and sitemap; only those whose inputs changed, none when nothing did."""
    started = time.perf_counter()
    watch = Watch(
        out_dir,
        stamp.TOOL,
        stamp.asked(out_dir, base_url, feed_size),
        deep=[out_dir / THEME_COPY, TOOLS_ROOT],
        shallow=[out_dir / MANIFEST, *library_origins()],
    )  # before the manifest is read, so a rendermd that rewrites it meanwhile is seen by the next run
    manifest, manifest_digest = site_manifest.read_with_digest(out_dir)
    site = read_site(manifest, out_dir, base_url, feed_size)
    asked = json.dumps([tools_digest(), manifest_digest, site.settings], sort_keys=True)
    key = hashlib.sha256(asked.encode()).hexdigest()
    state, damaged = read_state(out_dir)
    if state.get("key") == key and all(
        record[1:] == on_disk(out_dir / name) for name, record in state["files"].items()
    ):
        watch.keep(written_files(out_dir, state["files"]), [UP_TO_DATE])
        return Summary(0, True, time.perf_counter() - started)

    frame = json.dumps([tools_digest(), site.settings, site.stylesheet, site.base_path, site.theme], sort_keys=True)
    writer = Writer(site, overrides(out_dir), frame, state["files"], out_dir)
    render_files(writer, site, out_dir)
    with building(out_dir, "buildindex"):  # prezip waits, and never packs half of these files
        written = sum(write_if_changed(out_dir / name, text.encode("utf-8")) for name, text in writer.files.items())
        for stale in state["files"].keys() - writer.fingerprints.keys():
            remove(out_dir, stale)
        files = {name: [fingerprint, *on_disk(out_dir / name)] for name, fingerprint in writer.fingerprints.items()}
        write_atomic(out_dir / STATE, json.dumps({"key": key, "files": files}, sort_keys=True).encode())
        watch.keep(written_files(out_dir, files), [UP_TO_DATE])
    return Summary(written, False, time.perf_counter() - started, damaged)


def written_files(out_dir: Path, names: Iterable[str]) -> list[Path]:
    """What a run leaves in OUT: a later run is skipped only while these stay as they are."""
    return [out_dir / STATE, *(out_dir / name for name in names)]
