"""python -m server [--host H] [--port P] [--zip FILE] [--no-access-log]"""

import argparse
import os
import signal
import sys
from pathlib import Path

from server.app import ACCESS_LOG_ENV, ZIP_ENV, create_app
from server.assets import SiteError


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve the zipped eblog site from memory (Starlette on uvicorn, httptools, uvloop).",
        epilog="SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0. "
        "The same app under plain uvicorn: see the docstring of server/app.py.",
    )
    # All interfaces: in a container, the port is only reachable from outside that way.
    parser.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(  # argparse runs `type` on a string default too, so a bad $PORT is a usage error
        "--port",
        type=port_number,
        default=os.environ.get("PORT") or "8080",
        help="port to listen on (default: $PORT, else 8080)",
    )
    parser.add_argument(
        "--zip",
        type=Path,
        metavar="FILE",
        help=f"the site's zip from prezip (default: ${ZIP_ENV}, else server/assets.zip in the package)",
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        default=None,
        help=f"don't write a line per request on stdout (also {ACCESS_LOG_ENV}=off)",
    )
    return parser.parse_args(argv)


def exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        app = create_app(args.zip, args.access_log)
    except SiteError as error:
        print(f"eblog-server: error: {error}", file=sys.stderr)
        return 1

    import uvicorn  # after the zip is known to be good: a bad zip fails fast

    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        http="httptools",
        loop="uvloop",
        lifespan="on",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal
    # with the handler it found; this one turns that into exit status 0.
    signal.signal(signal.SIGTERM, exit_cleanly)
    signal.signal(signal.SIGINT, exit_cleanly)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
