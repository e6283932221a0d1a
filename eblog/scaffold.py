"""eblog new "TITLE": a new article, ARTICLES/<slug>.md, with front matter and today's date.

It starts as a draft (as ``hugo new`` does): ``eblog build --drafts`` and the preview show it,
and deleting the ``draft: true`` line publishes it.  An existing file is never replaced.
"""

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

from cmd.rendermd.conventions.paths import slugify
from cmd.shared.cli import QUIET, common_flags


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eblog new",
        description="Write a new article with its front matter and today's date, as a draft.",
        parents=[common_flags("eblog new")],
    )
    parser.add_argument("title", help="the article's title; its file name is made from it")
    parser.add_argument("--articles", type=Path, default=Path("articles"), help="where (default: articles)")
    parser.add_argument("--slug", help="the file name without .md (default: from the title)")
    return parser


def front_matter(title: str, day: dt.date) -> str:
    # JSON strings are YAML double-quoted strings: quotes, colons and any script stay intact.
    quoted = json.dumps(title, ensure_ascii=False)
    return (
        f'---\ntitle: {quoted}\ndate: {day.isoformat()}\nsummary: ""\ntags: []\ndraft: true\n---\n\n'
        "Write here, in Markdown.\n"
    )


def create(path: Path, text: str) -> None:
    """Write ``path`` whole (temp file, fsync, hard link) or not at all; FileExistsError if it exists."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.link(temp, path)  # unlike a rename, never replaces an existing file
    finally:
        os.unlink(temp)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    slug = args.slug or slugify(args.title)
    if not slug or "/" in slug or slug.startswith("."):
        print(f"eblog new: error: {args.title!r} gives no file name; choose one with --slug NAME", file=sys.stderr)
        return 2
    path = args.articles / f"{slug}.md"
    if not args.articles.is_dir():
        print(f"eblog new: error: {args.articles}: no such directory", file=sys.stderr)
        return 1
    try:
        create(path, front_matter(args.title, dt.date.today()))
    except FileExistsError:
        print(f"eblog new: error: {path}: already exists; nothing written (choose another --slug)", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"eblog new: error: {path}: {error.strerror}", file=sys.stderr)
        return 1
    if args.verbosity > QUIET:
        print(f"eblog new: wrote {path} (a draft: remove 'draft: true' to publish)", file=sys.stderr)
    return 0
