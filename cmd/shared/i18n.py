"""The site's own words in its language: gettext catalogues (``locale/LANG/LC_MESSAGES/eblog.po``).

The templates are written in English and mark their words with ``_()``,
``ngettext()`` or ``{% trans %}``; a site whose ``language`` has a catalogue
reads them translated, dates included (month names and the order of day,
month and year are entries of the catalogue too).  The ``.po`` files are read
as they are, by the small parser below: no compiled ``.mo`` files to keep in
step, and a change to a catalogue is a change to the tools' fingerprint, so
the pages are rendered again.
"""

import ast
import datetime as dt
import gettext
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "eblog"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# How many plural forms a language has and which one a count takes (the catalogues' Plural-Forms).
PLURALS: dict[str, Callable[[int], int]] = {
    "en": lambda n: int(n != 1),
    "fr": lambda n: int(n > 1),
    "ja": lambda n: 0,
}
ENTRY_LINE = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


class Catalogue(gettext.NullTranslations):
    """A .po file's translations; a word it lacks is left in English."""

    def __init__(self, language: str, messages: dict[str, list[str]]):
        super().__init__()
        self.language = language
        self.messages = messages
        self.plural = PLURALS.get(language.split("-")[0], PLURALS["en"])

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        return found[0] if found and found[0] else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = self.messages.get(msgid1)
        if found and len(found) > 1:
            form = found[min(self.plural(n), len(found) - 1)]
            if form:
                return form
        return msgid1 if n == 1 else msgid2


def parse_po(text: str) -> dict[str, list[str]]:
    """``{msgid: [msgstr forms]}`` from the text of a .po file (the header entry left out)."""
    messages: dict[str, list[str]] = {}
    current: dict[str, str] = {}
    last = ""

    def finish() -> None:
        msgid = current.get("msgid")
        if msgid:
            forms = [current[key] for key in sorted(k for k in current if k.startswith("msgstr"))]
            messages[msgid] = forms
        current.clear()

    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        match = ENTRY_LINE.match(line)
        if match:
            keyword = match.group(1)
            if keyword == "msgid":
                finish()
            last = keyword
            current[last] = ast.literal_eval(match.group(3))
        elif line.startswith('"') and last:
            current[last] += ast.literal_eval(line)
    finish()
    return messages


def languages() -> list[str]:
    """The languages eblog has a catalogue for, English (its own words) included."""
    return ["en", *sorted(path.name for path in LOCALE.iterdir() if (path / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())]


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue for ``language`` (``fr``, ``ja``, ``pt-BR`` falls back on ``pt``), else English."""
    for name in (language, language.split("-")[0]):
        path = LOCALE / name / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return Catalogue(name, parse_po(path.read_text(encoding="utf-8")))
    return Catalogue("en", {})


def _datetime(value: dt.datetime | str) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def date_filters(words: Catalogue) -> dict[str, Callable[[dt.datetime | str], str]]:
    """``human_date`` ("July 2023") and ``full_date`` ("14 July 2023") in the catalogue's language.

    Never the machine's locale: the same site gives the same bytes everywhere.
    """

    def parts(value: dt.datetime | str) -> dict[str, object]:
        moment = _datetime(value)
        return {
            "day": moment.day,
            "month": words.gettext(MONTHS[moment.month - 1]),
            "m": moment.month,
            "year": moment.year,
        }

    def human_date(value: dt.datetime | str) -> str:
        return words.gettext("{month} {year}").format(**parts(value))

    def full_date(value: dt.datetime | str) -> str:
        return words.gettext("{day} {month} {year}").format(**parts(value))

    return {"human_date": human_date, "full_date": full_date}
