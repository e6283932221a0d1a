"""python -m cmd.rendermd ARTICLES_DIR OUT_DIR"""

import argparse
import os
import sys
from pathlib import Path

from cmd.rendermd import stamp
from cmd.shared.cli import QUIET, VERBOSE, common_flags
from cmd.shared.errors import InputError, os_failure, report, report_group
from cmd.shared.uptodate import skipped


def settings_help() -> str:
    """The epilog: the settings file and each of its keys with its default, read from SiteConfig itself."""
    import dataclasses

    from cmd.shared.config import CONFIG_FILE, SiteConfig

    keys = "\n".join(
        f"  {field.name} = {field.default!r}" for field in dataclasses.fields(SiteConfig) if field.name != "csp"
    )
    return (
        f"settings: ARTICLES_DIR/{CONFIG_FILE} (TOML, optional; an unknown key is an error). Keys and defaults:\n"
        f'{keys}\n  [csp]  sources added to the Content-Security-Policy, e.g. img-src = ["https://cdn.example"]'
    )


def options() -> argparse.ArgumentParser:
    """rendermd's own flags, as a parent parser (``eblog build`` takes them too)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--drafts", action="store_true", help="also render articles marked draft")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument(
        "--strict", action="store_true", help="also list front matter keys eblog ignores (layout, weight...)"
    )
    return parser


class HelpWithSettings(argparse.ArgumentParser):
    """The settings' epilog is made only when help is shown: a run with nothing to do never loads config."""

    def format_help(self) -> str:
        self.epilog = settings_help()
        return super().format_help()


def main(argv: list[str] | None = None) -> int:
    parser = HelpWithSettings(
        prog="python -m cmd.rendermd",
        description="Render Markdown articles into HTML pages: eblog's own layout, or a Jekyll, Hugo or Zola "
        "content tree as it is.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[options(), common_flags("rendermd")],
    )
    parser.add_argument("articles", type=Path, metavar="ARTICLES_DIR")
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Render ``args.articles`` into ``args.out``; the exit status."""
    if args.verbosity >= VERBOSE:
        from cmd.shared.config import CONFIG_FILE

        settings = args.articles / CONFIG_FILE
        print(f"rendermd: settings from {settings if settings.is_file() else 'the defaults'}", file=sys.stderr)
        print(f"rendermd: {args.jobs or len(os.sched_getaffinity(0))} worker processes at most", file=sys.stderr)
    if skipped(
        args.out,
        stamp.TOOL,
        stamp.asked(args.articles, args.out, drafts=args.drafts, strict=args.strict),
        quiet=args.verbosity <= QUIET,
    ):
        return 0
    from cmd.rendermd.build import render_site  # only now: a run with nothing to do never imports the libraries

    try:
        summary = render_site(
            args.articles,
            args.out,
            drafts=args.drafts,
            jobs=args.jobs,
            progress=args.verbosity > QUIET and sys.stderr.isatty(),
            strict=args.strict,
        )
    except InputError as error:
        return report("rendermd", [error])
    except OSError as error:  # a write or read the system refused (full disk, read-only...): one line too
        return report("rendermd", [os_failure(error)])
    except ExceptionGroup as group:
        return report_group("rendermd", group)
    if args.verbosity > QUIET:
        print(f"rendermd: {summary.convention}", file=sys.stderr)
    for warning in summary.warnings:
        print(f"rendermd: {warning}", file=sys.stderr)
    if args.verbosity > QUIET:
        print(summary.line(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
