"""The expensive half of rendermd: Markdown to HTML and HTML into the page template.

Kept apart from build.py, which imports this module only when some page is
stale: a warm run with nothing to do never pays to import pyromark,
Pygments and Jinja2.  Each job renders and writes one page (or a section's
text); with enough jobs they run in worker processes, so every core shares
the Markdown, the templating and the writes.
"""

import contextlib
import ctypes
import gc
import hashlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cmd.rendermd import highlight, markdown
from cmd.rendermd.conventions.base import Convention
from cmd.rendermd.fragment import Fragment
from cmd.shared.csp import Policy
from cmd.shared.files import write_text_atomic
from cmd.shared.layout import HIGHLIGHTED, rooted
from cmd.shared.records import Entry
from cmd.shared.theme import Theme, environment, stylesheet
from cmd.shared.version import tools_digest

PARALLEL_THRESHOLD = 32  # below this, starting worker processes costs more than it saves
YOUNG_COLLECTION = 20_000  # allocations between two collections of the youngest generation (Python's: 700)
PROGRESS_THRESHOLD = 200
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class PageJob:
    out_dir: Path
    source: Path  # the Markdown file, for warnings
    body_line: int
    fragment_file: str  # under OUT
    fragment_key: str
    markdown: str | None  # None when the fragment on disk is current
    fragment: Fragment | None  # what the last render learnt of the body, when markdown is None
    convention: Convention
    links: Mapping[str, str]
    asset_base: str | None
    policy: Policy
    entry: Entry | None = None  # None for a section's text, which has no page of its own
    page_file: str = ""
    templates: Path | None = None  # the site's own templates, as copied into OUT
    context: dict[str, Any] = field(default_factory=dict)  # site settings, stylesheet, neighbours, series


def site_stylesheet(site_theme: Theme) -> tuple[str, bytes]:
    """The hashed stylesheet path and bytes: ours or the theme's CSS, plus Pygments' classes."""
    return stylesheet(highlight.stylesheet(), site_theme)


@cache
def _parser() -> markdown.Parser:
    return markdown.make_parser()


def blocked_warning(job: PageJob, blocked: tuple[tuple[str, int], ...]) -> list[str]:
    """One line per page naming everything the Content-Security-Policy will block in it."""
    if not blocked:
        return []
    items = ", ".join(f"{what} (line {job.body_line + line - 1})" for what, line in dict.fromkeys(blocked))
    first = job.body_line + blocked[0][1] - 1
    message = f"the Content-Security-Policy will block {items}; allow it in site.toml's [csp], or remove it"
    return [f"{job.source}:{first}: warning: {message}"]


def plain_code_warning(job: PageJob, blocks: int) -> list[str]:
    """One line when some code blocks were left unhighlighted (see highlight.HIGHLIGHT_BUDGET)."""
    if not blocks:
        return []
    limit = f"{highlight.HIGHLIGHT_BUDGET:,}"
    message = f"{blocks} of its code blocks come after the first {limit} characters of code: shown unhighlighted"
    return [f"{job.source}: warning: {message}"]


def render_body(job: PageJob) -> tuple[Fragment, str]:
    """Preprocess the engine's markup, render the Markdown, write the fragment."""
    assert job.markdown is not None
    warnings: list[str] = []

    def warn(message: str, line: int, shown: str) -> None:
        warnings.append(f"{job.source}:{job.body_line + line - 1}: warning: {message}; {shown}")

    text = job.convention.preprocess(job.markdown, job.links, warn)
    kept = job.out_dir / HIGHLIGHTED / tools_digest()[:16]
    rendered = markdown.render(_parser(), text, asset_base=job.asset_base, policy=job.policy, kept=kept)
    fragment = Fragment(
        key=job.fragment_key,
        html_digest=hashlib.sha256(rendered.html.encode()).hexdigest(),
        toc=tuple((heading.level, heading.id, heading.text) for heading in rendered.toc),
        reading_minutes=rendered.reading_minutes,
        excerpt=rendered.excerpt,
        site_refs=rendered.site_refs,
        warnings=(
            *warnings,
            *blocked_warning(job, rendered.blocked),
            *plain_code_warning(job, rendered.plain_code_blocks),
        ),
    )
    write_text_atomic(job.out_dir / job.fragment_file, rendered.html)
    return fragment, rendered.html


def build_page(job: PageJob) -> Fragment:
    """Render (if stale) the body, then the page; write both; return the body's facts."""
    if job.markdown is None:
        assert job.fragment is not None
        fragment, body = job.fragment, (job.out_dir / job.fragment_file).read_text(encoding="utf-8")
    else:
        fragment, body = render_body(job)
    if job.entry is not None:
        entry = fragment.fill(job.entry)
        context = {key: value for key, value in job.context.items() if key != "toc"}
        toc = (
            [{"level": level, "id": id_, "text": text} for level, id_, text in fragment.toc]
            if job.context["toc"]
            else []
        )
        env = environment(context["site"]["language"], job.templates, context["theme"], job.out_dir)
        body = rooted(body, context["base"])  # a site under /blog: its bodies' /x links are /blog/x
        html = env.get_template("article.html").render(article=entry, path=entry.url, toc=toc, body=body, **context)
        write_text_atomic(job.out_dir / job.page_file, html)
    return fragment


def die_with_parent(parent: int) -> None:
    """A worker ends when the process that started it does, even by SIGKILL (Linux's PR_SET_PDEATHSIG).

    The signal is only armed from here on: a parent that died between the fork and
    this call has already handed the worker to another process, so it leaves now.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def build_pages(jobs: list[PageJob], workers: int, progress: bool) -> list[Fragment]:
    """Run every job, across ``workers`` processes when there are enough to pay for them."""
    # Markdown parsing makes many short-lived objects, and the cycle collector's default
    # rhythm (every 700 allocations) costs about a tenth of the time; switched off, the few
    # cycles each page leaves (some 150 objects) piled up in every worker: 45 MB more per
    # 1,000 pages, over 500 MB for one process at 10,000. A collection of the young every
    # 20,000 allocations keeps the heap as small as the default does.
    threshold = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, *threshold[1:])
    try:
        if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
            # Imported here: 25 ms of imports that a run rendering a page or two does not need.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # fork: workers inherit the imported libraries (and the collector's threshold)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
            ) as pool:
                chunk = max(1, len(jobs) // (workers * 8))
                return list(_with_progress(pool.map(build_page, jobs, chunksize=chunk), len(jobs), progress))
        return list(_with_progress(map(build_page, jobs), len(jobs), progress))
    finally:
        gc.set_threshold(*threshold)


def _with_progress(results: Iterable[Fragment], total: int, progress: bool) -> Iterator[Fragment]:
    show = progress and total >= PROGRESS_THRESHOLD
    for done, result in enumerate(results, 1):
        if show and (done % 25 == 0 or done == total):
            print(f"\rrendermd: {done}/{total} pages", end="", file=sys.stderr, flush=True)
        yield result
    if show:
        print(file=sys.stderr)
