"""python -m cmd.rendermd ARTICLES_DIR OUT_DIR"""

import argparse
import sys
from pathlib import Path

from cmd.rendermd import stamp
from cmd.shared.errors import InputError, os_failure, report, report_group
from cmd.shared.uptodate import skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cmd.rendermd",
        description="Render Markdown articles into HTML pages: eblog's own layout, or a Jekyll, Hugo or Zola "
        "content tree as it is.",
    )
    parser.add_argument("articles", type=Path, metavar="ARTICLES_DIR")
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    parser.add_argument("--drafts", action="store_true", help="also render articles marked draft")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument(
        "--strict", action="store_true", help="also list front matter keys eblog ignores (layout, weight...)"
    )
    args = parser.parse_args(argv)
    if skipped(args.out, stamp.TOOL, stamp.asked(args.articles, args.out, drafts=args.drafts, strict=args.strict)):
        return 0
    from cmd.rendermd.build import render_site  # only now: a run with nothing to do never imports the libraries

    try:
        summary = render_site(
            args.articles,
            args.out,
            drafts=args.drafts,
            jobs=args.jobs,
            progress=sys.stderr.isatty(),
            strict=args.strict,
        )
    except InputError as error:
        return report("rendermd", [error])
    except OSError as error:  # a write or read the system refused (full disk, read-only...): one line too
        return report("rendermd", [os_failure(error)])
    except ExceptionGroup as group:
        return report_group("rendermd", group)
    print(f"rendermd: {summary.convention}", file=sys.stderr)
    for warning in summary.warnings:
        print(f"rendermd: {warning}", file=sys.stderr)
    print(summary.line(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
