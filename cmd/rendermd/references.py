"""What a page's body points at: its links and images, and the raw HTML a browser will refuse.

Three jobs over the parsed tokens, in one pass:
- in a page bundle, a relative link (``![](diagram.png)``) is made root-relative,
  so it works wherever the page is served, and in feeds;
- root-relative references are collected, so files the page uses from the
  engine's site folder (Jekyll's ``/assets/...``) can be copied into the site;
- raw HTML and images the Content-Security-Policy will block are listed, with
  their lines, for one warning per page.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from markdown_it.token import Token

from cmd.shared.csp import Policy

ATTRIBUTE = re.compile(r"""(\s(?:src|href)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
INLINE_STYLE = re.compile(r"""<[a-z][^>]*\sstyle\s*=""", re.I)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.I)
ELEMENT = re.compile(r"<(script|style|iframe|frame|object|embed)\b([^>]*)>", re.I)
IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(["'])(.*?)\1""", re.I | re.S)


@dataclass
class Findings:
    site_refs: set[str] = field(default_factory=set)  # root-relative paths the page uses
    blocked: list[tuple[str, int]] = field(default_factory=list)  # (what, line in the body)


def is_relative(url: str) -> bool:
    """A path relative to the page: no scheme, no host, not root-relative, not a fragment or query."""
    if not url or url.startswith(("/", "#", "?")):
        return False
    return not urlsplit(url).scheme


def resolve(url: str, base: str | None, found: Findings) -> str:
    if base is not None and is_relative(url):
        url = urljoin(base, url)
    if url.startswith("/") and not url.startswith("//"):
        found.site_refs.add(urlsplit(url).path)
    return url


def tokens_with_lines(tokens: list[Token]) -> Iterator[tuple[Token, int]]:
    """Every token, inline children included, with the body line (1-based) it starts on."""
    line = 1
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        yield token, line
        inline_line = line
        for child in token.children or ():
            yield child, inline_line
            if child.type in ("softbreak", "hardbreak"):
                inline_line += 1


def check_image(url: str, line: int, policy: Policy, found: Findings) -> None:
    if urlsplit(url).scheme in ("http", "https") and not policy.allows("img-src", url):
        found.blocked.append((f"image from {urlsplit(url).hostname}", line))


def check_raw_html(html: str, first_line: int, policy: Policy, found: Findings) -> None:
    """Note what the policy blocks in one piece of raw HTML, each with the line it is on."""

    def line_of(match: re.Match[str]) -> int:
        return first_line + html.count("\n", 0, match.start())

    for element_match in ELEMENT.finditer(html):
        element, attributes = element_match.groups()
        line = line_of(element_match)
        name = element.lower()
        src = re.search(r"""\ssrc\s*=\s*["']([^"']*)""", attributes, re.I)
        if name == "script":
            allowed = policy.allows("script-src", src.group(1)) if src else policy.allows("script-src", inline=True)
            what = f"script from {urlsplit(src.group(1)).hostname or 'the page'}" if src else "inline script"
        elif name == "style":
            allowed, what = policy.allows("style-src", inline=True), "style element"
        elif name in ("iframe", "frame"):
            allowed = bool(src) and policy.allows("frame-src", src.group(1) if src else None)
            what = f"frame from {urlsplit(src.group(1)).hostname if src else 'nowhere'}"
        else:
            allowed, what = policy.allows("object-src", src.group(1) if src else None), f"<{name}> element"
        if not allowed:
            found.blocked.append((what, line))
    if not policy.allows("style-src", inline=True):
        found.blocked += [("style attribute", line_of(match)) for match in INLINE_STYLE.finditer(html)]
    if not policy.allows("script-src", inline=True):
        found.blocked += [("event handler attribute", line_of(match)) for match in EVENT_HANDLER.finditer(html)]
    for match in IMG_SRC.finditer(html):
        check_image(match.group(2), line_of(match), policy, found)


def visit(tokens: list[Token], base: str | None, policy: Policy) -> Findings:
    """Rewrite relative references against ``base`` (a bundle's folder URL) and note what the policy blocks."""
    found = Findings()
    for token, line in tokens_with_lines(tokens):
        if token.type == "link_open":
            token.attrSet("href", resolve(str(token.attrGet("href") or ""), base, found))
        elif token.type == "image":
            src = resolve(str(token.attrGet("src") or ""), base, found)
            token.attrSet("src", src)
            check_image(src, line, policy, found)
        elif token.type in ("html_block", "html_inline"):
            check_raw_html(token.content, line, policy, found)
            token.content = ATTRIBUTE.sub(
                lambda match: match.group(1) + match.group(2) + resolve(match.group(3), base, found) + match.group(2),
                token.content,
            )
    return found
