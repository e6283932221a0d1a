"""The expensive half of rendermd: Markdown to HTML and HTML into the page template.

Kept apart from build.py, which imports this module only when some page is
stale: a warm run with nothing to do never pays to import markdown-it,
Pygments and Jinja2.  Each job renders and writes one page; with enough
jobs they run in worker processes, so every core shares the Markdown, the
templating and the writes.
"""

import dataclasses
import gc
import hashlib
import multiprocessing
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cmd.rendermd import highlight, markdown
from cmd.rendermd.build import article_entry
from cmd.rendermd.frontmatter import Meta
from cmd.shared.files import write_text_atomic
from cmd.shared.layout import fragment_path
from cmd.shared.theme import environment, stylesheet

PARALLEL_THRESHOLD = 32  # below this, starting worker processes costs more than it saves
PROGRESS_THRESHOLD = 200


@dataclass(frozen=True)
class PageJob:
    out_dir: Path
    meta: Meta
    context: dict  # site settings, stylesheet, neighbours and series
    markdown: str | None  # None when the body fragment on disk is current
    fragment: dict | None  # what the last render learnt of the body, when markdown is None


def site_stylesheet() -> tuple[str, bytes]:
    """The hashed stylesheet path and bytes: the hand-written CSS plus Pygments' classes."""
    return stylesheet(highlight.stylesheet())


@cache
def _parser():
    return markdown.make_parser()


def build_page(job: PageJob) -> dict:
    """Render (if stale) the body, then the page; write both; return the body's facts."""
    fragment_file = job.out_dir / fragment_path(job.meta.slug)
    if job.markdown is None:
        assert job.fragment is not None
        fragment, body = job.fragment, fragment_file.read_text(encoding="utf-8")
    else:
        rendered = markdown.render(_parser(), job.markdown)
        body = rendered.html
        fragment = {
            "toc": [dataclasses.asdict(heading) for heading in rendered.toc],
            "reading_minutes": rendered.reading_minutes,
            "excerpt": rendered.excerpt,
            "html_digest": hashlib.sha256(body.encode()).hexdigest(),
        }
        write_text_atomic(fragment_file, body)
    entry = article_entry(job.meta, fragment)
    html = (
        environment()
        .get_template("article.html")
        .render(
            article=entry,
            path=entry["url"],
            toc=fragment["toc"] if job.meta.toc else [],
            body=body,
            **job.context,
        )
    )
    write_text_atomic(job.out_dir / f"{job.meta.slug}.html", html)
    return fragment


def build_pages(jobs: list[PageJob], workers: int, progress: bool) -> list[dict]:
    """Run every job, across ``workers`` processes when there are enough to pay for them."""
    # Markdown parsing makes many short-lived objects and no reference cycles worth
    # collecting; pausing the cycle collector saves about a tenth of the time.
    gc.disable()
    try:
        if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
            # fork: workers inherit the imported libraries (and the paused collector)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                chunk = max(1, len(jobs) // (workers * 8))
                return list(_with_progress(pool.map(build_page, jobs, chunksize=chunk), len(jobs), progress))
        return list(_with_progress(map(build_page, jobs), len(jobs), progress))
    finally:
        gc.enable()


def _with_progress(results: Iterable[dict], total: int, progress: bool) -> Iterator[dict]:
    show = progress and total >= PROGRESS_THRESHOLD
    for done, result in enumerate(results, 1):
        if show and (done % 25 == 0 or done == total):
            print(f"\rrendermd: {done}/{total} pages", end="", file=sys.stderr, flush=True)
        yield result
    if show:
        print(file=sys.stderr)
