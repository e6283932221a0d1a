"""A small built site, written by hand, shaped like rendermd+buildindex output.

The server tests and bench/server_wrk.py both use it, so neither depends on
the renderer.  Content is generated from a fixed seed: same bytes every run.
"""

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from cmd.prezip.zipsite import build_zip

WORDS = (
    "docker layer cache build image stage python server zip gzip deflate static page slug article memory "
    "request header latency throughput benchmark container registry wheel venv copy run"
).split()
STYLESHEET = "static/style.3f2a9c1b.css"


@dataclass
class SampleSite:
    root: Path  # the unzipped site
    zip: Path
    files: dict[str, bytes]  # what was written, by path inside the site


def prose(rng: random.Random, size: int) -> str:
    """Paragraphs of pseudo-text, about ``size`` bytes, that compress like real prose."""
    out: list[str] = []
    total = 0
    while total < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."
        paragraph = f"<p>{sentence} {rng.randint(0, 99999)}</p>\n"
        out.append(paragraph)
        total += len(paragraph)
    return "".join(out)


def html(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title><link rel=stylesheet href=/{STYLESHEET}></head>\n"
        f"<body><main><h1>{title}</h1>\n{body}</main></body></html>\n"
    )


def png(width: int = 4, height: int = 4) -> bytes:
    """A valid tiny PNG (grey square), so the zip holds one STORED binary entry."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write_site(root: Path, page_bytes: int = 20_000) -> dict[str, bytes]:
    """Write the site under ``root``; return {relative path: bytes} of what was written."""
    rng = random.Random(20260101)
    files: dict[str, str | bytes] = {
        "index.html": html(
            "eblog", '<ul><li><a href="/hello">Hello</a></li><li><a href="/tags/docker">docker</a></li></ul>'
        ),
        "hello.html": html("Hello", prose(rng, page_bytes)),
        "tags/docker.html": html("Tagged docker", '<ul><li><a href="/hello">Hello</a></li></ul>'),
        "404.html": html("Not found", "<p>No page here. Try <a href=/>the home page</a>.</p>"),
        STYLESHEET: "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:auto}\n" * 20,
        "rss.xml": '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>eblog</title>'
        + "".join(f"<item><title>Item {i}</title><link>/hello</link></item>" for i in range(30))
        + "</channel></rss>\n",
        "feed.json": '{"version": "https://jsonfeed.org/version/1.1", "title": "eblog", "items": []}\n',
        "tiny.txt": "hi\n",
        "static/logo.png": png(),
    }
    written: dict[str, bytes] = {}
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written[name] = data
    return written


EPOCH = 1700000000  # 2023-11-14 22:13:20 UTC
LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT"


def write_zip(root: Path, target: Path, epoch: int | None = EPOCH) -> None:
    """Zip ``root`` the way the real pipeline does (cmd.prezip), stamped with SOURCE_DATE_EPOCH=``epoch``."""
    target.write_bytes(build_zip(root, epoch))
