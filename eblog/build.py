"""eblog build [ARTICLES] [OUT]: rendermd, buildindex and prezip in one go, with their flags.

The zip goes beside OUT (``out`` -> ``out.zip``) unless ``-o FILE`` says where.  Each step
runs only if the one before it succeeded, and reports in its own words.
"""

import argparse
import sys
from pathlib import Path

from cmd.buildindex import __main__ as buildindex
from cmd.prezip import __main__ as prezip
from cmd.rendermd import __main__ as rendermd
from cmd.shared.cli import QUIET, common_flags


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eblog build",
        description="Render ARTICLES into OUT, index it, and pack it into one zip the server serves.",
        epilog=rendermd.settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[rendermd.options(), buildindex.options(), prezip.options(), common_flags("eblog build")],
    )
    parser.add_argument("articles", type=Path, nargs="?", default=Path("articles"), metavar="ARTICLES",
                        help="the articles (default: articles)")  # fmt: skip
    parser.add_argument("out", type=Path, nargs="?", default=Path("out"), metavar="OUT",
                        help="the built site (default: out); the zip goes to OUT.zip unless -o FILE")  # fmt: skip
    return parser


def zip_beside(out: Path) -> Path:
    """Where the zip goes by default: ``out`` -> ``out.zip``, beside the folder, never inside it."""
    folder = out.absolute()
    return folder.with_name(folder.name + ".zip")


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    args.site = args.out
    if args.output is None:
        args.output = zip_beside(args.out)
    for step in (rendermd.run, buildindex.run, prezip.run):
        status = step(args)
        if status != 0:
            return status
    if args.verbosity > QUIET:
        print(f"eblog: {args.output} ({args.output.stat().st_size} bytes)", file=sys.stderr)
    return 0
