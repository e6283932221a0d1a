"""python -m cmd.preview ARTICLES [--port 8000] [--host 127.0.0.1] [--no-drafts]

Serves ARTICLES as the site it builds into, live: each save is built in this process and
open pages reload by themselves (see README, "Writing with the live preview").
"""

import argparse
import asyncio
import ipaddress
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import uvicorn
import uvloop

from cmd.preview import watch
from cmd.preview.app import News, PreviewApp
from cmd.preview.builder import Builder
from cmd.preview.loop import Loop, say
from cmd.preview.served import Served
from cmd.rendermd import conventions
from cmd.shared import config as site_config
from cmd.shared.cli import QUIET, common_flags
from cmd.shared.errors import InputError
from server.protocol import EblogProtocol


def parse(argv: list[str] | None, prog: str = "python -m cmd.preview") -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve the site built from ARTICLES, rebuilt on every save, with open pages reloaded.",
        parents=[common_flags("preview")],
    )
    parser.add_argument("articles", type=Path, metavar="ARTICLES")
    parser.add_argument("--port", type=int, default=8000, help="default: 8000")
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine only)")
    parser.add_argument("--no-drafts", action="store_true", help="leave drafts out, as a published build does")
    args = parser.parse_args(argv)
    if not args.articles.is_dir():
        parser.error(f"{args.articles}: not a directory")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: not a port number")
    return args


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened here so a busy port is one line, not uvicorn's traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(f"preview: error: cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(128)
    return sock


def watched(articles: Path) -> list[Path]:
    """ARTICLES, the engine's site folder around it (settings, static/), and the theme."""
    roots = [articles, *watch.theme_files()]
    try:
        convention = conventions.detect(articles, site_config.load(articles).convention or None)
    except InputError:
        return roots  # bad settings: the build says so, and a fix is a change under ARTICLES
    if convention.site_root is not None:
        roots.append(convention.site_root)
    return roots + [folder for folder, _ in convention.static_roots()]


LOG_LEVELS = {-1: "error", 0: "warning", 1: "info"}  # uvicorn's, by -q, nothing, -v


async def serve(loop: Loop, app: PreviewApp, sock: socket.socket, articles: Path, verbosity: int) -> None:
    config = uvicorn.Config(
        app,
        http=EblogProtocol,  # the production connection: same parsing, limits and answers
        ws="none",
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=1,
        log_level=LOG_LEVELS[verbosity],
    )
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    rebuilding = asyncio.create_task(loop.run(watch.changes(watched(articles), stop), app))
    try:
        await server.serve(sockets=[sock])
    finally:
        stop.set()
        rebuilding.cancel()


def main(argv: list[str] | None = None, prog: str = "python -m cmd.preview") -> int:
    """``prog``: the name --help and usage errors give (``eblog preview`` runs this too)."""
    args = parse(argv, prog)
    host = args.host
    if not is_loopback(host):
        say(f"warning: --host {host} lets other machines reach the preview, drafts included; 127.0.0.1 keeps it here")
    sock = listen(host, args.port)
    out = Path(tempfile.mkdtemp(prefix="eblog-preview-"))
    try:
        news = News()
        served = Served(out)
        builder = Builder(args.articles, out, drafts=not args.no_drafts)
        shown = f"[{host}]" if ":" in host else host
        drafts = "drafts left out" if args.no_drafts else "drafts shown"
        summary = f"preview: http://{shown}:{sock.getsockname()[1]}/ serving {args.articles} ({drafts}); Ctrl-C stops"
        loop = Loop(builder, served, news, args.articles, quiet=args.verbosity <= QUIET)
        loop.first()
        assert served.site is not None
        app = PreviewApp(served.site, summary, news)
        uvloop.run(serve(loop, app, sock, args.articles, args.verbosity))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
