"""eblog serve [ARTICLES] [--drafts] [server flags]: build, then serve as production does.

The same as ./scripts/serve: rendermd (with ``--drafts`` if given), buildindex, prezip, then
the server on the zip; every other flag is the server's (``python -m server --help``).  Given
``--zip FILE`` (or EBLOG_ZIP), it serves that zip as it is and builds nothing, which is all a
server-only install can do.
"""

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from server import __main__ as server
from server import settings as server_settings


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eblog serve",
        description="Build ARTICLES into OUT and OUT.zip, then serve the zip from memory, as production does.",
        parents=[server_settings.parser()],
        add_help=False,  # the server's parser brings -h
    )
    parser.add_argument("articles", type=Path, nargs="?", default=Path("articles"), metavar="ARTICLES",
                        help="the articles (default: articles)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("out"), help="the built site (default: out)")
    parser.add_argument("--drafts", action="store_true", help="render drafts too")
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = server_settings.from_flags(args, os.environ)
    except server_settings.SettingsError as error:
        print(f"eblog serve: error: {error}", file=sys.stderr)
        return 2
    if settings.zip is None:
        from eblog import build

        built = build.zip_beside(args.out)
        flags = ["--drafts"] if args.drafts else []
        status = build.main([*flags, *(["-q"] if settings.verbosity < 0 else []), str(args.articles), str(args.out)])
        if status != 0:
            return status
        settings = dataclasses.replace(settings, zip=built)
    return server.start(settings)
