"""Site settings: an optional ``site.toml`` beside the articles, with sensible defaults.

rendermd reads it and records it in the manifest, so buildindex (which only
sees OUT_DIR) uses the same settings.  The base URL and feed size can also
be given to buildindex directly, since they depend on where the site is
deployed rather than on what it says.
"""

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cmd.shared import csp as content_policy
from cmd.shared.errors import InputError
from cmd.shared.layout import DEFAULT_BASE_URL

CONFIG_FILE = "site.toml"


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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"malformed site settings: {error}", path) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None
    return from_mapping(data, path)


def from_mapping(data: dict[str, Any], source: Path | str) -> SiteConfig:
    fields = {field.name: field for field in dataclasses.fields(SiteConfig)}
    for key, value in data.items():
        if key not in fields:
            raise InputError(f"unknown setting {key!r} (known: {', '.join(sorted(fields))})", source)
        expected = dict if key == "csp" else type(fields[key].default)
        if type(value) is not expected:
            raise InputError(f"setting {key!r} must be {expected.__name__}", source)
    config = SiteConfig(**data)
    for name in ("feed_size", "paginate"):
        if getattr(config, name) < 1:
            raise InputError(f"setting {name!r} must be at least 1", source)
    url = urlsplit(config.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:  # feeds are read away from the site
        raise InputError(f"setting 'base_url' must be an absolute http(s) URL, got {config.base_url!r}", source)
    if config.permalink and not config.permalink.startswith("/"):
        raise InputError(f"setting 'permalink' must start with '/', got {config.permalink!r}", source)
    content_policy.policy(config.csp, source)  # refused here, with the file's name, rather than at build time
    return dataclasses.replace(config, base_url=config.base_url.rstrip("/"))
