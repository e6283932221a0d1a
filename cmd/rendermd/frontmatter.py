"""Front matter: YAML between ``---`` lines, TOML between ``+++`` lines, a JSON object (Hugo), or none.

What the fields *mean* depends on the engine the tree was written for (see
``conventions``); this module only decodes the file, splits it, parses the
block and checks the values the way every engine's fields are checked: text
that feeds can carry, dates that every output can show, lists of words.
Everything is validated up front, so that a bad article is reported before
any page is written, with the line of the field at fault.
"""

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmd.shared.errors import InputError, toml_line

FENCES = {"---": "yaml", "+++": "toml"}
# Characters XML 1.0 cannot carry (C0 controls but tab, newline and carriage return;
# U+FFFE, U+FFFF; lone surrogates, which YAML's "\ud800" escapes can produce): in any
# field they would make the feeds unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# In a body, CommonMark treats a form feed and a vertical tab as white space: they become a
# space.  The other controls are replaced and reported.
BODY_SPACES = str.maketrans({"\x0b": " ", "\x0c": " "})
REPLACEMENT = "\ufffd"
# Dates every output can show: the UTC instant, and the local date, both within years 1-9999.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Document:
    """A decoded source file, split into its front matter and Markdown body."""

    path: Path
    data: dict[str, Any]
    block: str  # the front matter as written, to find the line of a field
    block_line: int  # the file's line number of the block's first line
    body: str
    body_line: int  # the file's line number of the body's first line
    warnings: tuple[str, ...] = field(default=())

    def line_of(self, key: str) -> int | None:
        """The file line where ``key`` is set, when it can be found (first match)."""
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", re.M)
        match = pattern.search(self.block)
        return None if match is None else self.block.count("\n", 0, match.start()) + self.block_line

    def error(self, key: str, message: str) -> InputError:
        return InputError(message, self.path, self.line_of(key))


def decode(source: bytes, path: Path) -> str:
    """UTF-8 text without a byte order mark, with LF line ends."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as error:
        line = source.count(b"\n", 0, error.start) + 1
        raise InputError(f"not valid UTF-8 (byte {error.start}): save the file as UTF-8", path, line) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def clean_body(body: str, path: Path, first_line: int) -> tuple[str, list[str]]:
    """The body with characters no output can carry replaced; a warning per line that had one."""
    body = body.translate(BODY_SPACES)
    if NOT_XML.search(body) is None:
        return body, []
    warnings = []
    for number, line in enumerate(body.split("\n"), first_line):
        if found := NOT_XML.search(line):
            warnings.append(
                f"{path}:{number}: control character U+{ord(found.group()):04X} replaced by U+FFFD "
                "(feeds cannot carry it)"
            )
    return NOT_XML.sub(REPLACEMENT, body), warnings


def split(text: str, path: Path) -> tuple[str | None, str, str, int]:
    """(front matter kind or None, block, body, body's first line)."""
    first, _, rest = text.partition("\n")
    if first.rstrip() == "{":  # Hugo's JSON form: an object at the top of the file
        return split_json(text, path)
    kind = FENCES.get(first.rstrip())
    if kind is None:
        return None, "", text, 1
    fence = first.rstrip()
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == fence:
            return kind, "\n".join(lines[:index]), "\n".join(lines[index + 1 :]), index + 3
    raise InputError(f"front matter opened with '{fence}' on line 1 is never closed: add a closing '{fence}'", path, 1)


def split_json(text: str, path: Path) -> tuple[str, str, str, int]:
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON front matter: {error.msg}", path, error.lineno) from None
    block = text[:end]
    rest = text[end:].partition("\n")[2]
    return "json", block, rest, block.count("\n") + 2


def load_json(block: str, path: Path) -> object:
    return json.loads(block)  # split_json has already parsed it once, errors and all


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
    except (ValueError, OverflowError) as error:  # YAML builds dates itself: 2023-02-30 fails in datetime
        raise InputError(f"invalid date in YAML front matter: {error}", path) from None


def load_toml(block: str, path: Path) -> object:
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        line = toml_line(error, block)
        raise InputError(f"malformed TOML front matter: {error}", path, None if line is None else line + 1) from None


def read(source: bytes, path: Path, *, required: bool = True) -> Document:
    """Decode and split a file and parse its front matter; a file without any is an error if ``required``."""
    text = decode(source, path)
    kind, block, body, body_line = split(text, path)
    if kind is None and required:
        raise InputError("missing front matter: the file must start with '---' (YAML) or '+++' (TOML)", path, 1)
    if raw := NOT_XML.search(block):
        line = block.count("\n", 0, raw.start()) + 2
        raise InputError(f"control character U+{ord(raw.group()):04X} in the front matter", path, line)
    loaders: dict[str, Callable[[str, Path], object]] = {"yaml": load_yaml, "toml": load_toml, "json": load_json}
    data = {} if kind is None else loaders[kind](block, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of fields", path, 2)
    body, warnings = clean_body(body, path, body_line)
    document = Document(path, data, block, 1 if kind == "json" else 2, body, body_line, tuple(warnings))
    check_text_values(document)
    return document


def check_text_values(document: Document) -> None:
    """Escapes such as "\\x07" in a quoted YAML string decode to characters feeds cannot carry."""
    for key, text in strings_in(document.data):
        if found := NOT_XML.search(text):
            raise document.error(key, f"field '{key}' holds control character U+{ord(found.group()):04X}")


def strings_in(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a front matter value, with the top-level key it sits under."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from strings_in(name, key or str(name))
            yield from strings_in(item, key or str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item, key)


# --- values ----------------------------------------------------------------


def to_datetime(value: object, name: str, path: Path, line: int | None = None) -> dt.datetime:
    """Dates and date-times in any form YAML, TOML or a quoted string give; naive means UTC.

    Jekyll's ``2024-05-06 10:30:00 +0200`` form is read too.
    """
    if isinstance(value, str):
        value = parse_date_text(value, name, path, line)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    else:
        raise InputError(f"invalid {name} {value!r}: use YYYY-MM-DD or an ISO 8601 date-time", path, line)
    try:
        in_range = EARLIEST <= moment.astimezone(dt.UTC) <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise InputError(f"{name} {value} is out of range: use a year from 1 to 9999", path, line)
    return moment


JEKYLL_OFFSET = re.compile(r"\s*([+-]\d{2}):?(\d{2})$")


def parse_date_text(text: str, name: str, path: Path, line: int | None) -> dt.datetime | dt.date:
    cleaned = text.strip().replace("Z", "+00:00")
    cleaned = JEKYLL_OFFSET.sub(r"\1:\2", cleaned) if " " in cleaned else cleaned
    try:
        if "T" in cleaned or " " in cleaned:
            return dt.datetime.fromisoformat(cleaned)
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        raise InputError(f"invalid {name} {text!r}: use YYYY-MM-DD or an ISO 8601 date-time", path, line) from None


def optional_text(document: Document, name: str) -> str | None:
    value = document.data.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise document.error(name, f"'{name}' must be text")
    return str(value).strip() or None


def words(document: Document, name: str, value: object, separator: str | None = r"[,\s]+") -> tuple[str, ...]:
    """A list of terms: a YAML/TOML list, or one string split on ``separator`` (one term if None)."""
    if value is None:  # absent, or an empty key as Hugo's archetypes leave it
        return ()
    if isinstance(value, str):
        value = [part for part in re.split(separator, value) if part] if separator else [value]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str | int | float) for item in value):
        raise document.error(name, f"'{name}' must be a list of words")
    return tuple(str(item).strip() for item in value if str(item).strip())


def names(document: Document, name: str) -> tuple[str, ...]:
    """A list of names (authors): one string is one name, commas and all."""
    value = document.data.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    return words(document, name, value)


def flag(document: Document, name: str, default: bool = False) -> bool:
    value = document.data.get(name, default)
    if not isinstance(value, bool):
        raise document.error(name, f"'{name}' must be true or false")
    return value


def whole_number(document: Document, name: str, lowest: int) -> int | None:
    value = document.data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise document.error(name, f"'{name}' must be a whole number from {lowest}")
    return value


def first_of(document: Document, keys: tuple[str, ...], read: Callable[[Document, str], Any]) -> Any:
    """The value of the first key present, read by ``read``; None when none is."""
    for key in keys:
        if key in document.data:
            value = read(document, key)
            if value is not None:
                return value
    return None
