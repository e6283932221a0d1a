"""python -m cmd.buildindex OUT_DIR"""

import argparse
import os
import sys
from pathlib import Path

from cmd.buildindex import stamp
from cmd.shared.cli import QUIET, common_flags
from cmd.shared.errors import InputError, os_failure, report
from cmd.shared.layout import DEFAULT_BASE_URL  # not from config: tomllib and dataclasses are not needed to skip
from cmd.shared.uptodate import skipped


def options() -> argparse.ArgumentParser:
    """buildindex's own flags, as a parent parser (``eblog build`` takes them too)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--base-url",
        default=os.environ.get("EBLOG_BASE_URL") or None,  # set but empty (a bare Docker ENV) means unset
        help="absolute URL the site is served from, for feeds and sitemap "
        f"(env EBLOG_BASE_URL; else site.toml's base_url; else {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--feed-size",
        type=int,
        # A string default goes through type=int too, so a bad EBLOG_FEED_SIZE is a usage error.
        default=os.environ.get("EBLOG_FEED_SIZE") or None,
        help="entries per feed (env EBLOG_FEED_SIZE; else site.toml's feed_size; else 20)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cmd.buildindex",
        description="Write the home page, tag pages, 404 page, RSS/Atom/JSON feeds and sitemap.",
        parents=[options(), common_flags("buildindex")],
    )
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="the directory rendermd wrote")
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Index the site rendermd wrote in ``args.out``; the exit status."""
    if skipped(
        args.out, stamp.TOOL, stamp.asked(args.out, args.base_url, args.feed_size), quiet=args.verbosity <= QUIET
    ):
        return 0
    from cmd.buildindex.index import build_index  # only now: a run with nothing to do never imports Jinja2

    try:
        summary = build_index(args.out, base_url=args.base_url, feed_size=args.feed_size)
    except InputError as error:
        return report("buildindex", [error])
    except OSError as error:  # a write or read the system refused (full disk, read-only...): one line too
        return report("buildindex", [os_failure(error)])
    if args.verbosity > QUIET:
        print(summary.line(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
