"""What rendermd tells buildindex (and the templates) about each page and section.

Typed records rather than bare dicts, so that a field renamed on one side is
an error on the other; they go through the manifest as JSON.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    """A rendered page, as lists, feeds, the sitemap and its neighbours' links show it."""

    url: str  # canonical, root-relative, not percent-encoded
    title: str
    date: str | None  # ISO 8601; None for an undated page (an "about" page), which no list shows
    updated: str | None
    authors: tuple[str, ...]
    summary: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    section: str  # the section whose list shows it: "" at the top
    series: str | None
    part: int | None
    draft: bool
    reading_minutes: int
    fragment: str  # where its rendered body is, under OUT
    fragment_digest: str
    source: str  # the file it was rendered from, relative to ARTICLES

    @property
    def listed(self) -> bool:
        """Dated pages are articles: listed, paged, in the feeds. Undated ones only have their page."""
        return self.date is not None

    def to_json(self) -> dict[str, Any]:
        # vars(), not dataclasses.asdict: its deep copies took half of a warm run's time
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Entry":
        terms = {key: tuple(data[key]) for key in ("authors", "tags", "categories")}
        return cls(**{**data, **terms})


@dataclass(frozen=True)
class SectionEntry:
    """A folder of pages: its list page's URL, title and (from _index.md) text."""

    path: str  # the folder, relative to ARTICLES
    url: str
    title: str
    description: str | None
    fragment: str | None  # the rendered text of its _index.md, under OUT

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SectionEntry":
        return cls(**data)


@dataclass(frozen=True)
class Redirect:
    """An old URL that answers 301 with the page's canonical one."""

    old: str
    new: str

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Redirect":
        return cls(**data)
