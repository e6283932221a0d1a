"""The site's look: Jinja2 templates, the stylesheet, and how dates read."""

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path

import jinja2

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "style.css"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _datetime(value: dt.datetime | str) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def human_date(value: dt.datetime | str) -> str:
    """ "July 2023": locale-independent, so output never depends on the machine."""
    value = _datetime(value)
    return f"{MONTHS[value.month - 1]} {value.year}"


def full_date(value: dt.datetime | str) -> str:
    """ "14 July 2023", for the byline's title attribute and the archive."""
    value = _datetime(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@cache
def environment() -> jinja2.Environment:
    """One Jinja2 environment per process: autoescaped, strict about missing names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["human_date"] = human_date
    env.filters["full_date"] = full_date
    return env


def stylesheet(extra_css: str) -> tuple[str, bytes]:
    """The site stylesheet (hand-written CSS plus ``extra_css``) and its content-hashed path.

    The hash in the name lets the server tell browsers to cache it for a year:
    a new stylesheet is a new URL.
    """
    data = (STYLESHEET.read_text(encoding="utf-8") + "\n/* Code highlighting (Pygments) */\n" + extra_css).encode()
    return f"static/style.{hashlib.sha256(data).hexdigest()[:10]}.css", data
