"""python -m server [--host H] [--port P] [--zip FILE] [--workers N|auto] [--drain S] [limits...]; see --help."""

import resource
import signal
import socket
import sys
from collections.abc import Callable

from server.app import EblogApp, app_from, default_zip
from server.assets import SiteError
from server.draining import exit_cleanly
from server.settings import Settings, SettingsError, load
from server.supervisor import Supervisor, bind

NO_SITE = (
    "no site to serve: {zip} does not exist; build it with ./scripts/serve (rendermd, buildindex, "
    "then prezip -o server/assets.zip), or give --zip FILE"
)


def allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files so the connection cap, not EMFILE, is what refuses clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load(sys.argv[1:] if argv is None else argv)
    except SettingsError as error:
        print(f"eblog-server: error: {error}", file=sys.stderr)
        return 2
    return start(settings)


def start(settings: Settings) -> int:
    """Serve with ``settings``: one process, or a supervisor and its workers; the exit status."""
    if settings.verbosity > 0:  # every value in force, whichever flag, variable or default it came from
        print(f"eblog-server: {settings}", file=sys.stderr, flush=True)
    if settings.zip is None and not default_zip().is_file():
        print(f"eblog-server: error: {NO_SITE.format(zip=default_zip())}", file=sys.stderr)
        return 1
    if settings.workers > 1:
        return Supervisor(settings, load_and_serve).run()
    try:  # bound here, so a port in use is one line and status 1, not uvicorn's log and its status 3
        sock = bind(settings.host, settings.port, reuse_port=False)
    except OSError as error:
        message = (error.strerror or str(error)).lower()
        print(f"eblog-server: error: {settings.host}:{settings.port}: {message}", file=sys.stderr)
        return 1
    with sock:
        return load_and_serve(settings, [sock])


def load_and_serve(
    settings: Settings,
    sockets: list[socket.socket] | None = None,
    on_started: Callable[[], None] | None = None,
    lifeline: int | None = None,
) -> int:
    """One server process: the whole server, or one worker of server/supervisor.py."""
    try:
        app = app_from(settings)
    except SiteError as error:
        print(f"eblog-server: error: {error}", file=sys.stderr)
        return 1
    return serve(app, settings, sockets, on_started, lifeline)


def serve(
    app: EblogApp,
    settings: Settings,
    sockets: list[socket.socket] | None = None,
    on_started: Callable[[], None] | None = None,
    lifeline: int | None = None,
) -> int:
    import uvicorn

    from server.draining import DrainingServer
    from server.protocol import EblogProtocol

    allow_open_files(settings.limits.max_connections + 64)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=EblogProtocol,
        ws="none",  # a static site takes no WebSockets: no WebSocket library is loaded, whatever is installed
        loop="uvloop",
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=False,  # the connection answers from the table; X-Forwarded-* are not read
        timeout_graceful_shutdown=settings.shutdown_timeout,  # type: ignore[arg-type]  # typed int, used as seconds
        log_level="warning" if settings.verbosity < 0 else "info",
    )
    server = DrainingServer(config, app, settings.drain, on_started, lifeline)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal
    # with the handler it found; this one turns that into exit status 0.
    signal.signal(signal.SIGTERM, exit_cleanly)
    signal.signal(signal.SIGINT, exit_cleanly)
    server.run(sockets=sockets)
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
