"""Helpers for the tools tests: a sample corpus, an HTML structure check, tree snapshots,
running a tool as a user would, and the gzip member a server builds from a zip entry.

Imported by its full name, ``tests.tools.tools_support``, so that it is one module for pytest
and mypy alike.
"""

import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any, Literal, overload

REPO = Path(__file__).resolve().parents[2]
BASE_URL = "https://blog.example.org"

# Six articles in both front matter forms, dated 2001 so that a wall-clock year in
# the output stands out.  Newest first: epsilon, delta, gamma-page, beta, alpha;
# zeta-draft is a draft (and would be the newest).
SAMPLE = {
    "alpha.md": '''---
title: "Tom & Jerry <3 code"
date: 2001-01-10
author: Ada
summary: "Cats, mice & <angle> brackets."
tags: [Python, "Docker Compose", python]
---
Alpha links to [beta](/beta) and shows ![a logo](/static/logo.png).

## Setup & install

Text with ~~old~~ new words.

| Tool | Use |
|------|-----|
| uv   | locks |

A claim that needs a source.[^1]

```python {linenos=true}
def greet(name):
    """Say hello,
    politely."""
    return f"<hi {name}>"
```

```nosuchlang
<raw> & stuff
```

```
no language <b>
```

[^1]: The footnote.
''',
    "beta.md": """+++
title = "Beta"
date = 2001-02-01T12:30:00+02:00
description = "Beta, described."
tags = ["guide"]
series = "Guide"
part = 1
toc = true
+++
Beta opens the guide.

## First section

### A subsection

## Second section
""",
    "gamma.md": """---
title: Gamma
date: "2001-03-05"
updated: 2001-04-01
slug: gamma-page
series: Guide
part: 2
tags: guide
---
Gamma continues the guide.
""",
    "delta.md": """---
title: Delta
date: 2001-04-01 08:00:00
tags: [misc]
---
Delta's first paragraph becomes its summary.

A second paragraph.
""",
    "epsilon.md": """+++
title = "Epsilon"
date = 2001-05-01
+++
Epsilon text.
""",
    "zeta-draft.md": """---
title: Zeta, a draft
date: 2001-06-01
draft: true
---
Not ready yet.
""",
}
PUBLISHED = ["epsilon", "delta", "gamma-page", "beta", "alpha"]  # newest first
DRAFT = "zeta-draft"


@dataclass(frozen=True)
class BuiltSite:
    """A sample corpus and the site built from it (the ``built_site`` fixture)."""

    articles: Path
    out: Path


def write_sample(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLE.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_article(folder: Path, name: str, front: str, body: str = "Some text.\n", fence: str = "---") -> Path:
    """Write an article whose front matter block is ``front`` (raw lines) between ``fence`` lines."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{fence}\n{front}{fence}\n{body}", encoding="utf-8")
    return path


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


class HtmlChecker(HTMLParser):
    """Structure problems a browser would silently repair: unbalanced tags, a block
    inside <pre>, inline styles, empty or repeated ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> dict[str, str | None]:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "style" in attributes:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "div" and "pre" in self.stack:
            self.problems.append("<div> inside <pre>")
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")
        return attributes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"end tag for void element </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
        else:
            self.stack.pop()

    def close(self) -> None:
        super().close()
        self.problems += [f"<{tag}> never closed" for tag in self.stack]
        self.problems += ["empty id"] * self.ids.count("")
        self.problems += [f"id {i!r} used twice" for i in sorted({i for i in self.ids if i and self.ids.count(i) > 1})]


def check_html(html: str) -> HtmlChecker:
    checker = HtmlChecker()
    checker.feed(html)
    checker.close()
    return checker


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (build metadata included): bytes and mtime."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def public_files(folder: Path) -> dict[str, bytes]:
    """The published site: everything outside dot-directories."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


Output = int | IO[Any] | None  # what subprocess takes for stdout or stderr: PIPE, a file, or None


@overload
def run_tool(
    *args: str, env: dict[str, str] | None = None, text: Literal[True], stdout: Output = None, stderr: Output = None
) -> subprocess.CompletedProcess[str]: ...
@overload
def run_tool(
    *args: str,
    env: dict[str, str] | None = None,
    text: Literal[False] = False,
    stdout: Output = None,
    stderr: Output = None,
) -> subprocess.CompletedProcess[bytes]: ...
def run_tool(
    *args: str, env: dict[str, str] | None = None, text: bool = False, stdout: Output = None, stderr: Output = None
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """``python -m <args>`` from the repo root, as the README tells a user to run the tools.

    Both outputs are captured unless the caller directs one of them.
    """
    if stdout is None and stderr is None:
        stdout = stderr = subprocess.PIPE
    command = [sys.executable, "-m", *args]
    return subprocess.run(command, cwd=REPO, timeout=60, env=env, text=text, stdout=stdout, stderr=stderr, check=False)


def gzip_member(zip_bytes: bytes, info: zipfile.ZipInfo) -> bytes:
    """What the server sends for Accept-Encoding: gzip: a 10-byte header, the entry's raw
    DEFLATE stream exactly as it sits in the zip, then CRC-32 and size (RFC 1952)."""
    start = info.header_offset
    signature, name_length, extra_length = struct.unpack_from("<4s22xHH", zip_bytes, start)
    assert signature == b"PK\x03\x04"
    data_start = start + 30 + name_length + extra_length
    raw = zip_bytes[data_start : data_start + info.compress_size]
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + raw + struct.pack("<II", info.CRC, info.file_size)
