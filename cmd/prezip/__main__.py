"""python -m cmd.prezip OUT_DIR > assets.zip   (or -o FILE)"""

import argparse
import os
import sys
from pathlib import Path

from cmd.prezip.zipsite import build_zip
from cmd.shared.errors import InputError, report
from cmd.shared.files import write_atomic


def source_date_epoch(value: str | None) -> int | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since 1970, or None when unset or empty."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"SOURCE_DATE_EPOCH must be whole seconds, got {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cmd.prezip",
        description="Pack the built site into one deterministic zip (the server's precompressed store). "
        "Entries carry the time SOURCE_DATE_EPOCH gives, else 1980-01-01.",
    )
    parser.add_argument("site", type=Path, metavar="OUT_DIR", help="the site built by rendermd and buildindex")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (atomically) instead of stdout")
    args = parser.parse_args(argv)

    if args.output is None and sys.stdout.isatty():
        print("prezip: error: refusing to write a zip to a terminal; redirect stdout or use -o FILE", file=sys.stderr)
        return 2
    if args.output is not None and args.output.resolve().is_relative_to(args.site.resolve()):
        print(
            f"prezip: error: {args.output}: the zip must be written outside {args.site}, or it packs itself",
            file=sys.stderr,
        )
        return 2
    try:
        data = build_zip(args.site, source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH")))
    except InputError as error:
        return report("prezip", [error])
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(args.output, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
