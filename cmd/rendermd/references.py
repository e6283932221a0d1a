"""What a page's body points at: its links and images, and the raw HTML a browser will refuse.

The Markdown writer asks this module about each URL and each piece of raw HTML:
- a link's destination is percent-encoded, its host punycoded, and refused when
  its scheme could run code (``javascript:``, ``vbscript:``, ``file:``, non-image ``data:``);
- in a page bundle, a relative link (``![](diagram.png)``) is made root-relative,
  so it works wherever the page is served, and in feeds;
- root-relative references are collected, so files the page uses from the
  engine's site folder (Jekyll's ``/assets/...``) can be copied into the site;
- raw HTML and images the Content-Security-Policy will block are named, with the
  line they are on counted from the start of the piece, for one warning per page.
"""

import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urljoin, urlsplit

from cmd.shared.csp import Policy

ATTRIBUTE = re.compile(r"""(\s(?:src|href)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
INLINE_STYLE = re.compile(r"""<[a-z][^>]*\sstyle\s*=""", re.I)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.I)
ELEMENT = re.compile(r"<(script|style|iframe|frame|object|embed)\b([^>]*)>", re.I)
IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(["'])(.*?)\1""", re.I | re.S)
INLINE_ATTRIBUTES = (
    ("style attribute", INLINE_STYLE, "style-src"),
    ("event handler attribute", EVENT_HANDLER, "script-src"),
)

# Characters a destination keeps as written (CommonMark's reference renderer's set); anything
# else, and a "%" that starts no escape, is percent-encoded as UTF-8.
UNSAFE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9;/?:@&=+$,\-_.!~*'()#%]")
ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
KEPT_ENCODED = frozenset(";/?:@&=+$,#%")  # never decoded for display: they would change the URL
# The host of an http(s), mailto or scheme-relative URL, where non-ASCII labels are punycoded;
# an IPv6 literal keeps its brackets. The host's characters are \w, + - . and every non-ASCII one,
# spelled as the ASCII characters they are not: the same set, compiled in 0.15 ms where
# [\w+\-.\u0080-\U0010ffff] under re.I took 6 ms at every import (checked on every code point).
HOST = re.compile(
    r"^((?i:https?:)?//(?:[^/?#@]*@)?|(?i:mailto:)(?:[^/?#@]*@)?)([^\x00-\x2a\x2c\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+)"
)
HOST_END = frozenset("/?#:%;'{}|\\^`<>\" \t\r\n")  # where mdurl ends a host; other characters invalidate it
IPV6_HOST = re.compile(r"^((?:[a-z][a-z0-9+.\-]*:)?//(?:[^/?#@\[]*@)?)(\[[0-9A-Fa-f:.]+\])", re.I)
LABEL_SEPARATOR = re.compile("[.\u3002\uff0e\uff61]")
UNSAFE_SCHEME = re.compile(r"^(?:vbscript|javascript|file|data):")
IMAGE_DATA = re.compile(r"^data:image/(?:gif|png|jpeg|webp);")


def _map_host(url: str, label: Callable[[str], str]) -> str:
    """Apply ``label`` to each label of the host of an http(s), mailto or scheme-relative URL."""
    match = HOST.match(url)
    if match is None:
        return url
    host, rest, kept = match.group(2), url[match.end() :], ""
    if rest and rest[0] not in HOST_END:  # a character no host has: its label is path, not host
        host, dot, kept = host.rpartition(".")
        kept = dot + kept
    host = ".".join(label(part) for part in LABEL_SEPARATOR.split(host)) if host else ""
    return match.group(1) + host + kept + rest


def _punycode(label: str) -> str:
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def _unicode(label: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    try:
        return label[4:].lower().encode("ascii").decode("punycode")
    except UnicodeError:
        return label


def _percent_encode(text: str) -> str:
    return UNSAFE.sub(lambda match: quote(match.group(), safe=""), text)


def normalize_link(url: str) -> str | None:
    """The destination as it goes in ``href``/``src``, or None when a page must not link to it."""
    url = url.strip()
    if not url.isascii():
        url = _map_host(url, _punycode)
    ipv6 = IPV6_HOST.match(url) if "[" in url else None
    if ipv6 is None:
        encoded = _percent_encode(url)
    else:
        encoded = _percent_encode(ipv6.group(1)) + ipv6.group(2) + _percent_encode(url[ipv6.end() :])
    scheme_checked = encoded.strip().lower()
    if UNSAFE_SCHEME.match(scheme_checked) and not IMAGE_DATA.match(scheme_checked):
        return None
    return encoded


def _decode_run(match: re.Match[str]) -> str:
    text = unquote(match.group(), errors="replace")
    if KEPT_ENCODED.isdisjoint(text):
        return text
    return "".join(quote(char, safe="") if char in KEPT_ENCODED else char for char in text)


def link_text(url: str) -> str:
    """An autolink's visible text: escapes decoded and the host in Unicode, as a reader types it."""
    url = url.strip()
    if "%" in url:
        url = ESCAPES.sub(_decode_run, url)
    return _map_host(url, _unicode) if "xn--" in url.lower() else url


def is_relative(url: str) -> bool:
    """A path relative to the page: no scheme, no host, not root-relative, not a fragment or query."""
    if not url or url.startswith(("/", "#", "?")):
        return False
    return not urlsplit(url).scheme


def resolve(url: str, base: str | None, site_refs: set[str]) -> str:
    """The URL against a bundle's folder ``base``; a root-relative result is noted in ``site_refs``."""
    if base is not None and is_relative(url):
        url = urljoin(base, url)
    if url.startswith("/") and not url.startswith("//"):
        site_refs.add(urlsplit(url).path)
    return url


def resolve_in_html(html: str, base: str | None, site_refs: set[str]) -> str:
    """Raw HTML with each ``src``/``href`` resolved as a Markdown link's would be."""
    if "=" not in html:  # no attribute: most inline tags (<em>, </a>, <br>)
        return html
    return ATTRIBUTE.sub(
        lambda match: match.group(1) + match.group(2) + resolve(match.group(3), base, site_refs) + match.group(2),
        html,
    )


def blocked_image(url: str, policy: Policy) -> str | None:
    """What the policy blocks when this image loads, or None."""
    if urlsplit(url).scheme in ("http", "https") and not policy.allows("img-src", url):
        return f"image from {urlsplit(url).hostname}"
    return None


def _blocked_element(name: str, attributes: str, policy: Policy) -> str | None:
    src = re.search(r"""\ssrc\s*=\s*["']([^"']*)""", attributes, re.I)
    if name == "script":
        allowed = policy.allows("script-src", src.group(1)) if src else policy.allows("script-src", inline=True)
        what = f"script from {urlsplit(src.group(1)).hostname or 'the site itself'}" if src else "inline script"
    elif name == "style":
        allowed, what = policy.allows("style-src", inline=True), "style element"
    elif name in ("iframe", "frame"):
        allowed = bool(src) and policy.allows("frame-src", src.group(1) if src else None)
        what = f"frame from {urlsplit(src.group(1)).hostname if src else 'nowhere'}"
    else:
        allowed, what = policy.allows("object-src", src.group(1) if src else None), f"<{name}> element"
    return None if allowed else what


def blocked_in_html(html: str, policy: Policy) -> list[tuple[str, int]]:
    """What the policy blocks in one piece of raw HTML, each with the lines before it in the piece."""
    if "<" not in html:
        return []

    def lines_before(match: re.Match[str]) -> int:
        return html.count("\n", 0, match.start())

    found: list[tuple[str, int]] = []
    for element in ELEMENT.finditer(html):
        what = _blocked_element(element.group(1).lower(), element.group(2), policy)
        if what is not None:
            found.append((what, lines_before(element)))
    if "=" not in html:  # the other checks are about attributes
        return found
    for what, pattern, directive in INLINE_ATTRIBUTES:
        spots = [lines_before(match) for match in pattern.finditer(html)]
        if spots and not policy.allows(directive, inline=True):
            found += [(what, line) for line in spots]
    for match in IMG_SRC.finditer(html):
        what = blocked_image(match.group(2), policy)
        if what is not None:
            found.append((what, lines_before(match)))
    return found
