"""Front matter: YAML between ``---`` lines or TOML between ``+++`` lines.

Both forms are accepted so that posts from Jekyll, Hugo, Pelican, MkDocs or
Zola can be dropped in as they are.  Everything here is validated up front,
so that a bad article is reported before any page is written.
"""

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cmd.shared.errors import InputError
from cmd.shared.layout import RESERVED_SLUGS

FENCES = {"---": "yaml", "+++": "toml"}
# No dots: the server maps /slug to slug.html, so "rss.xml" as a slug would hide the feed.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Control characters (other than tab and newline) cannot appear in XML 1.0, so one in an
# article would make the feeds unreadable; better refused here, with its line.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Meta:
    """What an article says about itself."""

    slug: str
    title: str
    date: dt.datetime
    author: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    series: str | None = None
    part: int | None = None
    draft: bool = False
    updated: dt.datetime | None = None
    toc: bool = False


def split(text: str, path: Path) -> tuple[dict, str, int]:
    """Return (front matter mapping, Markdown body, line number where the body starts)."""
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    kind = FENCES.get(fence)
    if kind is None:
        raise InputError("missing front matter: the file must start with '---' (YAML) or '+++' (TOML)", path, 1)
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == fence:
            block = "\n".join(lines[:index])
            body = "\n".join(lines[index + 1 :])
            return parse_block(block, kind, path), body, index + 3
    raise InputError(f"front matter opened with '{fence}' on line 1 is never closed", path, 1)


def load_yaml(block: str, path: Path) -> object:
    # Imported here, not at the top: a warm run whose articles are all cached never needs it.
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built in, is far faster
    try:
        return yaml.load(block, Loader=loader)  # noqa: S506 (a SafeLoader, C or pure Python)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 2 if error.problem_mark else None
        raise InputError(f"malformed YAML front matter: {error.problem}", path, line) from None
    except yaml.YAMLError as error:
        raise InputError(f"malformed YAML front matter: {error}", path) from None
    except ValueError as error:  # YAML builds dates itself, and 2023-02-30 fails in datetime.date
        raise InputError(f"invalid date in YAML front matter: {error}", path) from None


def load_toml(block: str, path: Path) -> object:
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        line: int | None = int(match.group(1)) + 1 if match else None
        if line is None and "end of document" in str(error):  # the block's last line
            line = block.count("\n") + 2
        raise InputError(f"malformed TOML front matter: {error}", path, line) from None


def parse_block(block: str, kind: str, path: Path) -> dict:
    """Parse the front matter block; errors carry the line in the file."""
    data = load_yaml(block, path) if kind == "yaml" else load_toml(block, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of fields", path, 2)
    return data


def to_datetime(value: object, name: str, path: Path) -> dt.datetime:
    """Dates and date-times in any of the forms YAML, TOML or a quoted string give; naive means UTC."""
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text) if ("T" in text or " " in text) else dt.date.fromisoformat(text)
        except ValueError:
            raise InputError(f"invalid {name} {value!r}: use YYYY-MM-DD or an ISO 8601 date-time", path) from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise InputError(f"invalid {name} {value!r}: use YYYY-MM-DD or an ISO 8601 date-time", path)


def optional_text(data: dict, name: str, path: Path) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"'{name}' must be text", path)
    return str(value).strip() or None


def tags_of(data: dict, path: Path) -> tuple[str, ...]:
    value = data.get("tags")
    taxonomies = data.get("taxonomies")
    if value is None and isinstance(taxonomies, dict):  # Zola keeps tags under [taxonomies]
        value = taxonomies.get("tags")
    if value is None:  # absent, or an empty YAML key as Hugo's archetypes leave it
        value = ()
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, (list, tuple)) or not all(isinstance(tag, (str, int)) for tag in value):
        raise InputError("'tags' must be a list of words", path)
    tags = []
    for tag in value:
        slug = re.sub(r"[^a-z0-9]+", "-", str(tag).lower()).strip("-")
        if not slug:
            raise InputError(f"tag {tag!r} has no letters or digits", path)
        if slug not in tags:
            tags.append(slug)
    return tuple(sorted(tags))


def flag(data: dict, name: str, path: Path) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InputError(f"'{name}' must be true or false", path)
    return value


def read_meta(data: dict, path: Path) -> Meta:
    """Validate the front matter fields and build the article's Meta."""
    title = optional_text(data, "title", path)
    if not title:
        raise InputError("front matter has no 'title'", path)
    if "date" not in data or data["date"] in (None, ""):
        raise InputError("front matter has no 'date'", path)
    date = to_datetime(data["date"], "date", path)
    updated_value = data.get("updated", data.get("lastmod"))
    updated = to_datetime(updated_value, "updated", path) if updated_value else None
    slug = optional_text(data, "slug", path) or path.stem
    if not SLUG_RE.match(slug):
        raise InputError(f"slug {slug!r} must be lowercase letters, digits, '_' or '-'", path)
    if slug in RESERVED_SLUGS:
        raise InputError(f"slug {slug!r} is the name of a page buildindex writes; set another with 'slug'", path)
    part = data.get("part")
    if part is not None and (isinstance(part, bool) or not isinstance(part, int) or part < 1):
        raise InputError("'part' must be a whole number from 1", path)
    if isinstance(data.get("series"), list) and len(data["series"]) == 1:
        data = {**data, "series": data["series"][0]}  # Hugo's taxonomies are lists
    series = optional_text(data, "series", path)
    if part is not None and series is None:
        raise InputError("'part' is set but 'series' is not", path)
    return Meta(
        slug=slug,
        title=title,
        date=date,
        author=optional_text(data, "author", path),
        summary=optional_text(data, "summary", path) or optional_text(data, "description", path),
        tags=tags_of(data, path),
        series=series,
        part=part,
        draft=flag(data, "draft", path),
        updated=updated,
        toc=flag(data, "toc", path),
    )


def parse(source: bytes, path: Path) -> tuple[Meta, str, int]:
    """Decode, split and validate an article: (meta, Markdown body, first body line)."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as error:
        line = source.count(b"\n", 0, error.start) + 1
        raise InputError(f"not valid UTF-8 (byte {error.start})", path, line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if control := CONTROL_RE.search(text):
        line = text.count("\n", 0, control.start()) + 1
        raise InputError(f"control character U+{ord(control.group()):04X} (feeds cannot carry it)", path, line)
    data, body, body_line = split(text, path)
    return read_meta(data, path), body, body_line
