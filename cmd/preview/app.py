"""The server's own app, plus the three addresses only the preview answers (under /__preview/).

Every other request is answered by ``EblogApp`` from the swapped-in ``Site``, through the
server's own connection (``EblogProtocol``): the same URLs, headers, redirects and 404 page
as production.  The event stream is Server-Sent Events, one event per response: the
connection answers an app's request once it has the whole body, so a response is held
until there is news for that page (or ``HOLD`` seconds pass), and the browser's
EventSource reconnects by itself after ``retry`` milliseconds, sending the id of the
last problems it was shown.

News for a page: its address now serves another version than the one it shows (reload;
to the new address, if its article was renamed), or the build's problems are not the ones
it shows (the overlay).
"""

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from cmd.preview import inject
from server.app import EblogApp
from server.site import Site

CLIENT = Path(__file__).parent / "client"
EVENTS = f"{inject.PREFIX}events"
HOLD = 20.0  # seconds an event request is held without news; then it is answered empty, and renewed
RETRY_MS = 300
REDIRECTS = frozenset({301, 302, 307, 308})


def problems_id(problems: tuple[str, ...]) -> str:
    """What the browser sends back (Last-Event-ID) to say which problems it shows: "" for none."""
    if not problems:
        return ""
    return hashlib.blake2b("\n".join(problems).encode(), digest_size=8).hexdigest()


class News:
    """What pages are told: the build's problems, renamed articles, and a wake-up for each change."""

    def __init__(self) -> None:
        self.problems: tuple[str, ...] = ()
        self.moved: dict[str, str] = {}  # old address -> new one, for pages open at the old one
        self.changed = asyncio.Event()
        self.closing = False

    def publish(self, problems: tuple[str, ...] | None = None, moved: dict[str, str] | None = None) -> None:
        """After a build (in the event loop): wake every held request to look again."""
        if problems is not None:
            self.problems = problems
        if moved:
            self.moved.update(moved)
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()

    def close(self) -> None:
        self.closing = True
        self.publish()


def version_at(site: Site, path: str) -> str:
    """The version a page at ``path`` would show now: the page's, the 404 page's, or where it redirects."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "headers": []}
    status, headers, body, _ = site.answer(scope)
    if status in REDIRECTS:
        return "redirect " + dict(headers).get(b"location", b"").decode("ascii", "replace")
    return inject.version_in(body)


def event(kind: str, data: object, last: str) -> bytes:
    return f"retry: {RETRY_MS}\nid: {last}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()


class PreviewApp(EblogApp):
    """EblogApp with the preview's script, stylesheet and event stream (see the module docstring)."""

    def __init__(self, site: Site, summary: str, news: News):
        super().__init__(site, summary, None)
        self.news = news
        self.client_files = {
            inject.SCRIPT: (b"text/javascript; charset=utf-8", (CLIENT / "reload.js").read_bytes()),
            inject.STYLESHEET: (b"text/css; charset=utf-8", (CLIENT / "preview.css").read_bytes()),
        }

    def answer(self, scope: Scope) -> tuple[int, tuple[tuple[bytes, bytes], ...], bytes, str] | None:
        if scope["path"].startswith(inject.PREFIX):
            return None  # answered in __call__, as an app request
        return super().answer(scope)

    # Not mutated (bench/mutation.py): mutmut's wrapper makes app() return a coroutine, so uvicorn
    # takes the app for a factory and the servers the tests start fail.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no mutate block
        if scope["type"] != "http" or not scope["path"].startswith(inject.PREFIX):
            await super().__call__(scope, receive, send)
            return
        path = scope["path"]
        if path == EVENTS:
            body = await self.next_event(scope)
            await self.reply(send, 200, b"text/event-stream", body)
        elif path in self.client_files:
            content_type, body = self.client_files[path]
            await self.reply(send, 200, content_type, body)
        else:
            await self.reply(send, 404, b"text/plain; charset=utf-8", b"Not Found\n")

    async def reply(self, send: Send, status: int, content_type: bytes, body: bytes) -> None:
        headers = [(b"content-type", content_type), (b"cache-control", b"no-store"), *self.site.common]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def next_event(self, scope: Scope) -> bytes:
        """Hold the request until there is news for its page, then answer it as one event."""
        query = parse_qs(scope.get("query_string", b"").decode("ascii", "replace"))
        path = unquote(query.get("path", ["/"])[0])  # the browser's location.pathname is percent-encoded
        shown_version = query.get("version", [""])[0]
        shown = dict(scope["headers"]).get(b"last-event-id", b"").decode("ascii", "replace")
        deadline = time.monotonic() + HOLD
        while not self.news.closing:
            news = self.news_for(path, shown_version, shown)
            if news is not None:
                return news
            woken = self.news.changed
            try:
                await asyncio.wait_for(woken.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return f"retry: {RETRY_MS}\n: nothing new\n\n".encode()

    def news_for(self, path: str, shown_version: str, shown: str) -> bytes | None:
        current = problems_id(self.news.problems)
        if version_at(self.site, path) != shown_version:
            return event("reload", {"location": self.news.moved.get(path)}, shown)
        if current != shown:
            return event("problems", {"lines": list(self.news.problems)}, current)
        return None

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        print(self.summary, flush=True)
        try:
            yield
        finally:
            self.news.close()  # held event requests answer at once, so the server stops at once
