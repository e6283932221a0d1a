"""python -m cmd.prezip OUT_DIR -o assets.zip   (or > assets.zip, which cannot keep the old zip)"""

import argparse
import os
import sys
from pathlib import Path

from cmd.prezip import stamp as zip_stamp
from cmd.shared.cli import QUIET, VERBOSE, common_flags
from cmd.shared.errors import InputError, os_failure, report
from cmd.shared.layout import DEFAULT_WAIT  # not from buildlock, whose imports a skipped run does not need
from cmd.shared.uptodate import skipped

STDOUT = 1  # the descriptor itself: sys.stdout may be None (closed) or replaced, and its buffer is not needed


def source_date_epoch(value: str | None) -> int | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since 1970, or None when unset or empty."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"SOURCE_DATE_EPOCH must be whole seconds, got {value!r}") from None


def options() -> argparse.ArgumentParser:
    """prezip's own flags, as a parent parser (``eblog build`` takes them too)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write here, replacing FILE only once the new zip is complete and on disk (else stdout, "
        "where the shell's '> FILE' has already emptied FILE before prezip starts)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for a rendermd or buildindex still writing OUT_DIR (default {DEFAULT_WAIT:g})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cmd.prezip",
        description="Pack the built site into one deterministic zip (the server's precompressed store). "
        "Entries carry the time SOURCE_DATE_EPOCH gives, else 1980-01-01.",
        parents=[options(), common_flags("prezip")],
    )
    parser.add_argument("site", type=Path, metavar="OUT_DIR", help="the site built by rendermd and buildindex")
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Zip ``args.site`` to ``args.output`` (else stdout); the exit status."""
    if args.output is None and os.isatty(STDOUT):
        print("prezip: error: refusing to write a zip to a terminal; use -o FILE", file=sys.stderr)
        return 2
    if args.output is not None and args.output.resolve().is_relative_to(args.site.resolve()):
        print(
            f"prezip: error: {args.output}: the zip must be written outside {args.site}, or it packs itself",
            file=sys.stderr,
        )
        return 2
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if args.output is not None and skipped(
        args.site, zip_stamp.TOOL, zip_stamp.asked(args.site, args.output, epoch), quiet=args.verbosity <= QUIET
    ):
        return 0
    from cmd.prezip import reuse  # only now: not needed when nothing changed
    from cmd.prezip.zipsite import dos_stamp, read_entries, zip_chunks
    from cmd.shared.files import write_atomic, write_stream

    try:
        stamp = dos_stamp(source_date_epoch(epoch))
        watch = zip_stamp.watch(args.site, args.output, epoch)
        previous, note = reuse.load(args.site, args.output) if args.output is not None else (None, None)
        if note:
            print(f"prezip: {note}", file=sys.stderr)
        entries = read_entries(args.site, wait=args.wait, previous=previous)
        payloads: list[int] = []
        tally = reuse.Tally()
        chunks = tally.through(zip_chunks(entries, stamp, payloads))
        if args.output is None:
            write_stream(STDOUT, chunks, "stdout")
        else:
            write_atomic(args.output, chunks)
            reuse.save(args.site, args.output, entries, payloads, tally)
            watch.keep([args.output], [])
    except InputError as error:
        return report("prezip", [error])
    except OSError as error:  # any other refusal by the system, still one line
        return report("prezip", [os_failure(error)])
    if args.verbosity >= VERBOSE:
        print(f"prezip: {len(entries)} files from {args.site} to {args.output or 'stdout'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
