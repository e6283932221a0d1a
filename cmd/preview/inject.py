"""What the preview adds to the pages it serves, and only to those: nothing here reaches OUT.

Every HTML page gets the preview's stylesheet and reload script (``data-version`` says which
build of the page it is, so the page can ask whether it is still current); drafts and
future-dated articles get a mark at the top of their content; the site's policy gets the
two sources the script needs, ``script-src 'self'`` and ``connect-src 'self'``.
"""

import datetime as dt
import hashlib
from html import escape

from cmd.shared.i18n import catalogue, date_filters
from server.headers_file import ALL_PATHS, policy_in
from server.site import CSP

PREFIX = "/__preview/"
SCRIPT = f"{PREFIX}reload.js"
STYLESHEET = f"{PREFIX}preview.css"
VERSION_ATTRIBUTE = b'data-version="'
VERSION_LENGTH = 16
# What the reload script and its event stream need, on top of the site's own policy.
WIDENED = {"script-src": "'self'", "connect-src": "'self'"}


def version_of(page: bytes, mark: str) -> str:
    """Which build of a page this is: changes when its bytes or its mark do."""
    return hashlib.blake2b(page + mark.encode(), digest_size=VERSION_LENGTH // 2).hexdigest()


def version_in(body: bytes) -> str:
    """The version a served page carries, or "" for anything that is not a preview page."""
    start = body.rfind(VERSION_ATTRIBUTE)
    if start < 0:
        return ""
    start += len(VERSION_ATTRIBUTE)
    return body[start : start + VERSION_LENGTH].decode("ascii", "replace")


# The preview's own notes are in English, whatever the site's language: they are for its writer.
full_date = date_filters(catalogue("en"))["full_date"]


def draft_mark() -> str:
    return "<strong>Draft</strong>: shown by the preview; a build without --drafts leaves it out."


def future_mark(date: dt.datetime) -> str:
    shown = escape(full_date(date))
    return f"<strong>Dated in the future</strong> ({shown}): the published site shows it with this date."


def mark_for(draft: bool, date: dt.datetime | None, now: dt.datetime) -> str:
    """The note a page gets in the preview: drafts and future-dated articles are marked as such."""
    if draft:
        return draft_mark()
    if date is not None and date > now:
        return future_mark(date)
    return ""


def insert_after(page: bytes, tag: bytes, insertion: bytes) -> bytes:
    """``insertion`` right after the first ``tag`` (an opening tag, attributes allowed), else unchanged."""
    start = page.find(tag)
    end = page.find(b">", start) if start >= 0 else -1
    return page if end < 0 else page[: end + 1] + insertion + page[end + 1 :]


def insert_before(page: bytes, tag: bytes, insertion: bytes) -> bytes:
    """``insertion`` right before the last ``tag``, else appended."""
    at = page.rfind(tag)
    return page + insertion if at < 0 else page[:at] + insertion + page[at:]


def preview_page(page: bytes, mark: str) -> bytes:
    """``page`` as the preview serves it: its stylesheet, its mark if any, its reload script."""
    version = version_of(page, mark)
    page = insert_before(page, b"</head>", f'<link rel="stylesheet" href="{STYLESHEET}">\n'.encode())
    if mark:
        note = f'\n<p class="eblog-preview-mark" role="note">{mark}</p>'.encode()
        page = insert_after(page, b"<main", note) if b"<main" in page else insert_after(page, b"<body", note)
    script = f'<script src="{SCRIPT}" data-version="{version}" defer></script>\n'
    return insert_before(page, b"</body>", script.encode())


def widened(policy: str) -> str:
    """The site's policy with what the reload script needs added (never anything removed)."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    for name, source in WIDENED.items():
        sources = [item for item in directives.get(name, []) if item != "'none'"]
        directives[name] = sources if source in sources else [*sources, source]
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def preview_headers(text: str) -> bytes:
    """The site's _headers file as the preview serves it: the same policy, widened (see ``widened``)."""
    policy = policy_in(text)
    base = policy or CSP
    return f"{ALL_PATHS}\n  Content-Security-Policy: {widened(base)}\n".encode()
