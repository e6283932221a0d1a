"""The site as the server answers it: clean URLs, cache policy, and every response prebuilt.

All headers of the common answers (200 and 304 in each encoding, the 404
page, 405) are built once at start-up, so a request costs a dict lookup and
a scan of its own headers.

Cache-Control:
- file names that carry a content hash (``static/style.3f2a9c1b.css``) change
  name when they change, so they are ``public, max-age=31536000, immutable``;
- pages and feeds keep their URL across publishes, so ``public, max-age=60,
  s-maxage=30, stale-while-revalidate=30``: a minute of free hits for
  browsers, then a cheap conditional request (304) that picks up a new
  publish; a shared cache (a CDN, nginx's proxy_cache) keeps them fresh for
  ``cdn_max_age`` seconds (30 by default, ``--cdn-max-age``), then answers
  from its stale copy for as long again while it fetches the new one, so the
  origin sees about one request per page per ``cdn_max_age`` and a publish
  reaches every visitor of the cache within twice that;
- other files under a fixed name (images, fonts) rarely change:
  ``public, max-age=86400``;
- the 404 page says ``no-cache`` so an article published later shows up at
  once; permanent redirects (301, 308) are structural and last a day,
  temporary ones (302, 307) are ``no-cache``.
"""

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from starlette.types import Scope

from server.assets import Asset, SiteError
from server.headers_file import HEADERS_FILE, policy_in
from server.negotiation import UNSATISFIABLE, byte_range, etag_listed, gzip_preferred, parse_http_date
from server.settings import Settings
from server.urls import NOT_FOUND_PAGE, REDIRECTS_FILE, Redirect, url_table

Headers = tuple[tuple[bytes, bytes], ...]
Answer = tuple[int, Headers, bytes, str]  # status, headers, body, encoding for the log

SAFE_QUERY = re.compile(rb"[\x21-\x7e]+")  # kept on a redirect only if it can't break the header
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
PAGE_SUFFIXES = frozenset({".html", ".xml", ".json", ".txt"})
IMMUTABLE = "public, max-age=31536000, immutable"
DAY = "public, max-age=86400"
# No scripts, no plugins, no framing: what a site without JavaScript needs and nothing more.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ALLOW = b"GET, HEAD"
# Past this many header fields a request is refused with 431 (the connection bounds their size).
MAX_FIELDS = 100
# The request fields that choose an answer, by position.  The first LIST_FIELDS are lists: given
# twice, they are one list.  The others are single-valued: given twice they are invalid, and b""
# makes them ignored.
SELECTING = {
    name: index
    for index, name in enumerate(
        (b"accept-encoding", b"if-match", b"if-none-match", b"if-unmodified-since", b"if-modified-since", b"range",
         b"if-range")
    )
}  # fmt: skip
LIST_FIELDS = 3
selecting_index = SELECTING.get


def security_headers(commit: str, policy: str = CSP) -> Headers:
    """The headers every response carries, whichever part of the app made it."""
    return (
        (b"x-eblog-commit", commit.encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", policy.encode("ascii")),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
    )


def encode_headers(headers: Headers) -> bytes:
    """Header fields as they go on the wire, each ``name: value`` and CRLF."""
    return b"".join(b"%s: %s\r\n" % field for field in headers)


def page_cache(cdn_max_age: int) -> str:
    """Cache-Control for pages and feeds (see the module docstring)."""
    return f"public, max-age=60, s-maxage={cdn_max_age}, stale-while-revalidate={cdn_max_age}"


def cache_control(name: str, cdn_max_age: int = Settings.cdn_max_age) -> str:
    path = PurePosixPath(name)
    # Only under static/, where names carry a content hash by construction: a page whose
    # slug merely looks hashed must not be pinned in caches for a year.
    if path.parts[0] == "static" and HASHED_NAME.search(path.name):
        return IMMUTABLE
    if path.suffix.lower() in PAGE_SUFFIXES:
        return page_cache(cdn_max_age)
    return DAY


class Variant(NamedTuple):
    """One encoding of one file, with its prebuilt header sets."""

    body: bytes
    etag: bytes
    encoding: str
    ok: Headers  # 200 (or 404 for the not-found page)
    not_modified: Headers  # 304


class Resource(NamedTuple):
    identity: Variant
    gzip: Variant | None
    last_modified: bytes | None
    mtime: int | None
    partial: Headers  # 206 and 416 headers, without Content-Range and Content-Length


def make_resource(asset: Asset, cache: str, common: Headers) -> Resource:
    vary = ((b"vary", b"Accept-Encoding"),) if asset.gzip is not None else ()
    last_modified = None if asset.last_modified is None else asset.last_modified.encode("ascii")
    # What a 304 carries besides the ETag (RFC 9110 15.4.5): Cache-Control and Vary, as the 200
    # would send them, and the security headers, which are not representation metadata: a cache
    # that merges them into its stored response only refreshes the same values.  Last-Modified is
    # left out: with an ETag present it guides no cache update.
    revalidated = ((b"cache-control", cache.encode("ascii")), *vary, *common)
    validators = (*(() if last_modified is None else ((b"last-modified", last_modified),)), *revalidated)
    content_type = (b"content-type", asset.media_type.encode("ascii"))

    def variant(body: bytes, etag: str, encoding: str) -> Variant:
        tag = (b"etag", etag.encode("ascii"))
        coding = ((b"content-encoding", b"gzip"),) if encoding == "gzip" else ()
        ok = (
            content_type,
            (b"content-length", b"%d" % len(body)),
            tag,
            *coding,
            (b"accept-ranges", b"bytes"),
            *validators,
        )
        return Variant(body, tag[1], encoding, ok, (tag, *revalidated))

    identity = variant(asset.body, asset.etag, "identity")
    gzipped = None if asset.gzip is None or asset.gzip_etag is None else variant(asset.gzip, asset.gzip_etag, "gzip")
    partial = (content_type, (b"etag", identity.etag), (b"accept-ranges", b"bytes"), *validators)
    return Resource(identity, gzipped, last_modified, asset.mtime, partial)


def make_not_found(asset: Asset | None, common: Headers) -> Resource:
    """The 404 answer: the site's own 404.html in either encoding, never cached for long."""
    if asset is None:
        body = b"Not Found\n"
        asset = Asset("", "text/plain; charset=utf-8", body, None, "", None, None, None)
    vary = ((b"vary", b"Accept-Encoding"),) if asset.gzip is not None else ()
    headers = ((b"cache-control", b"no-cache"), *vary, *common)
    content_type = (b"content-type", asset.media_type.encode("ascii"))

    def variant(body: bytes, encoding: str) -> Variant:
        coding = ((b"content-encoding", b"gzip"),) if encoding == "gzip" else ()
        return Variant(
            body, b"", encoding, (content_type, (b"content-length", b"%d" % len(body)), *coding, *headers), ()
        )

    gzipped = None if asset.gzip is None else variant(asset.gzip, "gzip")
    return Resource(variant(asset.body, "identity"), gzipped, None, None, ())


def selecting_fields(headers: list[tuple[bytes, bytes]]) -> list[bytes | None]:
    """The values of the fields that choose an answer, in SELECTING's order (None where absent)."""
    values: list[bytes | None] = [None, None, None, None, None, None, None]
    for name, value in headers:
        index = selecting_index(name)
        if index is not None:
            seen = values[index]
            if seen is None:
                values[index] = value
            elif index < LIST_FIELDS:
                values[index] = seen + b"," + value
            else:
                values[index] = b""
    return values


def site_text(asset: Asset, name: str) -> str:
    """One of the build's own text files in the site (_redirects, _headers)."""
    try:
        return asset.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SiteError(f"{name}: not UTF-8 (byte {error.start})") from None


def bad_path(raw_path: bytes) -> bool:
    """True for a path no careful server should look up: control bytes or bytes that aren't UTF-8.

    httptools already refuses such bytes sent raw, so only percent-escapes can bring them in.
    """
    if b"%" not in raw_path:
        return False
    decoded = unquote_to_bytes(raw_path)
    if any(byte < 0x20 or byte == 0x7F for byte in decoded):
        return True
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


class Site:
    """Answers GET and HEAD for the site from the prebuilt table; see ``answer``.

    ``previous``, a site built before from mostly the same assets (the preview swaps in a new
    site after each edit), lends what it already made: the resource of every asset that is the
    same object, and the wire form of every header set that is the same.  The answers are those
    of a site built from scratch; only the start-up work shrinks to what changed.
    """

    def __init__(
        self,
        assets: Mapping[str, Asset],
        commit: str,
        previous: "Site | None" = None,
        cdn_max_age: int = Settings.cdn_max_age,
        base_path: str = Settings.base_path,
    ):
        self.cdn_max_age = cdn_max_age
        self.commit = commit
        headers_file = assets.get(HEADERS_FILE)
        self.policy = (policy_in(site_text(headers_file, HEADERS_FILE)) if headers_file else None) or CSP
        self.common = security_headers(commit, self.policy)
        if previous is not None and previous.common != self.common:
            previous = None  # every prebuilt header set carries the common headers
        rules = assets.get(REDIRECTS_FILE)
        self.table_inputs: tuple[list[str], str | None, str] = (
            sorted(assets),
            None if rules is None else site_text(rules, REDIRECTS_FILE),
            base_path,
        )
        self.table: tuple[dict[str, str], dict[str, Redirect]]
        if previous is not None and previous.table_inputs == self.table_inputs:
            self.table = previous.table  # the same names and rules: the same URLs
        else:
            self.table = url_table(*self.table_inputs)
        routes, redirects = self.table
        self.made: dict[str, tuple[Asset, Resource]] = {}  # entry name -> (asset, its resource), to lend
        self.routes: Mapping[str, Resource] = MappingProxyType(
            {path: self.resource(name, assets[name], previous) for path, name in routes.items()}
        )
        self.redirects: Mapping[str, Redirect] = MappingProxyType(redirects)
        lent = previous.redirects if previous is not None else {}
        self.redirect_headers: dict[str, Headers] = {
            path: previous.redirect_headers[path] if previous is not None and lent.get(path) == redirect
            else self.redirect_fields(redirect)
            for path, redirect in redirects.items()
        }  # fmt: skip
        self.not_found = make_not_found(assets.get(NOT_FOUND_PAGE), self.common)
        plain = (b"content-type", b"text/plain; charset=utf-8")
        self.not_allowed = (
            plain,
            (b"content-length", b"0"),
            (b"allow", ALLOW),
            (b"cache-control", b"no-store"),
            *self.common,
        )
        self.bad_request = (plain, (b"content-length", b"0"), (b"cache-control", b"no-store"), *self.common)
        self.too_large = (*self.bad_request, (b"connection", b"close"))
        self.failed = self.bad_request  # 412: nothing to add either
        # What the HTTP connection itself refuses (400, 431, 503...): it adds the length.
        self.refusal = (plain, (b"cache-control", b"no-store"), *self.common)
        self.encoded: dict[int, tuple[Headers, bytes]] = self.encode_prebuilt(
            {} if previous is None else previous.encoded
        )

    def resource(self, name: str, asset: Asset, previous: "Site | None") -> Resource:
        """The resource for ``asset``: the previous site's when it made one for this very asset."""
        made = previous.made.get(name) if previous is not None else None
        resource = (
            made[1]
            if made is not None and made[0] is asset
            else make_resource(asset, cache_control(name, self.cdn_max_age), self.common)
        )
        self.made[name] = (asset, resource)
        return resource

    def encode_prebuilt(self, lent: Mapping[int, tuple[Headers, bytes]]) -> dict[int, tuple[Headers, bytes]]:
        """The wire form of every prebuilt header set, by identity: the site keeps each one alive.

        ``lent`` is an earlier site's table: a header set that is the very same object is not encoded again.
        """
        prebuilt = [self.not_allowed, self.bad_request, self.too_large, self.refusal, *self.redirect_headers.values()]
        for resource in (*self.routes.values(), self.not_found):
            for variant in (resource.identity, resource.gzip):
                if variant is not None:
                    prebuilt += [variant.ok, variant.not_modified]
        encoded = {}
        for headers in prebuilt:
            known = lent.get(id(headers))
            encoded[id(headers)] = (
                known if known is not None and known[0] is headers else (headers, encode_headers(headers))
            )
        return encoded

    def wire(self, headers: Headers) -> bytes:
        """``headers`` as sent: prebuilt for the common answers, encoded now for the others (206, 301)."""
        known = self.encoded.get(id(headers))
        return known[1] if known is not None and known[0] is headers else encode_headers(headers)

    def answer(self, scope: Scope) -> Answer:
        """Status, headers, body and encoding (for the log) for one request."""
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            return 405, self.not_allowed, b"", "-"
        headers = scope["headers"]
        if len(headers) > MAX_FIELDS:
            return 431, self.too_large, b"", "-"
        accept, if_match, if_none_match, if_unmodified_since, if_modified_since, ranges, if_range = selecting_fields(
            headers
        )
        resource = self.routes.get(scope["path"])
        if resource is None:
            return self.miss(scope, accept)
        variant = resource.identity
        if accept is not None and resource.gzip is not None and gzip_preferred(accept):
            variant = resource.gzip
        if if_match is not None or if_unmodified_since or if_none_match is not None or if_modified_since:
            failed = self.precondition_failed(
                resource, variant, if_match, if_unmodified_since, if_none_match, if_modified_since
            )
            if failed is not None:
                return failed
        if ranges and method == "GET" and (if_range is None or self.if_range_holds(resource, if_range)):
            partial = self.partial(resource, ranges)
            if partial is not None:
                return partial
        return 200, variant.ok, variant.body if method == "GET" else b"", variant.encoding

    def precondition_failed(
        self,
        resource: Resource,
        variant: Variant,
        if_match: bytes | None,
        if_unmodified_since: bytes | None,
        if_none_match: bytes | None,
        if_modified_since: bytes | None,
    ) -> Answer | None:
        """412 or 304 as RFC 9110 13.2.2 orders them, else None (the request goes on)."""
        if if_match is not None:
            if not etag_listed(if_match, variant.etag, strong=True):
                return 412, self.failed, b"", "-"
        elif if_unmodified_since:
            since = parse_http_date(if_unmodified_since)
            if since is not None and resource.mtime is not None and resource.mtime > since:
                return 412, self.failed, b"", "-"
        if if_none_match is not None:
            if etag_listed(if_none_match, variant.etag):
                return 304, variant.not_modified, b"", "-"
        elif if_modified_since and self.unmodified_since(resource, if_modified_since):
            return 304, variant.not_modified, b"", "-"
        return None

    @staticmethod
    def unmodified_since(resource: Resource, value: bytes) -> bool:
        if resource.mtime is None:
            return False
        if value == resource.last_modified:
            return True
        since = parse_http_date(value)
        return since is not None and resource.mtime <= since

    @staticmethod
    def if_range_holds(resource: Resource, value: bytes) -> bool:
        """If-Range: a strong match with the identity ETag, or exactly the Last-Modified date."""
        if value.startswith((b'"', b"W/")):
            return value == resource.identity.etag
        return resource.mtime is not None and parse_http_date(value) == resource.mtime

    @staticmethod
    def partial(resource: Resource, ranges: bytes) -> Answer | None:
        """206 for one satisfiable byte range, 416 for none, None to ignore the header (a 200)."""
        body = resource.identity.body
        size = len(body)
        span = byte_range(ranges, size)
        if span is None:
            return None
        if span == UNSATISFIABLE:
            headers = ((b"content-range", b"bytes */%d" % size), (b"content-length", b"0"), *resource.partial)
            return 416, headers, b"", "-"
        first, last = span
        headers = (
            (b"content-range", b"bytes %d-%d/%d" % (first, last, size)),
            (b"content-length", b"%d" % (last - first + 1)),
            *resource.partial,
        )
        return 206, headers, body[first : last + 1], "identity"

    def redirect_fields(self, redirect: Redirect, query: bytes = b"") -> Headers:
        location = redirect.location.encode("ascii") + (b"?" + query if query else b"")
        cache = DAY if redirect.status in (301, 308) else "no-cache"  # a temporary one is asked again each time
        return (
            (b"location", location),
            (b"content-length", b"0"),
            (b"cache-control", cache.encode("ascii")),
            *self.common,
        )

    def miss(self, scope: Scope, accept: bytes | None) -> Answer:
        """A path with no file: a redirect, 400 for a malformed path, else 404."""
        path = scope["path"]
        redirect = self.redirects.get(path)
        if redirect is not None:
            query = scope.get("query_string", b"")
            if query and redirect.keeps_query and SAFE_QUERY.fullmatch(query):
                return redirect.status, self.redirect_fields(redirect, query), b"", "-"
            return redirect.status, self.redirect_headers[path], b"", "-"
        if bad_path(scope.get("raw_path") or path.encode("utf-8", "surrogateescape")):
            return 400, self.bad_request, b"", "-"
        variant = self.not_found.identity
        if self.not_found.gzip is not None and accept and gzip_preferred(accept):
            variant = self.not_found.gzip
        return 404, variant.ok, variant.body if scope["method"] == "GET" else b"", variant.encoding
