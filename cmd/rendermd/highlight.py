"""Fenced code blocks: Pygments highlighting with CSS classes, optional line numbers.

Pygments' HtmlFormatter wraps its output in a ``<div>``, which has no place in
the ``<pre>`` a code block is.  So the fence is rendered here as a whole:
Pygments emits only the highlighted lines (``nowrap``, lexed through
cmd.rendermd.lexing, which gives its tokens faster) and this module adds the
single ``<pre><code>`` around them, and the line numbers itself.
"""

import functools
import hashlib
import io
import re
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from cmd.shared.files import read_checked, write_checked

if TYPE_CHECKING:  # Pygments is imported when a block is lexed: a page whose blocks are all kept needs none of it
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

CSS_CLASS = "highlight"
LANG_RE = re.compile(r"\s*(?:\{\s*\.([^\s,={}]+)|([^\s,={}]+))")
ATTR_RE = re.compile(r"""([A-Za-z_][\w-]*)\s*=\s*("[^"]*"|'[^']*'|\[[^\]]*\]|[^,\s}]+)""")
TAB_SIZE = 4
TRUE_WORDS = frozenset({"true", "table", "inline", "yes", "1"})
# Pygments lexes a few hundred KB a second: a page highlights this many characters of code,
# and blocks past them are shown plain (still escaped, numbered and marked), so that one
# hostile or generated page cannot hold a build for minutes.
HIGHLIGHT_BUDGET = 128 * 1024


def parse_info(info: str) -> tuple[str, dict[str, str]]:
    """Split a fence's info string into its language and Hugo-style attributes.

    The language is the first word, whatever follows it: ``go {linenos=table}``,
    ``rust,ignore`` and ``rust=`` (rustdoc), ``python title="x.py"``, ``{.python}``
    (Pandoc and kramdown).
    """
    match = LANG_RE.match(info)
    lang = (match.group(1) or match.group(2)) if match else ""
    rest = info[match.end() :] if match else info
    attrs = {key.lower(): value.strip("\"'") for key, value in ATTR_RE.findall(rest)}
    return lang.lower(), attrs


def line_set(spec: str, lowest: int, highest: int) -> frozenset[int]:
    """``[2,"4-6"]`` or ``2 4-6`` -> {2, 4, 5, 6}, kept within the block; anything unreadable is ignored."""
    lines: set[int] = set()
    for item in re.findall(r"\d+(?:-\d+)?", spec):
        first, _, last = item.partition("-")
        lines.update(range(max(int(first), lowest), min(int(last or first), highest) + 1))
    return frozenset(lines)


@functools.cache
def lexer_for(lang: str) -> "Lexer | None":
    """The lexer for a language name, or None for a missing or unknown one (shown as plain text)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if not lang:
        return None
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.cache
def formatter() -> "HtmlFormatter[str]":
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True, classprefix="")


def highlighted_lines(code: str, lang: str, kept: Path | None = None) -> list[str]:
    """The code as HTML, one string per source line, each with balanced tags.

    ``kept``: a folder of blocks highlighted before (see cmd.rendermd.build), by language and code.
    Compiling a lexer's rules costs more than lexing a page's code: an article edited
    around unchanged code blocks takes their HTML from there, without importing Pygments.
    """
    # Tabs become spaces here, not in each lexer (some have their own idea of a tab): after
    # a line-number span a tab would only reach the next tab stop.
    code = code.removesuffix("\n").expandtabs(TAB_SIZE)
    if not lang:
        return escape(code, quote=False).split("\n")
    entry = kept / hashlib.sha256(f"{lang}\0{code}".encode()).hexdigest() if kept else None
    found = read_checked(entry) if entry else None
    if found is not None:
        return found.decode("utf-8").split("\n")
    html = lexed(code, lang)
    if entry:
        write_checked(entry, html.encode("utf-8"))
    return html.split("\n")


def lexed(code: str, lang: str) -> str:
    """The code as HTML, its lines joined; escaped as it is when no lexer knows ``lang``."""
    from cmd.rendermd import lexing

    lexer = lexer_for(lang)
    if lexer is None:
        return escape(code, quote=False)
    # The newline goes in, and comes off the output: session lexers (console, pycon, psql...)
    # only emit a line once its newline arrives, so without it they drop the last line.
    # Pygments closes every span at the end of each line, so splitting is safe.
    html = io.StringIO()
    formatter().format(lexing.tokens(lexer, code + "\n"), html)
    return html.getvalue().removesuffix("\n")


def render_fence(code: str, info: str, *, highlight: bool = True, kept: Path | None = None) -> str:
    """The HTML of one fenced code block: a single <pre><code>, valid and class-styled."""
    lang, attrs = parse_info(info)
    lines = highlighted_lines(code, lang if highlight else "", kept)
    if attrs.get("linenos", "false").lower() in TRUE_WORDS:
        start = int(attrs["linenostart"]) if attrs.get("linenostart", "").isdigit() else 1
        width = len(str(start + len(lines) - 1))
        lines = [
            f'<span class="ln" aria-hidden="true">{number:>{width}}</span>{line}'
            for number, line in enumerate(lines, start)
        ]
    else:
        start = 1
    marked = line_set(attrs.get("hl_lines", ""), start, start + len(lines) - 1)
    if marked:
        lines = [
            f'<mark class="hll">{line}</mark>' if number in marked else line for number, line in enumerate(lines, start)
        ]
    lang_class = f' class="language-{escape(lang)}"' if lang else ""
    body = "\n".join(lines)
    # tabindex: a block wider than the screen scrolls, and the keyboard can only scroll what it can focus.
    return f'<pre class="{CSS_CLASS}" tabindex="0"><code{lang_class}>{body}\n</code></pre>\n'


def stylesheet(light_style: str = "xcode", dark_style: str = "github-dark") -> str:
    """Pygments CSS for the light theme, and the dark one under prefers-color-scheme.

    Two styles whose every token class is at least 4.5:1 against their own background, on plain
    and on marked lines (WCAG AA; measured by tests/a11y, where "friendly" and "monokai" failed).
    """
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=light_style, classprefix="").get_style_defs(f".{CSS_CLASS}")
    dark = HtmlFormatter(style=dark_style, classprefix="").get_style_defs(f".{CSS_CLASS}")
    dark = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
