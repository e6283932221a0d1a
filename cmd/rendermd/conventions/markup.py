"""Engines' markup inside a Markdown body (shortcodes, Liquid tags), found outside code.

Jekyll's Liquid and Hugo's shortcodes are written in the body; inside a fenced
code block the same characters are usually an example of them, which the
author means to show.  So a body is cut into prose and fenced code, and an
adapter's rules run on the prose with the line each match starts on.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})([^`]*)$")
Rule = Callable[[re.Match[str], int], str]  # (match, line in the body) -> replacement


@dataclass(frozen=True)
class Segment:
    text: str
    code: bool
    line: int  # the body line the segment starts on (1-based)


def segments(body: str) -> Iterator[Segment]:
    """The body as alternating prose and fenced code (fence lines included in the code)."""
    lines = body.split("\n")
    start = 0
    fence = ""
    for index, line in enumerate(lines):
        if not fence:
            match = FENCE_OPEN.match(line)
            if match:
                if index > start:
                    yield Segment("\n".join(lines[start:index]) + "\n", False, start + 1)
                start, fence = index, match.group(1)
        elif re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", line):
            yield Segment("\n".join(lines[start : index + 1]) + "\n", True, start + 1)
            start, fence = index + 1, ""
    rest = "\n".join(lines[start:])
    if rest:
        yield Segment(rest, bool(fence), start + 1)


def rewrite(body: str, pattern: re.Pattern[str], rule: Rule, in_code: Callable[[str], str] | None = None) -> str:
    """``pattern``'s matches in prose replaced by ``rule``; code changed only by ``in_code``."""
    out = []
    for segment in segments(body):
        if segment.code:
            out.append(in_code(segment.text) if in_code else segment.text)
        else:
            text = segment.text

            def replace(match: re.Match[str], text: str = text, first: int = segment.line) -> str:
                return rule(match, first + text.count("\n", 0, match.start()))

            out.append(pattern.sub(replace, text))
    joined = "".join(out)
    return joined if body.endswith("\n") or not joined.endswith("\n") else joined[:-1]


def found_in_prose(body: str, pattern: re.Pattern[str]) -> list[tuple[re.Match[str], int]]:
    """Every match of ``pattern`` outside fenced code, with its line."""
    hits = []
    for segment in segments(body):
        if not segment.code:
            for match in pattern.finditer(segment.text):
                hits.append((match, segment.line + segment.text.count("\n", 0, match.start())))
    return hits


ARGUMENT = re.compile(r"""(?:(\w+)\s*=\s*)?("(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`|[^\s"'=]+)""")


def arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """Shortcode arguments: positional ones, and name=value ones (quotes removed)."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for name, raw in ARGUMENT.findall(text):
        value = raw[1:-1] if raw[:1] in "\"'`" and raw[-1:] == raw[:1] else raw
        if name:
            named[name] = value
        else:
            positional.append(value)
    return positional, named
