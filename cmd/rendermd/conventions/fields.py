"""Front matter in eblog's terms, whatever the engine called each field.

Jekyll, Hugo and Zola name the same ideas differently (``lastmod``,
``last_modified_at`` and ``updated``; ``permalink``, ``url`` and ``path``...).
None of these names means something else in another engine, so one table
reads them all: a Hugo post that also carries a Jekyll field loses nothing.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from cmd.rendermd.frontmatter import (
    Document,
    first_of,
    flag,
    names,
    optional_text,
    to_datetime,
    whole_number,
    words,
)

UPDATED_KEYS = ("updated", "lastmod", "last_modified_at", "modified")
AUTHOR_KEYS = ("authors", "author")
SUMMARY_KEYS = ("summary", "description", "excerpt")
URL_KEYS = ("url", "permalink", "path")
ALIAS_KEYS = ("aliases", "redirect_from")
TAXONOMY_KEYS = ("tags", "categories", "category", "series")
KNOWN_KEYS = frozenset(
    {"title", "date", "draft", "published", "toc", "slug", "part", "taxonomies"}
    | {*UPDATED_KEYS, *AUTHOR_KEYS, *SUMMARY_KEYS, *URL_KEYS, *ALIAS_KEYS, *TAXONOMY_KEYS}
)


@dataclass(frozen=True)
class Fields:
    """What a source file says about itself, checked, in eblog's vocabulary."""

    title: str | None
    date: dt.datetime | None
    updated: dt.datetime | None
    authors: tuple[str, ...]
    summary: str | None
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    series: str | None
    part: int | None
    draft: bool
    toc: bool
    slug: str | None  # the last part of the URL, when the file sets it
    url: str | None  # a whole URL set by the file: Hugo's url, Jekyll's permalink, Zola's path
    aliases: tuple[str, ...]  # old URLs: Hugo and Zola aliases, jekyll-redirect-from
    unknown: tuple[str, ...]  # keys eblog does not read (layout, weight, [extra]...), for --strict

    def to_json(self) -> dict[str, Any]:
        data = dict(vars(self))  # not dataclasses.asdict: its deep copies dominated warm runs
        for key in ("date", "updated"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Fields":
        values = dict(data)
        for key in ("date", "updated"):
            values[key] = dt.datetime.fromisoformat(values[key]) if values[key] else None
        for key in ("authors", "tags", "categories", "aliases", "unknown"):
            values[key] = tuple(values[key])
        return cls(**values)


def taxonomy(document: Document, name: str, separator: str | None) -> tuple[str, ...]:
    """A taxonomy's terms: a top-level key (Jekyll, Hugo) or under Zola's ``[taxonomies]``.

    A string of terms is split on ``separator`` (Jekyll splits on spaces; Hugo keeps
    one string as one term); Jekyll's singular ``category`` is always one term.
    """
    if name in document.data:
        return words(document, name, document.data[name], separator)
    if name == "categories" and "category" in document.data:
        return words(document, "category", document.data["category"], None)
    table = document.data.get("taxonomies")
    if isinstance(table, dict) and name in table:
        return words(document, "taxonomies", table[name], separator)
    return ()


def date_field(document: Document, keys: tuple[str, ...]) -> dt.datetime | None:
    for key in keys:
        value = document.data.get(key)
        if value not in (None, ""):
            return to_datetime(value, key, document.path, document.line_of(key))
    return None


def single_series(document: Document) -> str | None:
    """Hugo keeps series as a taxonomy: a list of one name is that name."""
    value = document.data.get("series")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0].strip() or None
    terms = taxonomy(document, "series", None)
    if len(terms) > 1:
        raise document.error("series", "'series' must name one series")
    return terms[0] if terms else None


def draft_of(document: Document) -> bool:
    """Hugo and Zola say ``draft: true``; Jekyll says ``published: false``."""
    return flag(document, "draft") or not flag(document, "published", default=True)


def aliases_of(document: Document) -> tuple[str, ...]:
    found: list[str] = []
    for key in ALIAS_KEYS:
        value = document.data.get(key)
        if isinstance(value, str):
            value = [value]
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise document.error(key, f"'{key}' must be a list of URLs")
        found += [item.strip() for item in value if item.strip()]
    return tuple(dict.fromkeys(found))


def read_fields(document: Document, separator: str | None = r"[,\s]+") -> Fields:
    """Check every field eblog reads; the others are listed, never refused.

    ``separator`` splits a string of tags or categories (the engine's rule).
    """
    part = whole_number(document, "part", 1)
    series = single_series(document)
    if part is not None and series is None:
        raise document.error("part", "'part' is set but 'series' is not")
    return Fields(
        title=optional_text(document, "title"),
        date=date_field(document, ("date",)),
        updated=date_field(document, UPDATED_KEYS),
        authors=first_of(document, AUTHOR_KEYS, names) or (),
        summary=first_of(document, SUMMARY_KEYS, optional_text),
        tags=taxonomy(document, "tags", separator),
        categories=taxonomy(document, "categories", separator),
        series=series,
        part=part,
        draft=draft_of(document),
        toc=flag(document, "toc"),
        slug=optional_text(document, "slug"),
        url=first_of(document, URL_KEYS, optional_text),
        aliases=aliases_of(document),
        unknown=tuple(sorted(str(key) for key in document.data if key not in KNOWN_KEYS)),
    )


def tag_slug(tag: str) -> str:
    """A tag's URL segment: lowercase letters (any script) and digits, other runs a hyphen."""
    return re.sub(r"[^\w]+|_+", "-", tag.lower()).strip("-")
