"""The writer's loop: changes in, one build at a time, the new site swapped in, pages told.

Coalescing: builds run one at a time, in a worker thread (the server keeps answering); what
changes meanwhile waits, and is taken as one batch by the next build.  A batch that only
touches the text of a few articles is built at once, the ``pages`` way; anything else (a new,
deleted or renamed file, front matter, settings, static files, the theme) waits until the
changes stop for ``SETTLE`` seconds and git holds no lock, then is one ``site`` build.  After
a ``pages`` build, a ``site`` build follows once the writer pauses for ``CATCH_UP`` seconds:
lists, feeds and the cache catch up with the page already shown.
"""

import asyncio
import datetime as dt
import time
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

from cmd.preview import watch
from cmd.preview.app import News, PreviewApp
from cmd.preview.builder import Builder, Outcome
from cmd.preview.served import Served, marks
from cmd.rendermd.build import Rendered

SETTLE = 0.1
WATCH_STARTS = 0.05  # seconds for the watcher to put its watches in place
CATCH_UP = 0.2
LONGEST_LOCK = 30.0  # a git lock left behind by a crash must not stop the preview for ever


def say(line: str) -> None:
    print(f"preview: {line}", flush=True)


def moved_pages(before: Rendered | None, after: Rendered | None) -> dict[str, str]:
    """Old address -> new one, for articles whose file moved with its bytes unchanged (a rename)."""
    if before is None or after is None:
        return {}
    new_urls = {page.url for page in after.published}
    old_urls = {page.url for page in before.published}
    arrived = {page.source.digest: page.url for page in after.published if page.url not in old_urls}
    return {
        page.url: arrived[page.source.digest]
        for page in before.published
        if page.url not in new_urls and page.source.digest in arrived
    }


class Loop:
    """Runs builds as changes come (see the module docstring) and reports each in one line."""

    def __init__(self, builder: Builder, served: Served, news: News, articles: Path, *, quiet: bool = False):
        self.builder = builder
        self.quiet = quiet  # -q: errors and warnings only, no line for a build that went well
        self.served = served
        self.app: PreviewApp | None = None  # set by ``run``: the first build comes before the app
        self.news = news
        self.lock = watch.git_lock(articles)
        self.queue: asyncio.Queue[set[Path]] = asyncio.Queue()
        self.warned: set[str] = set()
        self.builds = 0

    def first(self) -> None:
        """The first build, before the server starts (so rendermd may fork its workers freely)."""
        outcome = self.builder.site()
        self.report(outcome)
        if outcome.problems:
            self.served.waiting()
            self.news.problems = outcome.problems
        else:
            self.served.update(None, self.page_marks())

    def page_marks(self) -> dict[str, str]:
        known = self.builder.known
        return marks(known.state if known else None, dt.datetime.now(dt.UTC))

    async def run(self, batches: AsyncIterator[set[Path]], app: PreviewApp) -> None:
        self.app = app
        pump = asyncio.create_task(self.pump(batches))
        try:
            # A save between the first build and the moment the watcher is in place would go
            # unseen: once it is (the pump has started it), one incremental build looks at the disk,
            # after any git operation under way, and says nothing if it found nothing new.
            await asyncio.sleep(WATCH_STARTS)
            if self.locked():
                await self.settle()
            await self.build_site(False, quiet=True)
            catching_up = False
            while True:
                try:
                    paths = await asyncio.wait_for(self.queue.get(), CATCH_UP if catching_up else None)
                except TimeoutError:
                    await self.build_site(False)
                    catching_up = False
                    continue
                paths |= self.drain()
                catching_up = await self.build(paths)
        finally:
            pump.cancel()

    async def build(self, paths: set[Path]) -> bool:
        """One build for ``paths``; True when it was a ``pages`` build (a catch-up build is due).

        A failure that is not bad input (a bug) is reported with its traceback, and the
        preview goes on serving the last good site: the next save tries again.
        """
        try:
            if self.fast(paths) and await self.build_pages(paths):
                return True
            paths |= await self.settle()
            await self.build_site(any(watch.is_theme_file(path) for path in paths))
        except Exception:  # the writer's session must outlive a bug in one build
            traceback.print_exc()
            say("error: the build failed (a bug, see above); the last good site is served")
        return False

    async def pump(self, batches: AsyncIterator[set[Path]]) -> None:
        async for batch in batches:
            self.queue.put_nowait(batch)

    def drain(self) -> set[Path]:
        found: set[Path] = set()
        while not self.queue.empty():
            found |= self.queue.get_nowait()
        return found

    def locked(self) -> bool:
        return self.lock is not None and self.lock.exists()

    def fast(self, paths: set[Path]) -> bool:
        """Only the text of known articles changed, and no git operation is under way."""
        return not self.locked() and self.builder.can_render_pages(paths)

    async def settle(self) -> set[Path]:
        """Wait until changes stop for SETTLE seconds with no git lock; return what came meanwhile."""
        found: set[Path] = set()
        started = time.monotonic()
        while True:
            try:
                found |= await asyncio.wait_for(self.queue.get(), SETTLE)
            except TimeoutError:
                if not self.locked() or time.monotonic() - started > LONGEST_LOCK:
                    return found

    async def build_pages(self, paths: set[Path]) -> bool:
        outcome = await asyncio.to_thread(self.builder.pages, sorted(paths))
        if outcome is None:
            return False
        await asyncio.to_thread(self.served.update, outcome.written, self.page_marks())
        self.swap()
        self.report(outcome)
        return True

    async def build_site(self, theme_changed: bool, *, quiet: bool = False) -> None:
        """An incremental build of the whole site; ``quiet``: no word about it unless something changed."""
        before = self.builder.known.state if self.builder.known else None
        outcome = await asyncio.to_thread(self.builder.site, theme_changed)
        changed: set[str] = set()
        if not outcome.problems:
            after = self.builder.known.state if self.builder.known else None
            changed = await asyncio.to_thread(self.served.update, None, self.page_marks())
            self.news.moved.update(moved_pages(before, after))
            self.swap()
        if outcome.problems or changed or self.news.problems:
            self.report(outcome)  # a fix back to the last good text changes nothing served, yet clears the overlay
        elif not quiet:
            # Events with nothing new behind them (a save of the same text, the tail of a git
            # operation that came after its build): said, but no build and no reload.
            self.tell(f"nothing changed ({outcome.seconds * 1000:.0f} ms)")

    def tell(self, line: str) -> None:
        """A line about a build that went well: said unless -q."""
        if not self.quiet:
            say(line)

    def swap(self) -> None:
        assert self.served.site is not None and self.app is not None
        self.app.replace_site(self.served.site)

    def report(self, outcome: Outcome) -> None:
        """One line for the build, one per problem (as the overlay shows it), one per new warning."""
        self.builds += 1
        milliseconds = outcome.seconds * 1000
        if outcome.problems:
            for line in outcome.problems:
                say(f"error: {line}")
            count = len(outcome.problems)
            say(f"the site was not rebuilt ({count} problem{'s' if count > 1 else ''}); the last good one is served")
        elif outcome.kind == "pages":
            self.tell(f"rebuilt {', '.join(outcome.written)} in {milliseconds:.0f} ms")
        else:
            self.tell(f"rebuilt the site in {milliseconds:.0f} ms ({outcome.rendered} pages rendered)")
            if self.news.problems:
                self.tell("the problems are fixed")
        for warning in outcome.warnings:
            if warning not in self.warned:
                say(warning)
        self.warned |= set(outcome.warnings)
        if outcome.problems or outcome.kind == "site":
            self.news.publish(outcome.problems)
        else:
            self.news.publish()
