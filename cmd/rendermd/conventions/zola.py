"""Zola: a ``content/`` tree whose folders with an ``_index.md`` are sections.

A page is served at ``/section/slug/``: the slug is the file name (or the
bundle's folder) without a leading date, made URL-safe as the site's
``slugify.paths`` says (ASCII by default), unless ``slug`` or ``path`` is
set.  ``@/blog/post.md`` links resolve to the page's URL; the ``youtube`` and
``vimeo`` shortcodes become links, and any other is reported and shown as text.
"""

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from cmd.rendermd.conventions import markup, paths
from cmd.rendermd.conventions.base import Convention, SourceFile, Warn
from cmd.rendermd.conventions.fields import Fields
from cmd.rendermd.conventions.hugo import video_link

INTERNAL_LINK = re.compile(r"@/([^\s)\]\"'>#]+)(#[^\s)\]\"'>]*)?")
# {{ name(args) }} in the text, {% name(args) %} ... {% end %} around a body.
CALL = re.compile(r"\{\{\s*(\w+)\((.*?)\)\s*\}\}")
BODY_CALL = re.compile(r"\{%\s*(\w+)\((.*?)\)\s*%\}(.*?)\{%\s*end\s*%\}", re.S)
# {{/* youtube(id="x") */}} and {%/* ... */%}: how a Zola author shows a shortcode call.
ESCAPED = re.compile(r"\{([{%])/\*\s?(.*?)\s?\*/([}%])\}", re.S)


class Zola(Convention):
    name = "zola"
    label = "a Zola site"
    default_permalink = "/:section/:slug/"
    undated_pages = True
    title_from_name = True
    term_separator = None

    @classmethod
    def detect(cls, root: Path) -> "Zola | None":
        config = root.parent / "config.toml"
        if config.is_file():
            data = read_config(config)
            if "base_url" in data:
                return cls(root, root.parent, data)
        if (root / "_index.md").is_file() and (root / "_index.md").read_bytes().startswith(b"+++"):
            return cls(root)
        return None

    def static_roots(self) -> list[tuple[Path, str]]:
        return [(self.site_root / "static", "")] if self.site_root else []

    # --- dates and URLs ------------------------------------------------------

    @property
    def slug_mode(self) -> str:
        settings = self.config.get("slugify")
        mode = settings.get("paths") if isinstance(settings, dict) else None
        return mode if mode in ("on", "safe", "off") else "on"

    def url_part(self, text: str) -> str:
        """A path segment as the site's ``slugify.paths`` makes it."""
        if self.slug_mode == "on":
            return paths.slugify(text, ascii_only=True)
        if self.slug_mode == "safe":
            return re.sub(r"[<>:\"/\\|?*#\s]+", "-", text).strip("-")
        return text

    def file_date(self, file: SourceFile) -> dt.datetime | None:
        return paths.date_in_name(file.stem, file.path)

    def slug(self, file: SourceFile, fields: Fields) -> str:
        if fields.slug:
            return self.url_part(fields.slug)
        dated = paths.dated_name(file.stem)
        return self.url_part(dated[1] if dated else file.stem)

    def own_url(self, url: str, file: SourceFile) -> str:
        """``path`` is relative to the site's root; a page is a folder unless the path names a file."""
        return paths.folder_unless_file(paths.tidy(f"/{url}"))

    def alias_url(self, alias: str, file: SourceFile) -> str:
        return paths.folder_unless_file(paths.tidy("/" + alias))

    def list_section(self, folder: str, indexed: frozenset[str]) -> str:
        """The nearest folder with an _index.md; a page in none belongs to the root section."""
        parts = PurePosixPath(folder).parts
        for depth in range(len(parts), 0, -1):
            if "/".join(parts[:depth]) in indexed:
                return "/".join(parts[:depth])
        return ""

    # --- links and shortcodes ------------------------------------------------

    def link_keys(self, file: SourceFile) -> list[str]:
        return [file.name]

    def references(self, body: str) -> list[tuple[str, int]]:
        return [(match.group(1), line) for match, line in markup.found_in_prose(body, INTERNAL_LINK)]

    def preprocess(self, body: str, links: Mapping[str, str], warn: Warn) -> str:
        if "{{" not in body and "{%" not in body and "@/" not in body:
            return body

        def internal(match: re.Match[str], line: int) -> str:
            return links[match.group(1)] + (match.group(2) or "")

        body = markup.rewrite(body, INTERNAL_LINK, internal)
        body = markup.rewrite(body, BODY_CALL, lambda match, line: shortcode(match, line, warn))
        body = markup.rewrite(body, CALL, lambda match, line: shortcode(match, line, warn), in_code=unescape_examples)
        return markup.rewrite(body, ESCAPED, lambda match, line: literal(match), in_code=unescape_examples)


def read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def literal(match: re.Match[str]) -> str:
    return "{" + match.group(1) + " " + match.group(2) + " " + match.group(3) + "}"


def unescape_examples(code: str) -> str:
    return ESCAPED.sub(literal, code)


def shortcode(match: re.Match[str], line: int, warn: Warn) -> str:
    name = match.group(1)
    _, named = markup.arguments(match.group(2).replace(",", " "))
    if name == "youtube" and named.get("id"):
        return video_link(f"https://www.youtube.com/watch?v={named['id']}", "YouTube")
    if name == "vimeo" and named.get("id"):
        return video_link(f"https://vimeo.com/{named['id']}", "Vimeo")
    warn(f"Zola shortcode '{name}' is not supported", line, "shown as text")
    return match.group(0)
