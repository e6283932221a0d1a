"""Builds the site into the preview's private folder, with the tools' own code, in this process.

Two ways, chosen per batch of changed files:

- ``site``: rendermd's ``render_site`` and buildindex's ``build_index``, exactly as the
  commands run them (incremental: only stale pages are rendered).  Always right, but on a
  large site its walk of every file costs a few hundred milliseconds.
- ``pages``: when the files that changed are articles whose front matter says the same as
  before (the usual save: the writer changed the text), nothing but those pages can change
  except what lists and feeds show of them, so only their pages are rendered again, through
  rendermd's own ``page_work``/``page_job``/``build_page``, with the neighbours and settings
  of the last full build.  Anything else falls back to ``site``, and the caller follows a
  ``pages`` build with a ``site`` build once the writer pauses, which brings lists, feeds
  and the render cache up to date (and would correct any difference: it writes files only
  where their bytes change).

Bad input never raises here: it comes back as ``problems``, one ``file:line: message`` each.
"""

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmd.buildindex.index import build_index
from cmd.rendermd import build, sources
from cmd.rendermd.build import Rendered, render_site
from cmd.rendermd.sources import Page
from cmd.shared import theme, version
from cmd.shared.errors import InputError

# More changed articles than this at once (a checkout, a search-and-replace): a full build.
MOST_PAGES = 8


@dataclass(frozen=True)
class Outcome:
    """What one build did, for the terminal and the served table."""

    kind: str  # "site" or "pages"
    seconds: float
    written: tuple[str, ...] = ()  # "pages": the page files rendered (site paths); "site": every file may have changed
    problems: tuple[str, ...] = ()  # file:line: message, one per bad input; the site was left as it was
    warnings: tuple[str, ...] = ()
    rendered: int = 0


def problems_of(error: InputError | BaseExceptionGroup[Exception]) -> tuple[str, ...]:
    """The one line per problem that rendermd would print (without its "rendermd: error: ")."""
    if isinstance(error, InputError):
        return (str(error),)
    lines: list[str] = []
    for inner in error.exceptions:
        if isinstance(inner, InputError):
            lines.append(str(inner))
        elif isinstance(inner, BaseExceptionGroup):
            lines += problems_of(inner)
        else:
            raise inner
    return tuple(lines)


@dataclass
class Known:
    """What the last good full build knew, for the ``pages`` way."""

    state: Rendered
    pages: dict[Path, Page]  # source file -> its page, as last rendered
    links_of: dict[str, dict[str, Any]] = field(default_factory=dict)
    link_index: dict[str, Page | None] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)


def known_from(state: Rendered) -> Known:
    dated = [page for page in state.published if page.date is not None]
    return Known(
        state=state,
        pages={page.source.file.path: page for page in state.published},
        links_of=build.neighbours(dated),
        link_index=sources.link_index(state.tree.pages, state.tree.convention),
        common=state.common,
    )


class Builder:
    """Owns the private OUT folder and what the last good build knew (see the module docstring)."""

    def __init__(self, articles: Path, out: Path, *, drafts: bool):
        self.articles = articles
        self.out = out
        self.drafts = drafts
        self.known: Known | None = None
        self.failing = False  # the last full build found bad input

    def site(self, theme_changed: bool = False) -> Outcome:
        """rendermd then buildindex, as the commands run them; the theme's caches first if it changed."""
        started = time.perf_counter()
        if theme_changed:
            theme.environment.cache_clear()  # templates are read once per process
            version.tools_digest.cache_clear()  # the templates are part of it: every page is stale
        try:
            summary = render_site(self.articles, self.out, drafts=self.drafts)
            build_index(self.out)
        except (InputError, ExceptionGroup) as error:
            self.failing = True
            return Outcome("site", time.perf_counter() - started, problems=problems_of(error))
        self.failing = False
        assert summary.state is not None
        self.known = known_from(summary.state)
        return Outcome("site", time.perf_counter() - started, warnings=summary.warnings, rendered=summary.rendered)

    def can_render_pages(self, paths: Iterable[Path]) -> bool:
        """True when every path is an article the last good build rendered (a ``pages`` build may do)."""
        known = self.known
        found = list(paths)
        return (
            known is not None
            and not self.failing
            and 0 < len(found) <= MOST_PAGES
            and all(path in known.pages and path.is_file() for path in found)
        )

    def pages(self, paths: Iterable[Path]) -> Outcome | None:
        """Render these articles' pages again, or None when their change is more than their text."""
        started = time.perf_counter()
        known = self.known
        if known is None:
            return None
        placed = [self.placed_again(known, path) for path in paths]
        if any(page is None for page in placed):
            return None
        from cmd.rendermd.pages import build_page

        state = known.state
        policy = state.settings.policy()
        convention = state.tree.convention
        written = []
        for page in placed:
            assert page is not None
            item = build.page_work(page, convention.name, policy.header(), known.common, known.links_of)
            build_page(build.page_job(item, convention, policy, self.out, state.templates))
            known.pages[page.source.file.path] = page
            written.append(page.output)
        return Outcome("pages", time.perf_counter() - started, written=tuple(written), rendered=len(written))

    @staticmethod
    def placed_again(known: Known, path: Path) -> Page | None:
        """The article at ``path`` read again, if it sits where it did, with the same front matter."""
        page = known.pages.get(path)
        if page is None:
            return None
        convention = known.state.tree.convention
        try:
            source = sources.read_source(page.source.file, None, convention.name, convention)
            date = sources.page_date(source, convention)  # Jekyll dates an undated draft by its file's time
        except InputError:
            return None  # reported by the full build that follows, with every other problem
        if source.reading.fields != page.source.reading.fields or date != page.date:
            return None
        linked, problems = sources.resolve_links(dataclasses.replace(page, source=source), known.link_index)
        return None if problems else linked
