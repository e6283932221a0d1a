"""The ASGI app: a Starlette application whose hot path skips Starlette.

A site request needs a dict lookup and a few prebuilt headers.  Sending it
through Starlette's middleware, router and Request/Response objects would
cost several times the work of the answer itself, so ``EblogApp.__call__``
answers every HTTP request except the probes straight from the table, and
hands the rest (the probes, lifespan, errors) to the Starlette machinery.

The probes: ``/healthz`` is readiness (200, or 503 once the server drains
before a stop, so load balancers send no new requests), ``/livez`` is
liveness (200 as long as the process answers, draining or not: restarting
a draining server would cut its requests short).

Run under plain uvicorn with the same app and connection handling
(configuration from the environment, see server/settings.py)::

    uvicorn --factory server.app:uvicorn_factory --host 0.0.0.0 --port 8080 \\
        --http server.protocol:EblogProtocol --loop uvloop --no-access-log
"""

import gc
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

import server
from server.accesslog import AccessLog, Style, style_of
from server.assets import SiteError, load_zip
from server.settings import GIB, Limits, Settings, SettingsError
from server.settings import load as load_settings
from server.site import Answer, Site

HEALTHZ = "/healthz"  # readiness
LIVEZ = "/livez"  # liveness
PROBES = frozenset({HEALTHZ, LIVEZ})  # the paths Starlette answers
COMMIT_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-")


def default_zip() -> Traversable:
    """server/assets.zip inside the installed package, where the Docker image puts it."""
    return files("server") / "assets.zip"


def read_commit() -> str:
    """The build commit from server/commit.txt (written by the Docker build), else "unknown"."""
    try:
        text = (files("server") / "commit.txt").read_bytes().decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    # It goes into a header on every response: keep it short and plain.
    return text[:64] if text and set(text[:64]) <= COMMIT_CHARS else "unknown"


class EblogApp(Starlette):
    """Starlette, with the site served ahead of its middleware stack (see the module docstring)."""

    def __init__(
        self,
        site: Site,
        summary: str,
        access_log: AccessLog | None,
        limits: Limits | None = None,
        log: AccessLog | None = None,
    ):
        self.site = site
        self.summary = summary
        self.access_log = access_log  # None: no line per request
        self.log = log or access_log or AccessLog()  # the start-up line and errors, whether requests are logged or not
        self.limits = limits or Limits()
        self.draining = False  # set by server/draining.py on SIGTERM: readiness fails, connections close
        super().__init__(
            routes=[
                Route(HEALTHZ, self.healthz, methods=["GET", "HEAD"]),
                Route(LIVEZ, self.livez, methods=["GET", "HEAD"]),
            ],
            exception_handlers={405: method_not_allowed},
            lifespan=self.lifespan,
        )

    def replace_site(self, site: Site) -> None:
        """Serve ``site`` from the next request on (the preview swaps in each rebuild).

        A connection keeps the site it started with only to encode header sets it does not
        know (server/protocol.py); the answers themselves come from the new one.
        """
        self.site = site

    def answer(self, scope: Scope) -> Answer | None:
        """The site's answer from the table, or None for what Starlette answers (the probes)."""
        return None if scope["path"] in PROBES else self.site.answer(scope)

    # Not mutated (bench/mutation.py): mutmut's wrapper makes app() return a coroutine, so uvicorn
    # takes the app for a factory and the servers the tests start fail.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no mutate block
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["path"] in PROBES:  # self.answer, inlined: this is the hot path
            await self.through_starlette(scope, receive, send)
            return
        started = time.perf_counter()
        status, headers, body, encoding = self.site.answer(scope)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.access_log is not None:
            self.access_log.record(scope, status, len(body), encoding, started)

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
        """Readiness: should a load balancer send this server new requests?"""
        if self.draining:
            return self.probe("draining", 503)
        return self.probe("ok", 200)

    async def livez(self, request: Request) -> Response:
        """Liveness: is the process still answering at all?"""
        return self.probe("alive", 200)

    def probe(self, status: str, code: int) -> Response:
        return JSONResponse({"status": status, "commit": self.site.commit}, code, headers={"cache-control": "no-store"})

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        boot_ms = (time.perf_counter() - server.BOOT_STARTED) * 1000  # a forked worker resets it
        # Everything built so far lives as long as the process: keep the cyclic GC from walking it
        # again on every full collection, which would show up as latency spikes under load.
        gc.freeze()
        self.log.message(f"{self.summary}, boot {boot_ms:.0f} ms")
        try:
            yield
        finally:
            self.log.flush()


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """Starlette's own 405 lists Allow from a set, in no fixed order; this one is stable."""
    return PlainTextResponse("Method Not Allowed\n", 405, headers={"allow": "GET, HEAD", "cache-control": "no-store"})


def create_app(
    zip_path: Path | Traversable | None = None,
    access_log: bool = True,
    *,
    log_style: Style = "combined",
    limits: Limits | None = None,
    max_site_bytes: int = GIB,
    cdn_max_age: int = Settings.cdn_max_age,
    base_path: str = Settings.base_path,
) -> EblogApp:
    """Load the zip (default: server/assets.zip in the package) and build the app; SiteError if it can't be served."""
    if zip_path is None:
        zip_path = default_zip()
    assets, zip_size = load_zip(zip_path, max_site_bytes)
    commit = read_commit()
    try:
        site = Site(assets, commit, cdn_max_age=cdn_max_age, base_path=base_path)
    except SiteError as error:
        raise SiteError(f"{zip_path}: {error}") from None
    summary = f"eblog: serving {len(assets)} assets from {zip_path} ({zip_size} bytes), commit {commit}"
    if base_path:
        summary += f", under {base_path}/"
    log = AccessLog(style=log_style)
    return EblogApp(site, summary, log if access_log else None, limits, log)


def app_from(settings: Settings) -> EblogApp:
    return create_app(
        settings.zip,
        settings.access_log != "off",
        log_style=style_of(settings.access_log),
        limits=settings.limits,
        max_site_bytes=settings.max_site_bytes,
        cdn_max_age=settings.cdn_max_age,
        base_path=settings.base_path,
    )


def uvicorn_factory() -> EblogApp:
    """The app for ``uvicorn --factory``, configured by the environment (see server/settings.py).

    A bad setting or zip ends the process with one line, not a traceback.
    """
    try:
        return app_from(load_settings())
    except (SettingsError, SiteError) as error:
        raise SystemExit(f"eblog-server: error: {error}") from None
