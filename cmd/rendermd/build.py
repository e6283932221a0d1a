"""Render every article into OUT_DIR: validated first, then only what changed, in parallel.

Order of work, and why:
1. Read and validate every article.  Any bad input stops the run before a
   single file is written, so the pages already in OUT_DIR stay as they were.
2. Decide per article what is stale: the body (Markdown -> HTML, the
   expensive part) depends on the source and the tools; the page also on its
   neighbours, its series and the site settings.
3. Render stale pages across cores, remove pages of deleted articles, and
   write the manifest and the cache last, so that an interrupted run is
   simply redone next time.
"""

import dataclasses
import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cmd.rendermd import frontmatter
from cmd.rendermd.frontmatter import Meta
from cmd.shared import config as site_config
from cmd.shared import manifest as site_manifest
from cmd.shared.errors import InputError
from cmd.shared.files import write_atomic, write_if_changed
from cmd.shared.layout import RENDER_CACHE, STATIC_DIR, fragment_path, page_url
from cmd.shared.version import tools_digest


@dataclass(frozen=True)
class Source:
    path: Path
    name: str  # path relative to the articles directory: the cache key
    data: bytes
    digest: str
    meta: Meta
    body: str | None  # the Markdown, when the front matter was parsed in this run

    def markdown(self) -> str:
        return self.body if self.body is not None else frontmatter.parse(self.data, self.path)[1]


@dataclass(frozen=True)
class Summary:
    rendered: int
    unchanged: int
    removed: int
    drafts: int
    seconds: float

    def line(self) -> str:
        drafts = f", {self.drafts} drafts skipped" if self.drafts else ""
        return (
            f"rendermd: {self.rendered} rendered, {self.unchanged} unchanged, "
            f"{self.removed} removed{drafts} in {self.seconds:.2f} s"
        )


def meta_to_json(meta: Meta) -> dict:
    return {
        **vars(meta),  # not dataclasses.asdict: its deep copies dominated warm runs
        "date": meta.date.isoformat(),
        "updated": meta.updated.isoformat() if meta.updated else None,
        "tags": list(meta.tags),
    }


def meta_from_json(data: dict, path: Path) -> Meta:
    return Meta(
        **{
            **data,
            "date": frontmatter.to_datetime(data["date"], "date", path),
            "updated": frontmatter.to_datetime(data["updated"], "updated", path) if data["updated"] else None,
            "tags": tuple(data["tags"]),
        }
    )


def article_entry(meta: Meta, fragment: dict) -> dict:
    """What the page template, the manifest and buildindex know of an article."""
    return {
        "slug": meta.slug,
        "url": page_url(meta.slug),
        "title": meta.title,
        "date": meta.date.isoformat(),
        "updated": meta.updated.isoformat() if meta.updated else None,
        "author": meta.author,
        "summary": meta.summary or fragment["excerpt"],
        "tags": list(meta.tags),
        "series": meta.series,
        "part": meta.part,
        "draft": meta.draft,
        "reading_minutes": fragment["reading_minutes"],
        "fragment": fragment_path(meta.slug),
        "fragment_digest": fragment["html_digest"],
    }


def find_articles(articles_dir: Path) -> list[Path]:
    if not articles_dir.is_dir():
        raise InputError("articles directory not found", articles_dir)

    def is_article(path: Path) -> bool:
        parts = path.relative_to(articles_dir).parts
        return parts[0] != STATIC_DIR and not any(part.startswith(".") for part in parts)

    paths = sorted(filter(is_article, articles_dir.rglob("*.md")))
    if not paths:
        raise InputError("no articles (*.md) in the articles directory", articles_dir)
    return paths


def load_cache(out_dir: Path) -> dict:
    """The previous run's bookkeeping; only its list of pages survives a change of the tools."""
    empty = {"tools": tools_digest(), "stylesheet": None, "sources": {}, "fragments": {}, "pages": {}, "assets": []}
    try:
        cached = json.loads((out_dir / RENDER_CACHE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return empty
    if not isinstance(cached, dict):
        return empty
    if cached.get("tools") != empty["tools"]:
        return {**empty, "pages": cached.get("pages", {}), "assets": cached.get("assets", [])}
    return cached


def copy_assets(articles_dir: Path, out_dir: Path, previous: list[str]) -> list[str]:
    """Copy ARTICLES/static/ (images, downloads) to OUT/static/ as it is; drop what was removed."""
    source = articles_dir / STATIC_DIR
    copied = []
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(articles_dir)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                write_if_changed(out_dir / relative, path.read_bytes())
                copied.append(relative.as_posix())
    for gone in set(previous) - set(copied):
        (out_dir / gone).unlink(missing_ok=True)
    return copied


def save_cache(out_dir: Path, cache: dict) -> None:
    write_atomic(out_dir / RENDER_CACHE, json.dumps(cache, sort_keys=True).encode())


def read_sources(articles_dir: Path, paths: list[Path], cached_sources: dict) -> list[Source]:
    """Read and validate every article, collecting all errors before giving up."""
    sources, errors = [], []
    for path in paths:
        name = path.relative_to(articles_dir).as_posix()
        try:
            data = path.read_bytes()
        except OSError as error:
            errors.append(InputError(f"cannot read: {error.strerror}", path))
            continue
        digest = hashlib.sha256(data).hexdigest()
        cached = cached_sources.get(name)
        try:
            if cached and cached["digest"] == digest:
                meta, body = meta_from_json(cached["meta"], path), None
            else:
                meta, body, _ = frontmatter.parse(data, path)
        except InputError as error:
            errors.append(error)
            continue
        sources.append(Source(path, name, data, digest, meta, body))
    by_slug: dict[str, list[Source]] = defaultdict(list)
    for source in sources:
        by_slug[source.meta.slug].append(source)
    for slug, same in by_slug.items():
        for duplicate in same[1:]:
            errors.append(InputError(f"slug {slug!r} is already used by {same[0].path}", duplicate.path))
    if errors:
        raise ExceptionGroup("bad articles", errors)
    return sources


def neighbours(published: list[Meta]) -> dict[str, dict]:
    """Per slug: the newer and the older article, and the series it belongs to."""
    series: dict[str, list[Meta]] = defaultdict(list)
    for meta in published:
        if meta.series:
            series[meta.series].append(meta)
    for parts in series.values():
        parts.sort(key=lambda m: site_manifest.series_order(m.part, m.date, m.slug))

    def link(meta: Meta | None) -> dict | None:
        return {"slug": meta.slug, "title": meta.title, "url": page_url(meta.slug)} if meta else None

    links = {}
    for index, meta in enumerate(published):
        parts = series.get(meta.series or "")
        links[meta.slug] = {
            "newer": link(published[index - 1]) if index > 0 else None,
            "older": link(published[index + 1]) if index + 1 < len(published) else None,
            "series": {"name": meta.series, "position": parts.index(meta) + 1, "parts": [link(p) for p in parts]}
            if parts
            else None,
        }
    return links


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def render_site(
    articles_dir: Path,
    out_dir: Path,
    *,
    drafts: bool = False,
    jobs: int | None = None,
    progress: bool = False,
) -> Summary:
    """Bring OUT_DIR's pages up to date with ARTICLES_DIR; bad input raises an ExceptionGroup."""
    started = time.perf_counter()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("the output path exists and is not a directory", out_dir)
    settings = dataclasses.asdict(site_config.load(articles_dir))
    cache = load_cache(out_dir)
    sources = read_sources(articles_dir, find_articles(articles_dir), cache["sources"])
    published = sorted(
        (s for s in sources if drafts or not s.meta.draft),
        key=lambda s: (-s.meta.date.timestamp(), s.meta.slug),
    )

    stylesheet = cache["stylesheet"]
    if stylesheet is None or not (out_dir / stylesheet).exists():
        from cmd.rendermd.pages import site_stylesheet  # see pages.py on why this import waits

        stylesheet, css = site_stylesheet()
        write_atomic(out_dir / stylesheet, css)
    links = neighbours([s.meta for s in published])
    old_fragments, old_pages = cache["fragments"], cache["pages"]
    pages: dict[str, str] = {}
    stale = []
    metas = {s.name: meta_to_json(s.meta) for s in sources}
    for source in published:
        slug = source.meta.slug
        context = {"site": settings, "stylesheet": stylesheet, **links[slug]}
        pages[slug] = fingerprint(source.digest, metas[source.name], context)
        fragment = old_fragments.get(slug)
        body_current = fragment and fragment["digest"] == source.digest and (out_dir / fragment_path(slug)).exists()
        if body_current and old_pages.get(slug) == pages[slug] and (out_dir / f"{slug}.html").exists():
            continue
        stale.append((source, context, fragment if body_current else None))

    fragments = {slug: old_fragments[slug] for slug in pages if slug in old_fragments}
    if stale:
        from cmd.rendermd.pages import PageJob, build_pages

        # Forget the stale pages before touching them: should this run die half-way, the next
        # one redoes them, even if their sources are by then back to what the old cache says.
        stale_slugs = {source.meta.slug for source, _, _ in stale}
        save_cache(
            out_dir,
            {
                **cache,
                "fragments": {slug: f for slug, f in old_fragments.items() if slug not in stale_slugs},
                "pages": {**old_pages, **dict.fromkeys(stale_slugs)},
            },
        )

        jobs_list = [
            PageJob(out_dir, s.meta, context, None if fragment else s.markdown(), fragment)
            for s, context, fragment in stale
        ]
        workers = jobs or len(os.sched_getaffinity(0))  # the cores this process may use, as in a container
        for (source, _, _), fragment in zip(stale, build_pages(jobs_list, workers, progress), strict=False):
            fragments[source.meta.slug] = {**fragment, "digest": source.digest}

    removed = old_pages.keys() - pages.keys()
    for slug in removed:
        for path in (out_dir / f"{slug}.html", out_dir / fragment_path(slug)):
            path.unlink(missing_ok=True)
    assets = copy_assets(articles_dir, out_dir, cache.get("assets", []))
    for old_css in (out_dir / STATIC_DIR).glob("style.*.css"):
        if old_css.name != Path(stylesheet).name and f"{STATIC_DIR}/{old_css.name}" not in assets:
            old_css.unlink(missing_ok=True)

    site_manifest.write(
        out_dir,
        {
            "site": settings,
            "stylesheet": stylesheet,
            "articles": [article_entry(s.meta, fragments[s.meta.slug]) for s in published],
        },
    )
    cache.update(
        stylesheet=stylesheet,
        sources={s.name: {"digest": s.digest, "meta": metas[s.name]} for s in sources},
        fragments=fragments,
        pages=pages,
        assets=assets,
    )
    save_cache(out_dir, cache)
    return Summary(
        rendered=len(stale),
        unchanged=len(published) - len(stale),
        removed=len(removed),
        drafts=len(sources) - len(published),
        seconds=time.perf_counter() - started,
    )
