"""Markdown to an HTML fragment: CommonMark, tables, strikethrough, footnotes,
self-linking headings, highlighted code and an optional table of contents."""

import re
import unicodedata
from dataclasses import dataclass
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from cmd.rendermd import references
from cmd.rendermd.highlight import render_fence
from cmd.shared.csp import BASE, Policy

WORDS_PER_MINUTE = 230
TOC_LEVELS = (2, 3)
EXCERPT_CHARS = 240
FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d+(?::\d+)?")  # the ids the footnote plugin gives
MORE = re.compile(r"\s*<!--\s*more\s*-->\s*$")
DEFAULT_POLICY = Policy(tuple(BASE.items()))
# `## Title {#custom-id}` (Hugo, Zola, kramdown): the id is the author's, the braces never shown.
CUSTOM_ID = re.compile(r"\s*\{#([^\s{}]+)(?:\s[^{}]*)?\}\s*$")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[Heading, ...]
    words: int
    excerpt: str
    site_refs: tuple[str, ...] = ()  # root-relative paths the body uses
    blocked: tuple[tuple[str, int], ...] = ()  # what the Content-Security-Policy will block, with its line

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / WORDS_PER_MINUTE))


def _code_rule(self: object, tokens: list[Token], idx: int, options: object, env: object) -> str:
    """Fenced and indented code alike (an indented block's info string is empty)."""
    token = tokens[idx]
    return render_fence(token.content, token.info)


def heading_id(title: str) -> str:
    """GitHub's ids: lowercase, punctuation dropped, each space a hyphen.

    Never empty (a heading of symbols) nor one of the footnote plugin's ids.
    """
    kept = "".join(ch for ch in title.strip().lower() if ch.isalnum() or ch in " -_" or unicodedata.combining(ch))
    slug = kept.replace(" ", "-").strip("-") or "section"
    return f"{slug}-section" if FOOTNOTE_ID.fullmatch(slug) else slug


class UniqueIds:
    """Hands out ids, adding -1, -2... to repeats as GitHub does, in time linear in their number."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def take(self, wanted: str) -> str:
        candidate = wanted
        suffix = self.next_suffix.get(wanted, 0)
        while candidate in self.used:
            suffix += 1
            candidate = f"{wanted}-{suffix}"
        self.next_suffix[wanted] = suffix
        self.used.add(candidate)
        return candidate


def take_custom_id(inline: Token) -> str | None:
    """Remove a trailing ``{#id}`` from the heading's text and return the id."""
    match = CUSTOM_ID.search(inline.content)
    last = inline.children[-1] if inline.children else None
    if match is None or last is None or last.type != "text" or not CUSTOM_ID.search(last.content):
        return None
    last.content = CUSTOM_ID.sub("", last.content)
    inline.content = inline.content[: match.start()]
    return match.group(1)


def _heading_ids(state: StateCore) -> None:
    """An id and a self-link on every heading; the permalink comes first, as a "#"."""
    ids = UniqueIds()
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        custom = take_custom_id(inline)
        heading = ids.take(custom or heading_id(plain_text(inline)))
        token.attrSet("id", heading)
        # Raw HTML, not link and text tokens: the heading's words (for the table of contents
        # and the excerpt) are its text tokens alone.
        # The "#" alone tells a screen reader nothing: the link is named after its section.
        words = " ".join(plain_text(inline).split())
        label = escape(f"Link to this section: {words}" if words else "Link to this section")
        link = f'<a class="header-anchor" href="#{escape(heading)}" aria-label="{label}">#</a> '
        inline.children = [Token("html_inline", "", 0, content=link), *(inline.children or ())]


def _cell_alignment_as_class(state: StateCore) -> None:
    """Table alignment as a class, not an inline style: the server's CSP forbids inline styles."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrGet("style")
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrs.pop("style")
                token.attrSet("class", f"align-{style.removeprefix('text-align:')}")


def make_parser() -> MarkdownIt:
    """One configured parser; building it costs more than a small article, so reuse it."""
    md = MarkdownIt("commonmark", {"typographer": False}).enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("cell_alignment", _cell_alignment_as_class)
    md.add_render_rule("fence", _code_rule)
    md.add_render_rule("code_block", _code_rule)
    return md


def headings(tokens: list[Token]) -> tuple[Heading, ...]:
    """The table of contents: h2 and h3 with the ids the anchors plugin gave them."""
    toc = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and int(token.tag[1]) in TOC_LEVELS:
            inline = tokens[index + 1]
            toc.append(Heading(int(token.tag[1]), str(token.attrGet("id")), plain_text(inline).strip()))
    return tuple(toc)


def count_words(tokens: list[Token]) -> int:
    """Words a reader reads: prose and code alike, markup excluded."""
    total = 0
    for token in tokens:
        if token.type == "inline":
            total += len(token.content.split())
        elif token.type in ("fence", "code_block"):
            total += len(re.findall(r"\w+", token.content)) // 2  # code is skimmed
    return total


def plain_text(inline: Token) -> str:
    """The words of an inline run, line breaks as spaces (they separate words too)."""
    return "".join(
        child.content if child.type in ("text", "code_inline") else " "
        for child in inline.children or ()
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    )


def excerpt(tokens: list[Token], limit: int = EXCERPT_CHARS) -> str:
    """The summary when the author gave none, as plain text cut at a word.

    The paragraphs before a ``<!--more-->`` line (Hugo, Zola, Jekyll's common
    excerpt separator), else the first paragraph.
    """
    cut = next((i for i, token in enumerate(tokens) if token.type == "html_block" and MORE.match(token.content)), None)
    paragraphs = [
        " ".join(plain_text(tokens[index + 1]).split())
        for index, token in enumerate(tokens[:cut])
        if token.type == "paragraph_open" and token.level == 0
    ]
    if cut is None:
        paragraphs = paragraphs[:1]
    text = " ".join(paragraph for paragraph in paragraphs if paragraph)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def render(md: MarkdownIt, text: str, *, asset_base: str | None = None, policy: Policy = DEFAULT_POLICY) -> Rendered:
    """The body as HTML, with what it contains and refers to.

    ``asset_base`` is a page bundle's folder URL: relative links resolve against it.
    """
    env: dict[str, object] = {}
    tokens = md.parse(text, env)
    found = references.visit(tokens, asset_base, policy)
    html = md.renderer.render(tokens, md.options, env)
    return Rendered(
        html,
        headings(tokens),
        count_words(tokens),
        excerpt(tokens),
        tuple(sorted(found.site_refs)),
        tuple(found.blocked),
    )
