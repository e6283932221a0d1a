"""Site settings: an optional ``site.toml`` beside the articles, with sensible defaults.

rendermd reads it and records it in the manifest, so buildindex (which only
sees OUT_DIR) uses the same settings.  The base URL and feed size can also
be given to buildindex directly, since they depend on where the site is
deployed rather than on what it says.
"""

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cmd.shared import csp as content_policy
from cmd.shared.errors import InputError, toml_line
from cmd.shared.layout import DEFAULT_BASE_URL

CONFIG_FILE = "site.toml"
# A key line (``name =``, ``"name" =``) or a table header (``[name]``, ``[name.sub]``), at the start of a line.
TOML_KEY = re.compile(r"""^\s*(?:\[\s*(?P<table>[\w"'-]+)|(?P<key>[\w"'-]+)\s*[.=])""")


@dataclass(frozen=True)
class SiteConfig:
    title: str = "eblog"
    description: str = "Fast builds, small images, and a blog served from memory."
    author: str = "The eblog team"
    language: str = "en"
    base_url: str = DEFAULT_BASE_URL
    license_name: str = "CC BY 4.0"
    license_url: str = "https://creativecommons.org/licenses/by/4.0/"
    feed_size: int = 20
    paginate: int = 10  # articles per list page (home, tags, sections)
    permalink: str = ""  # e.g. "/:year/:month/:slug/"; empty: the convention's own URLs
    convention: str = ""  # "eblog", "jekyll", "hugo" or "zola"; empty: detected from the tree
    templates: str = "templates"  # the site's own templates and CSS, relative to the articles (see theme.Theme)
    csp: dict[str, Any] = field(default_factory=dict)  # sources added to the Content-Security-Policy

    def policy(self) -> content_policy.Policy:
        return content_policy.policy(self.csp, CONFIG_FILE)

    @property
    def base_path(self) -> str:
        """The path the site lives under (``/blog`` for ``https://example.org/blog/``), "" at a host's root."""
        return urlsplit(self.base_url).path.rstrip("/")


def load(articles_dir: Path) -> SiteConfig:
    """Read ARTICLES_DIR/site.toml if there is one; unknown or mistyped keys are errors."""
    path = articles_dir / CONFIG_FILE
    if not path.exists():
        return SiteConfig()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise InputError(f"malformed site settings: {error}", path) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"malformed site settings: {error}", path, toml_line(error, text)) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None
    return from_mapping(data, path, key_lines(text))


def key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key (``name = ...``, or a ``[name]`` table), for errors: tomllib gives none."""
    lines: dict[str, int] = {}
    in_table, open_quote = False, None
    for number, line in enumerate(text.splitlines(), 1):
        match = TOML_KEY.match(line) if open_quote is None else None
        if match is not None and match.group("table") is not None:
            in_table = True
            lines.setdefault(match.group("table").strip("\"'"), number)
        elif match is not None and not in_table:
            lines.setdefault(match.group("key").strip("\"'"), number)
        open_quote = still_open(line, open_quote)
    return lines


def still_open(line: str, open_quote: str | None) -> str | None:
    """The multi-line string delimiter (three double or three single quotes) still open after ``line``, if any."""
    if open_quote is not None:
        return None if line.count(open_quote) % 2 else open_quote
    return next((quote for quote in ('"""', "'''") if line.count(quote) % 2), None)


def from_mapping(data: dict[str, Any], source: Path | str, lines: dict[str, int] | None = None) -> SiteConfig:
    """Checked settings from ``data``; ``lines`` (key -> line in ``source``) puts the line in errors."""

    def error(key: str, message: str) -> InputError:
        return InputError(message, source, (lines or {}).get(key))

    fields = {field.name: field for field in dataclasses.fields(SiteConfig)}
    for key, value in data.items():
        if key not in fields:
            raise error(key, f"unknown setting {key!r} (known: {', '.join(sorted(fields))})")
        expected = dict if key == "csp" else type(fields[key].default)
        if type(value) is not expected:
            raise error(key, f"setting {key!r} must be {expected.__name__}")
    config = SiteConfig(**data)
    for name in ("feed_size", "paginate"):
        if getattr(config, name) < 1:
            raise error(name, f"setting {name!r} must be at least 1")
    url = urlsplit(config.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:  # feeds are read away from the site
        raise error("base_url", f"setting 'base_url' must be an absolute http(s) URL, got {config.base_url!r}")
    if config.permalink and not config.permalink.startswith("/"):
        raise error("permalink", f"setting 'permalink' must start with '/', got {config.permalink!r}")
    try:  # refused here, with the file's name and the table's line, rather than at build time
        content_policy.policy(config.csp, source)
    except InputError as refused:
        raise error("csp", refused.message) from None
    return dataclasses.replace(config, base_url=config.base_url.rstrip("/"))
