"""The ASGI app: a Starlette application whose hot path skips Starlette.

A site request needs a dict lookup and a few prebuilt headers.  Sending it
through Starlette's middleware, router and Request/Response objects would
cost several times the work of the answer itself, so ``EblogApp.__call__``
answers every HTTP request except ``/healthz`` straight from the table, and
hands the rest (``/healthz``, lifespan, errors) to the Starlette machinery.

Run under plain uvicorn with the same app (configuration from the
environment, see ``create_app``)::

    uvicorn --factory server.app:uvicorn_factory --host 0.0.0.0 --port 8080 \\
        --http httptools --loop uvloop --no-access-log --no-server-header
"""

import gc
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from server import BOOT_STARTED
from server.accesslog import AccessLog
from server.assets import SiteError, load_zip
from server.site import Site

ZIP_ENV = "EBLOG_ZIP"
ACCESS_LOG_ENV = "EBLOG_ACCESS_LOG"
COMMIT_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-")


def default_zip() -> Traversable:
    """server/assets.zip inside the installed package, where the Docker image puts it."""
    return files("server") / "assets.zip"


def read_commit() -> str:
    """The build commit from server/commit.txt (written by the Docker build), else "unknown"."""
    try:
        text = (files("server") / "commit.txt").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "unknown"
    # It goes into a header on every response: keep it short and plain.
    return text[:64] if text and set(text[:64]) <= COMMIT_CHARS else "unknown"


class EblogApp(Starlette):
    """Starlette, with the site served ahead of its middleware stack (see the module docstring)."""

    def __init__(self, site: Site, summary: str, access_log: AccessLog | None):
        self.site = site
        self.summary = summary
        self.access_log = access_log
        super().__init__(
            routes=[Route("/healthz", self.healthz, methods=["GET", "HEAD"])],
            exception_handlers={405: method_not_allowed},
            lifespan=self.lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
        elif scope["path"] != "/healthz":
            started = time.perf_counter()
            status, headers, body, encoding = self.site.answer(scope)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            if self.access_log is not None:
                self.access_log.record(scope, status, len(body), encoding, started)
        else:
            await self.through_starlette(scope, receive, send)

    async def through_starlette(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run Starlette, adding the common headers to whatever it answers (500s included)."""
        started = time.perf_counter()
        status = 500
        size = 0

        async def send_wrapped(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *self.site.common]}
            elif message["type"] == "http.response.body" and scope["method"] != "HEAD":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await super().__call__(scope, receive, send_wrapped)
        finally:
            if self.access_log is not None:
                self.access_log.record(scope, status, size, "identity", started)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "commit": self.site.commit}, headers={"cache-control": "no-store"})

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        boot_ms = (time.perf_counter() - BOOT_STARTED) * 1000
        # Everything built so far lives as long as the process: keep the cyclic GC from walking it
        # again on every full collection, which would show up as latency spikes under load.
        gc.freeze()
        print(f"{self.summary}, boot {boot_ms:.0f} ms", flush=True)
        try:
            yield
        finally:
            if self.access_log is not None:
                self.access_log.flush()


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """Starlette's own 405 lists Allow from a set, in no fixed order; this one is stable."""
    return PlainTextResponse("Method Not Allowed\n", 405, headers={"allow": "GET, HEAD", "cache-control": "no-store"})


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("0", "off", "false", "no"):
        return False
    if value in ("1", "on", "true", "yes"):
        return True
    return default


def create_app(zip_path: Path | Traversable | None = None, access_log: bool | None = None) -> EblogApp:
    """Load the zip and build the app; arguments left out come from the environment.

    ``EBLOG_ZIP`` names the zip (default: server/assets.zip in the package) and
    ``EBLOG_ACCESS_LOG=off`` turns the access log off.  Raises SiteError when
    the zip can't be served.
    """
    if zip_path is None:
        zip_path = Path(os.environ[ZIP_ENV]) if os.environ.get(ZIP_ENV) else default_zip()
    if access_log is None:
        access_log = env_flag(ACCESS_LOG_ENV, True)
    assets, zip_size = load_zip(zip_path)
    commit = read_commit()
    try:
        site = Site(assets, commit)
    except SiteError as error:
        raise SiteError(f"{zip_path}: {error}") from None
    summary = f"eblog: serving {len(assets)} assets from {zip_path} ({zip_size} bytes), commit {commit}"
    return EblogApp(site, summary, AccessLog() if access_log else None)


def uvicorn_factory() -> EblogApp:
    """``create_app`` for ``uvicorn --factory``: a bad zip ends the process with one line, not a traceback."""
    try:
        return create_app()
    except SiteError as error:
        raise SystemExit(f"eblog-server: error: {error}") from None
