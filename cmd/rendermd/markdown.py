"""Markdown to an HTML fragment: CommonMark, tables, strikethrough, footnotes,
self-linking headings, highlighted code and an optional table of contents.

pulldown-cmark (Rust, through pyromark) parses; its stream of events is written
out as HTML here, in the layout markdown-it gave before it (the same tags, the
same newlines), while the page's headings, words, excerpt and references are
noted on the way.  One pass, no syntax tree.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, NamedTuple

import pyromark

from cmd.rendermd import references
from cmd.rendermd.highlight import HIGHLIGHT_BUDGET, render_fence
from cmd.shared.csp import BASE, Policy

WORDS_PER_MINUTE = 230
TOC_LEVELS = (2, 3)
EXCERPT_CHARS = 240
FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d+(?::\d+)?")  # the ids footnotes and their references take
ASCII_DROPPED = re.compile(r"[^a-z0-9 _-]")  # what an ASCII heading loses in its id
MORE = re.compile(r"\s*<!--\s*more\s*-->\s*$")
DEFAULT_POLICY = Policy(tuple(BASE.items()))
# `## Title {#custom-id}` (Hugo, Zola, kramdown): the id is the author's, the braces never shown.
CUSTOM_ID = re.compile(r"\s*\{#([^\s{}]+)(?:\s[^{}]*)?\}\s*$")
OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    # pulldown-cmark strikes ~single~ tildes too, unless they mean subscript: asked for
    # subscript, they are written back as the tildes they were (CommonMark: plain text).
    | pyromark.Options.ENABLE_SUBSCRIPT
)
ALIGNMENT = {
    "None": "",
    "Left": ' class="align-left"',
    "Center": ' class="align-center"',
    "Right": ' class="align-right"',
}
INLINE_EVENTS = frozenset({"Text", "Code", "InlineHtml", "FootnoteReference", "SoftBreak", "HardBreak"})
INLINE_TAGS = frozenset({"Emphasis", "Strong", "Strikethrough", "Subscript", "Link", "Image"})
BACK = "\u21a9\ufe0e"  # ↩ as text, not as an emoji (iOS)
# What a numeric reference (&#1;) must not become: controls, noncharacters (and form feed,
# which XML cannot carry either). markdown-it made them U+FFFD; the feeds need it.
NOT_REFERABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)

Parser = pyromark.Markdown
Handler = Callable[[Any], None]


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
    plain_code_blocks: int = 0  # code blocks past the page's highlighting budget

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / WORDS_PER_MINUTE))


def make_parser() -> Parser:
    """One configured parser, reused for every page."""
    return pyromark.Markdown(options=OPTIONS)


def escape_html(text: str) -> str:
    """Text or an attribute value as HTML: ``&``, ``<``, ``>`` and ``"`` escaped, quotes kept."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def heading_id(title: str) -> str:
    """GitHub's ids: lowercase, punctuation dropped, each space a hyphen.

    Never empty (a heading of symbols) nor one of the footnotes' ids.
    """
    title = title.strip().lower()
    if title.isascii():  # most titles: one regex, the same result
        kept = ASCII_DROPPED.sub("", title)
    else:
        kept = "".join(ch for ch in title if ch.isalnum() or ch in " -_" or unicodedata.combining(ch))
    slug = kept.replace(" ", "-").strip("-") or "section"
    return f"{slug}-section" if FOOTNOTE_ID.fullmatch(slug) else slug


def self_link(heading: str, words: str) -> str:
    """The permalink that opens each heading, as a "#".

    The "#" alone tells a screen reader nothing: the link is named after its section.
    """
    words = " ".join(words.split())
    label = escape(f"Link to this section: {words}" if words else "Link to this section")
    return f'<a class="header-anchor" href="#{escape(heading)}" aria-label="{label}">#</a> '


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


def cut_excerpt(paragraphs: list[list[str]], limit: int = EXCERPT_CHARS) -> str:
    """The summary when the author gave none, as plain text cut at a word."""
    words = (" ".join("".join(paragraph).split()) for paragraph in paragraphs)
    text = " ".join(paragraph for paragraph in words if paragraph)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


@dataclass
class Notes:
    """What the body holds besides its HTML: for the page, its feeds and its warnings."""

    toc: list[Heading] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # the text a reader reads, blocks apart
    code_words: int = 0
    highlighted_chars: int = 0  # code highlighted so far, against highlight.HIGHLIGHT_BUDGET
    plain_code_blocks: int = 0  # blocks past the budget, shown without highlighting
    paragraphs: list[list[str]] = field(default_factory=list)  # top-level paragraphs' text, up to the cut
    cut: bool = False  # a <!--more--> line was met: the excerpt is everything before it
    site_refs: set[str] = field(default_factory=set)
    blocked: list[tuple[str, int, int]] = field(default_factory=list)  # (what, landmark, lines into it)


@dataclass
class Definition:
    """A footnote's text, and what it refers to and blocks: they count only if the footnote is shown."""

    body: list[str]
    ends_in_paragraph: bool
    site_refs: set[str] = field(default_factory=set)
    blocked: list[tuple[str, int, int]] = field(default_factory=list)


class Footnotes:
    """Numbers footnotes in the order first referenced and writes the referenced ones last,
    each linking back to every reference (the ids and classes markdown-it's plugin gave)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[int]] = {}  # label -> [number, references so far]
        self.definitions: dict[str, Definition] = {}

    def reference(self, label: str) -> str:
        counts = self.calls.setdefault(label, [len(self.calls) + 1, 0])
        number, repeat = counts
        counts[1] += 1
        suffix = f":{repeat}" if repeat else ""
        return (
            f'<sup class="footnote-ref"><a href="#fn{number}" id="fnref{number}{suffix}">[{number}{suffix}]</a></sup>'
        )

    def define(self, label: str, definition: Definition) -> None:
        self.definitions[label] = definition  # the last of two with one label, as markdown-it had it

    def definition(self, label: str) -> Definition:
        """The footnote's text; pulldown-cmark matches labels regardless of case when none matches exactly."""
        if label in self.definitions:
            return self.definitions[label]
        folded = label.casefold()
        found = (definition for name, definition in self.definitions.items() if name.casefold() == folded)
        return next(found, Definition([], ends_in_paragraph=False))

    def section(self, notes: Notes) -> str:
        """The footnotes' HTML; what the shown ones refer to and block joins the page's notes."""
        if not self.calls:
            return ""
        items = []
        for label, (number, calls) in self.calls.items():
            definition = self.definition(label)
            notes.site_refs |= definition.site_refs
            notes.blocked += definition.blocked
            links = "".join(
                f' <a href="#fnref{number}{f":{repeat}" if repeat else ""}" class="footnote-backref">{BACK}</a>'
                for repeat in range(max(calls, 1))
            )
            body = definition.body
            inner = "".join(body[:-1]) + links + body[-1] if definition.ends_in_paragraph else "".join(body) + links
            items.append(f'<li id="fn{number}" class="footnote-item">{inner}</li>\n')
        return (
            '<hr class="footnotes-sep" />\n<section class="footnotes">\n<ol class="footnotes-list">\n'
            + "".join(items)
            + "</ol>\n</section>\n"
        )


@dataclass
class Table:
    alignments: tuple[str, ...] = ()  # each column's class attribute
    column: int = 0
    in_head: bool = False
    body_rows: bool = False


class Outside(NamedTuple):
    """What the writer was doing when a footnote's text began: it resumes after it."""

    label: str
    pending_newline: int
    item_text: bool
    hidden_paragraph: bool
    site_refs: set[str]
    blocked_from: int


class HtmlWriter:
    """Writes pulldown-cmark's events as HTML in markdown-it's layout, noting what the body holds.

    markdown-it ends each block tag with a newline, except an opening tag followed by text or
    by its own closing tag; in a tight list its paragraphs are hidden (their text sits in the
    ``<li>``, and a newline separates it from a block after it).  pulldown-cmark gives such
    text straight inside the item, so the writer looks at the event after an ``<li>``.

    Handlers are looked up by event name in ``self.on``, which changes inside code and HTML
    blocks (their text is gathered), images (only the alt text counts) and autolinks.
    """

    def __init__(self, base: str | None, policy: Policy, kept: Path | None = None) -> None:
        self.base, self.policy, self.kept = base, policy, kept  # kept: highlighted blocks (highlight.py)
        self.notes = Notes()
        self.footnotes = Footnotes()
        self.out: list[str] = []
        self.saved: list[list[str]] = []  # the outer output while a heading or footnote is written apart
        self.blocks: list[str] = []  # the open blocks, innermost last
        self.pending_newline = -1  # where the newline after <li> or <blockquote> is, until what follows decides
        self.item_text = False  # directly in a list item: text here is a tight item's hidden paragraph
        self.hidden_paragraph = False
        self.plain: list[str] | None = None  # the words of the heading or top-level paragraph being written
        self.last_text_at = -1  # where the last text went in the output: a heading's {#id} is in it
        self.ids = UniqueIds()
        self.heading_level = 0
        self.closers: list[str] = []  # what ends each open link: "</a>", or "" for a refused one
        self.table = Table()
        self.raw: list[str] = []  # a code or HTML block's text, or an image's alt text
        self.code_info = ""
        self.image: tuple[str, str, int] = ("", "", 0)  # src, title and landmark
        self.image_depth = 0
        self.landmarks = 0  # HTML blocks, inline HTML and images so far: a blocked one's line is found by it
        self.outside: list[Outside] = []
        self.last_closed = ""
        self.starts, self.ends = self._block_handlers()
        self.normal: dict[str, Handler] = {
            "Start": lambda tag: dispatch(self.starts, tag),
            "End": lambda tag: dispatch(self.ends, tag),
            "Text": self._text,
            "Code": self._code,
            "InlineHtml": self._raw_html,
            "FootnoteReference": lambda label: self.out.append(self.footnotes.reference(label)),
            "SoftBreak": lambda _: self._break("\n"),
            "HardBreak": lambda _: self._break("<br />\n"),
            "Rule": self._rule,
        }
        self.autolink = {**self.normal, "Text": lambda text: self._text(references.link_text(text))}
        self.code_block = {"Text": self.raw.append, "End": self._code_block_end}
        # An HTML block's indentation inside a container comes as text.
        self.html_block = {"Html": self.raw.append, "Text": self.raw.append, "End": self._html_block_end}
        self.image_alt = self._image_handlers()
        self.on = self.normal

    def _block_handlers(self) -> tuple[dict[str, Handler], dict[str, Handler]]:
        starts: dict[str, Handler] = {
            "Paragraph": self._paragraph,
            "Heading": self._heading,
            "BlockQuote": lambda _: self._open_waiting("BlockQuote", "<blockquote>"),
            "CodeBlock": self._code_block,
            "HtmlBlock": self._html_block,
            "List": self._list,
            "Item": self._item,
            "FootnoteDefinition": self._definition,
            "Table": self._table,
            "TableHead": self._table_head,
            "TableRow": self._table_row,
            "TableCell": self._table_cell,
            "Link": self._link,
            "Image": self._image,
            "Emphasis": lambda _: self.out.append("<em>"),
            "Strong": lambda _: self.out.append("<strong>"),
            "Strikethrough": lambda _: self.out.append("<s>"),
            # Tildes pulldown-cmark took for subscript are text, as CommonMark has them.
            "Subscript": lambda _: self._text("~"),
        }
        ends: dict[str, Handler] = {
            "Paragraph": self._paragraph_end,
            "Heading": self._heading_end,
            "BlockQuote": lambda _: self._close("</blockquote>\n"),
            "List": lambda ordered: self._close("</ol>\n" if ordered else "</ul>\n"),
            "Item": lambda _: self._close("</li>\n"),
            "FootnoteDefinition": self._definition_end,
            "Table": lambda _: self._close(("</tbody>\n" if self.table.body_rows else "") + "</table>\n"),
            "TableHead": self._table_head_end,
            "TableRow": lambda _: self._close("</tr>\n"),
            "TableCell": self._table_cell_end,
            "Link": self._link_end,
            "Emphasis": lambda _: self.out.append("</em>"),
            "Strong": lambda _: self.out.append("</strong>"),
            "Strikethrough": lambda _: self.out.append("</s>"),
            "Subscript": lambda _: self._text("~"),
        }
        return starts, ends

    def _image_handlers(self) -> dict[str, Handler]:
        """Inside an image only its alt text counts: markup is dropped, raw HTML kept as text."""

        def alt_html(html: str) -> None:
            self.landmarks += 1
            self.raw.append(html)

        return {
            "Start": self._image_alt_start,
            "End": self._image_alt_end,
            "Text": self.raw.append,
            "Code": self.raw.append,
            "InlineHtml": alt_html,
            "FootnoteReference": lambda _: None,
            "SoftBreak": lambda _: self.raw.append("\n"),
            "HardBreak": lambda _: self.raw.append("\n"),
        }

    # The event loop and markdown-it's newlines.

    def feed(self, events: Iterable[Any]) -> None:
        for event in events:
            if self.pending_newline >= 0 or self.item_text:
                self._layout(event)
            dispatch(self.on, event)

    def _layout(self, event: Any) -> None:
        """After <li> or <blockquote>, or directly in an item: is what follows text, an end or a block?"""
        if type(event) is str:
            kind, inline = event, event != "Rule"
        else:
            [(kind, value)] = event.items()
            tag = _tag(value) if kind == "Start" else ""
            if tag == "FootnoteDefinition":  # written apart: what comes after it decides
                return
            inline = kind in INLINE_EVENTS or tag in INLINE_TAGS
        if self.pending_newline >= 0:
            if inline or kind == "End":
                self.out[self.pending_newline] = ""
            self.pending_newline = -1
        if self.item_text and inline:
            self.item_text = False
            self.hidden_paragraph = True

    def _open(self, name: str, html: str, *, after_item_text: str = "\n") -> None:
        if self.hidden_paragraph:
            self.hidden_paragraph = False
            html = after_item_text + html
        self.item_text = False
        self.blocks.append(name)
        self.notes.words.append(" ")
        self.out.append(html)

    def _open_waiting(self, name: str, html: str) -> None:
        """Open a block whose newline depends on what follows (an empty one has none)."""
        self._open(name, html)
        self.pending_newline = len(self.out)
        self.out.append("\n")

    def _close(self, html: str) -> None:
        self.last_closed = self.blocks.pop()
        self.hidden_paragraph = False
        self.item_text = bool(self.blocks) and self.blocks[-1] == "Item"
        self.notes.words.append(" ")
        self.out.append(html)

    # Inline content.

    def _text(self, text: str) -> None:
        self.last_text_at = len(self.out)
        self.out.append(escape_html(text))
        self.notes.words.append(text)
        if self.plain is not None:
            self.plain.append(text)

    def _code(self, code: str) -> None:
        self.out.append(f"<code>{escape_html(code)}</code>")
        self.notes.words.append(code)
        if self.plain is not None:
            self.plain.append(code)

    def _break(self, html: str) -> None:
        """A line break separates words, as a space does."""
        self.out.append(html)
        self.notes.words.append(" ")
        if self.plain is not None:
            self.plain.append(" ")

    def _raw_html(self, html: str) -> None:
        """Raw HTML passes through, its links resolved; what the policy blocks in it is noted."""
        for what, lines_before in references.blocked_in_html(html, self.policy):
            self.notes.blocked.append((what, self.landmarks, lines_before))
        self.landmarks += 1
        self.out.append(references.resolve_in_html(html, self.base, self.notes.site_refs))

    def _link(self, link: dict[str, str]) -> None:
        """A link, unless its scheme could run code: then its text alone."""
        url = "mailto:" + link["dest_url"] if link["link_type"] == "Email" else link["dest_url"]
        href = references.normalize_link(url)
        if href is None:
            self.closers.append("")
            return
        href = references.resolve(href, self.base, self.notes.site_refs)
        title = f' title="{escape_html(link["title"])}"' if link["title"] else ""
        self.out.append(f'<a href="{escape_html(href)}"{title}>')
        self.closers.append("</a>")
        if link["link_type"] in ("Autolink", "Email"):
            self.on = self.autolink

    def _link_end(self, _: None) -> None:
        self.out.append(self.closers.pop())
        self.on = self.normal

    def _image(self, image: dict[str, str]) -> None:
        self.image = (image["dest_url"], image["title"], self.landmarks)
        self.landmarks += 1
        self.image_depth = 1
        self.raw.clear()
        self.on = self.image_alt

    def _image_alt_start(self, tag: Any) -> None:
        if _tag(tag) == "Image":
            self.landmarks += 1
            self.image_depth += 1

    def _image_alt_end(self, tag: Any) -> None:
        if tag == "Image":
            self.image_depth -= 1
            if not self.image_depth:
                self._image_end()

    def _image_end(self) -> None:
        """The image, or its alt text alone when its scheme could run code."""
        url, title, landmark = self.image
        alt = "".join(self.raw)
        self.on = self.normal
        src = references.normalize_link(url)
        if src is None:
            self.out.append(escape_html(alt))
            return
        src = references.resolve(src, self.base, self.notes.site_refs)
        blocked = references.blocked_image(src, self.policy)
        if blocked is not None:
            self.notes.blocked.append((blocked, landmark, 0))
        title = f' title="{escape_html(title)}"' if title else ""
        self.out.append(f'<img src="{escape_html(src)}" alt="{escape_html(alt)}"{title} />')

    # Blocks.

    def _paragraph(self, _: None) -> None:
        if not self.blocks and not self.notes.cut:
            self.plain = []
        self._open("Paragraph", "<p>")

    def _paragraph_end(self, _: None) -> None:
        self._close("</p>\n")
        if self.plain is not None:
            self.notes.paragraphs.append(self.plain)
            self.plain = None

    def _heading(self, heading: dict[str, Any]) -> None:
        self._open("Heading", "")
        self.heading_level = int(heading["level"][1])
        self.saved.append(self.out)
        self.out, self.plain, self.last_text_at = [], [], -1

    def _heading_end(self, _: str) -> None:
        """The heading with its id (generated, or the author's ``{#id}``) and its self-link."""
        inner, plain, level = self.out, self.plain or [], self.heading_level
        self.out, self.plain = self.saved.pop(), None
        custom = None
        if 0 <= self.last_text_at == len(inner) - 1:  # ends in text: it may end in {#id}, never in blanks
            match = CUSTOM_ID.search(plain[-1])
            custom = match.group(1) if match else None
            plain[-1] = self.notes.words[-1] = plain[-1][: match.start() if match else None].rstrip(" \t")
            inner[-1] = escape_html(plain[-1])
        text = "".join(plain)
        ident = self.ids.take(custom or heading_id(text))
        if level in TOC_LEVELS:
            self.notes.toc.append(Heading(level, ident, text.strip()))
        self._close(f'<h{level} id="{escape_html(ident)}">{self_link(ident, text)}{"".join(inner)}</h{level}>\n')

    def _rule(self, _: None) -> None:
        html = "<hr />\n"
        if self.hidden_paragraph:
            self.hidden_paragraph = False
            html = "\n" + html
        self.out.append(html)
        self.item_text = bool(self.blocks) and self.blocks[-1] == "Item"

    def _code_block(self, kind: Any) -> None:
        self._open("CodeBlock", "", after_item_text="")
        self.code_info = kind["Fenced"] if type(kind) is dict else ""
        self.raw.clear()
        self.on = self.code_block

    def _code_block_end(self, _: str) -> None:
        """Fenced and indented code alike (an indented block has no info string)."""
        code = "".join(self.raw)
        self.notes.code_words += len(re.findall(r"\w+", code)) // 2  # code is skimmed
        self.on = self.normal
        highlight = self.notes.highlighted_chars + len(code) <= HIGHLIGHT_BUDGET
        if highlight:
            self.notes.highlighted_chars += len(code)
        else:
            self.notes.plain_code_blocks += 1
        self._close(render_fence(code, self.code_info, highlight=highlight, kept=self.kept))

    def _html_block(self, _: None) -> None:
        self._open("HtmlBlock", "", after_item_text="")
        self.raw.clear()
        self.on = self.html_block

    def _html_block_end(self, _: str) -> None:
        html = "".join(self.raw)
        if not self.notes.cut and MORE.match(html):
            self.notes.cut = True
        self.on = self.normal
        self._raw_html(html)
        self._close("")

    def _list(self, start: int | None) -> None:
        if start is None:
            self._open("List", "<ul>\n")
        else:
            self._open("List", "<ol>\n" if start == 1 else f'<ol start="{start}">\n')

    def _item(self, _: None) -> None:
        self._open_waiting("Item", "<li>")
        self.item_text = True

    def _table(self, alignments: tuple[str, ...]) -> None:
        """Alignment as a class, not an inline style: the server's CSP forbids inline styles."""
        self._open("Table", "<table>\n")
        self.table = Table(tuple(ALIGNMENT[alignment] for alignment in alignments))

    def _table_head(self, _: None) -> None:
        self._open("TableHead", "<thead>\n<tr>\n")
        self.table.in_head, self.table.column = True, 0

    def _table_head_end(self, _: None) -> None:
        self._close("</tr>\n</thead>\n")
        self.table.in_head = False

    def _table_row(self, _: None) -> None:
        self._open("TableRow", "<tr>\n" if self.table.body_rows else "<tbody>\n<tr>\n")
        self.table.body_rows, self.table.column = True, 0

    def _table_cell(self, _: None) -> None:
        table = self.table
        alignment = table.alignments[table.column] if table.column < len(table.alignments) else ""
        self._open("TableCell", f"<{'th' if table.in_head else 'td'}{alignment}>")

    def _table_cell_end(self, _: None) -> None:
        self._close("</th>\n" if self.table.in_head else "</td>\n")
        self.table.column += 1

    def _definition(self, label: str) -> None:
        """A footnote's text is written apart, as if it were not there, and placed at the end if called."""
        notes = self.notes
        self.outside.append(
            Outside(
                label, self.pending_newline, self.item_text, self.hidden_paragraph, notes.site_refs, len(notes.blocked)
            )
        )
        self.blocks.append("FootnoteDefinition")
        self.saved.append(self.out)
        self.out, notes.site_refs, self.last_closed = [], set(), ""
        self.pending_newline, self.item_text, self.hidden_paragraph = -1, False, False

    def _definition_end(self, _: str) -> None:
        notes, outside = self.notes, self.outside.pop()
        ends_in_paragraph = self.last_closed == "Paragraph"
        definition = Definition(self.out, ends_in_paragraph, notes.site_refs, notes.blocked[outside.blocked_from :])
        self.footnotes.define(outside.label, definition)
        del notes.blocked[outside.blocked_from :]
        notes.site_refs = outside.site_refs
        self.pending_newline, self.item_text = outside.pending_newline, outside.item_text
        self.hidden_paragraph = outside.hidden_paragraph
        self.out = self.saved.pop()
        self.blocks.pop()

    def finish(self) -> str:
        """The HTML, footnotes last; what they refer to and block joins the notes."""
        return "".join(self.out) + self.footnotes.section(self.notes)


def dispatch(handlers: dict[str, Handler], event: Any) -> None:
    """Call the handler of an event or tag: a bare name (``"Rule"``) or a one-key dict (``{"Link": {...}}``)."""
    if type(event) is str:
        handlers[event](None)
    else:
        for name, value in event.items():
            handlers[name](value)


def _referable(event: Any) -> Any:
    """The event with the characters a numeric reference must not give replaced by U+FFFD."""
    if type(event) is str:
        return event
    [(kind, value)] = event.items()
    if kind == "Text":
        return {"Text": NOT_REFERABLE.sub("\ufffd", value)}
    if kind == "Start" and _tag(value) in ("Link", "Image"):
        [(tag, link)] = value.items()
        return {"Start": {tag: {key: NOT_REFERABLE.sub("\ufffd", part) for key, part in link.items()}}}
    if kind == "Start" and _tag(value) == "CodeBlock" and type(value["CodeBlock"]) is dict:
        return {"Start": {"CodeBlock": {"Fenced": NOT_REFERABLE.sub("\ufffd", value["CodeBlock"]["Fenced"])}}}
    return event


def events(md: Parser, text: str) -> Iterable[Any]:
    """The document's events; a numeric reference checked only where the text has one."""
    found = md.events(text)
    return map(_referable, found) if "&#" in text else found


def _tag(start: Any) -> str:
    """The name of a start event's tag: ``"Paragraph"``, or the key of ``{"Link": {...}}``."""
    return start if type(start) is str else next(iter(start))


def landmark_lines(md: Parser, text: str, wanted: set[int]) -> dict[int, int]:
    """The body line (1-based) each wanted landmark (HTML block, inline HTML, image) starts on.

    A second pass, with source ranges, taken only when something is blocked: ranges
    make parsing three times slower, and most pages block nothing.
    """
    data = text.encode()
    lines: dict[int, int] = {}
    landmark, line, counted = -1, 1, 0
    for event, span in md.events_with_range(text, merge_text=True):
        if isinstance(event, str):
            continue
        [(kind, value)] = event.items()
        if kind == "InlineHtml" or (kind == "Start" and (value == "HtmlBlock" or _tag(value) == "Image")):
            landmark += 1
            if landmark in wanted:
                start = span["start"]
                if start < counted:  # ranges come in order; never count the same newlines twice
                    line, counted = 1, 0
                line, counted = line + data.count(b"\n", counted, start), start
                lines[landmark] = line
    return lines


def render(
    md: Parser, text: str, *, asset_base: str | None = None, policy: Policy = DEFAULT_POLICY, kept: Path | None = None
) -> Rendered:
    """The body as HTML, with what it contains and refers to.

    ``asset_base`` is a page bundle's folder URL: relative links resolve against it;
    ``kept`` a folder of code blocks highlighted before (see highlight.highlighted_lines).
    """
    writer = HtmlWriter(asset_base, policy, kept)
    writer.feed(events(md, text))
    html = writer.finish()
    notes = writer.notes
    blocked: tuple[tuple[str, int], ...] = ()
    if notes.blocked:
        lines = landmark_lines(md, text, {landmark for _, landmark, _ in notes.blocked})
        blocked = tuple((what, lines[landmark] + below) for what, landmark, below in notes.blocked)
    return Rendered(
        html,
        tuple(notes.toc),
        len("".join(notes.words).split()) + notes.code_words,
        cut_excerpt(notes.paragraphs if notes.cut else notes.paragraphs[:1]),
        tuple(sorted(notes.site_refs)),
        blocked,
        notes.plain_code_blocks,
    )
