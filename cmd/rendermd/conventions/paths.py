"""URL and file-name rules every convention shares.

A page's URL is a decoded path (``/2021/05/05/café``), as the server compares
it with the request's path.  The server answers ``x.html`` at ``/x`` and
``d/index.html`` at ``/d/``, so a URL decides the file that holds the page.
"""

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from cmd.rendermd.frontmatter import to_datetime

# Jekyll's and Zola's dated file names: 2024-05-06-my-post.md, 2024-05-06_my-post.md, and
# Zola's date-time form 2024-05-06T10:30:00Z-my-post.md.
DATED_NAME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)[-_](?P<rest>.+)$"
)
# What a URL may not hold: nothing that leaves its folder, hides a query or a fragment, or
# cannot be written in a file name.
UNSAFE_SEGMENT = re.compile(r"[\x00-\x1f\x7f?#%\\]")


def dated_name(stem: str) -> tuple[str, str] | None:
    """(date text, rest of the name) for a dated file name, else None."""
    match = DATED_NAME.match(stem)
    return None if match is None else (match.group("date"), match.group("rest"))


def date_in_name(stem: str, path: Path) -> dt.datetime | None:
    """The date (and time) a dated file name carries, or None when it carries none."""
    dated = dated_name(stem)
    return None if dated is None else to_datetime(dated[0], "date in the file name", path)


def slugify(text: str, *, keep_case: bool = False, ascii_only: bool = False) -> str:
    """Letters and digits kept (any script unless ``ascii_only``), every other run a hyphen."""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if not keep_case:
        text = text.lower()
    return re.sub(r"[^\w]+|_+", "-", text).strip("-")


@functools.lru_cache(maxsize=64)
def placeholders(names: tuple[str, ...]) -> re.Pattern[str]:
    """``:name`` for each of ``names``, the longest first (``:month`` before ``:mon``)."""
    return re.compile(":(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")


def expand(template: str, values: Mapping[str, str]) -> str:
    """A permalink template with each ``:name`` replaced, then tidied into a root-relative path."""
    if values:
        template = placeholders(tuple(values)).sub(lambda match: values[match.group(1)], template)
    return tidy(template)


def tidy(url: str) -> str:
    """One leading slash, no empty segments; a trailing slash kept where there was one."""
    trailing = url.endswith("/")
    path = "/" + "/".join(part for part in url.split("/") if part)
    return path + "/" if trailing and path != "/" else path


def folder_unless_file(url: str) -> str:
    """How Hugo and Zola write an alias or a path: ``/a/b`` is the folder ``/a/b/``, ``/a/b.html`` a file."""
    last = url.rstrip("/").rsplit("/", 1)[-1]
    return url if url.endswith("/") or "." in last else url + "/"


def canonical(url: str) -> str:
    """The URL the server answers a page at: ``/x.html`` and ``/x/index.html`` lose their suffix."""
    if url.endswith("/index.html"):
        return url[: -len("index.html")]
    if url.endswith(".html"):
        return url[: -len(".html")]
    return url


def page_file(url: str) -> str:
    """The file under OUT that holds the page answered at canonical ``url``."""
    if url.endswith("/"):
        return url[1:] + "index.html"
    return url[1:] + ".html"


def same_page(url: str, other: str) -> bool:
    """True when the server's own clean-URL rules already send one URL to the other's page."""
    return canonical(url).rstrip("/") == canonical(other).rstrip("/")


def unsafe_url(url: str) -> str | None:
    """Why ``url`` cannot be a page's URL, or None when it can."""
    if not url.startswith("/") or url == "/":
        return "it must be a path below the site's root"
    segments = url.strip("/").split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "it must not hold empty, '.' or '..' segments"
    if UNSAFE_SEGMENT.search(url) or any(ch.isspace() and ch != " " for ch in url):
        return "it must not hold control characters, '?', '#', '%' or backslashes"
    return None
