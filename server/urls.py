"""Which URL serves which file, and which URLs redirect where.

Three sources, checked against each other once, at start-up:

- clean URLs: ``x.html`` is served at ``/x``; ``/x.html`` and ``/x/`` redirect there;
- directory indexes: ``a/b/index.html`` is served at ``/a/b/``; ``/a/b`` and
  ``/a/b/index.html`` redirect there (the root ``index.html`` is ``/``);
- the site's ``_redirects`` file, in the Netlify / Cloudflare Pages form: one
  ``FROM TO [STATUS]`` rule a line (301 when no status is given; 301, 302, 307
  or 308), ``#`` comment lines and blank lines ignored.  FROM is a path; TO is
  a path of the site or an absolute http(s) URL; paths may be percent-encoded
  or raw UTF-8.  The file itself is not served.

A redirect never leads to another redirect or to nothing, and never hides a
file: a clean-URL alias is only added where no file answers, and a rule that
breaks any of this stops the server with its line number.  Paths are kept
decoded (``/café``), as the server receives them in ``scope["path"]``.

A site built for a base URL with a path (``https://example.org/blog/``) is
served under that path (``EBLOG_BASE_PATH=/blog/``): the table above, made
from the zip's site-relative names and rules, is mounted there whole (every
path and every redirect to a path of the site), ``/blog`` redirects to
``/blog/``, and nothing outside it answers but the 404 page.
"""

import re
from typing import NamedTuple
from urllib.parse import quote, unquote

from server.assets import SiteError
from server.headers_file import HEADERS_FILE

INDEX = "index.html"
NOT_FOUND_PAGE = "404.html"
REDIRECTS_FILE = "_redirects"
NOT_SERVED = frozenset({NOT_FOUND_PAGE, REDIRECTS_FILE, HEADERS_FILE})  # the 404 answer, and the build's own files
REDIRECT_CODES = frozenset({301, 302, 307, 308})
ABSOLUTE_URL = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
PATH_SAFE = "/!$&'()*+,;=:@~"  # RFC 3986 pchar and "/", left as they are in a Location
URL_SAFE = "".join(chr(byte) for byte in range(0x21, 0x7F))  # an absolute URL: only non-ASCII is encoded


class Redirect(NamedTuple):
    location: str  # as sent: a percent-encoded path, or an absolute URL
    status: int
    keeps_query: bool  # the client's query string is added (unless the rule's target has its own)


def location_of(target: str) -> str:
    """``target`` as a Location value: ASCII only, percent-encoded as RFC 3986 asks."""
    if ABSOLUTE_URL.fullmatch(target):
        return quote(target, safe=URL_SAFE)
    path, question, query = target.partition("?")
    return quote(path, safe=PATH_SAFE) + question + quote(query, safe=URL_SAFE)


def clean_urls(names: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """URL path -> entry name for every file, and alias -> canonical path for the other spellings of pages."""
    routes: dict[str, str] = {}
    aliases: dict[str, str] = {}

    def route(path: str, name: str) -> None:
        if path in routes:  # e.g. "rss.xml" and "rss.xml.html": one would hide the other
            raise SiteError(f"{routes[path]} and {name} would both answer {path}")
        routes[path] = name

    for name in names:
        if name in NOT_SERVED:
            continue
        if name == INDEX:
            route("/", name)
            aliases.update({"/index.html": "/", "/index": "/"})
        elif name.endswith("/" + INDEX):
            directory = "/" + name[: -len(INDEX) - 1]
            route(directory + "/", name)
            aliases.update({directory: directory + "/", f"/{name}": directory + "/"})
        elif name.endswith(".html"):
            canonical = "/" + name[: -len(".html")]
            route(canonical, name)
            aliases.update({f"/{name}": canonical, canonical + "/": canonical})
        else:
            route(f"/{name}", name)
    return routes, {alias: target for alias, target in aliases.items() if alias not in routes}


def redirect_rules(text: str) -> list[tuple[int, str, str, int]]:
    """``(line number, from, to, status)`` for each rule of a _redirects file; SiteError on a malformed line."""
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        where = f"{REDIRECTS_FILE}:{number}"
        if len(fields) not in (2, 3):
            raise SiteError(f"{where}: expected FROM TO [STATUS], found {len(fields)} fields")
        source, target = unquote(fields[0]), fields[1]
        status = fields[2] if len(fields) == 3 else "301"
        if not status.isdigit() or int(status) not in REDIRECT_CODES:
            raise SiteError(f"{where}: status {status} is not a redirect (301, 302, 307 or 308)")
        if not source.startswith("/") or "*" in source or "?" in source:
            raise SiteError(f"{where}: FROM must be a plain path starting with / (no splat, no query): {fields[0]}")
        if not (target.startswith("/") or ABSOLUTE_URL.fullmatch(target)):
            raise SiteError(f"{where}: TO must be a path starting with / or an http(s) URL: {target}")
        rules.append((number, source, target if ABSOLUTE_URL.fullmatch(target) else unquote(target), int(status)))
    return rules


def mounted(
    routes: dict[str, str], redirects: dict[str, Redirect], base_path: str
) -> tuple[dict[str, str], dict[str, Redirect]]:
    """The table under ``base_path`` (``/blog``; "" leaves it at the root), and ``/blog`` sent to ``/blog/``."""
    if not base_path:
        return routes, redirects
    under = {base_path + path: name for path, name in routes.items()}
    moved = {
        base_path + path: redirect
        if ABSOLUTE_URL.fullmatch(redirect.location)
        else redirect._replace(location=quote(base_path, safe=PATH_SAFE) + redirect.location)
        for path, redirect in redirects.items()
    }
    if base_path + "/" in under:
        moved[base_path] = Redirect(location_of(base_path + "/"), 301, True)
    return under, moved


def url_table(
    names: list[str], redirects_file: str | None, base_path: str = ""
) -> tuple[dict[str, str], dict[str, Redirect]]:
    """URL path -> entry name, and URL path -> Redirect, from the zip's names and its _redirects text.

    ``base_path``: where the site is mounted (see the module docstring).
    """
    routes, aliases = clean_urls(names)
    redirects = {alias: Redirect(location_of(target), 301, True) for alias, target in aliases.items()}
    sources: dict[str, int] = {}
    rules = redirect_rules(redirects_file) if redirects_file is not None else []
    for number, source, target, status in rules:
        where = f"{REDIRECTS_FILE}:{number}"
        if source in routes:
            raise SiteError(f"{where}: {source} is served by {routes[source]}, so it can't redirect")
        if source in sources:
            raise SiteError(f"{where}: {source} already redirects on line {sources[source]}")
        sources[source] = number
        redirects[source] = Redirect(location_of(target), status, "?" not in target)
    for number, source, target, _ in rules:
        path = target.partition("?")[0].partition("#")[0]
        if ABSOLUTE_URL.fullmatch(target) or path in routes:
            continue
        where = f"{REDIRECTS_FILE}:{number}"
        if path in redirects:
            raise SiteError(f"{where}: {source} redirects to {path}, itself a redirect; point it at the final URL")
        raise SiteError(f"{where}: {source} redirects to {path}, which nothing answers")
    return mounted(routes, redirects, base_path)
