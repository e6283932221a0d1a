"""The site's Content-Security-Policy: strict by default, widened only where site.toml says.

rendermd warns, per page, about what the served policy will block (inline
scripts, style attributes, frames, images from other hosts); buildindex writes
the same policy into the site's ``_headers`` file, which the server sends.  So
the warning always describes the policy the browser gets.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cmd.shared.errors import InputError

# A site without JavaScript needs no more: no scripts, no plugins, no framing.
BASE: dict[str, tuple[str, ...]] = {
    "default-src": ("'none'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "base-uri": ("'none'",),
    "form-action": ("'none'",),
    "frame-ancestors": ("'none'",),
}
# What site.toml may widen: where content comes from, never who may frame the site or post its forms.
WIDENABLE = ("img-src", "media-src", "frame-src", "script-src", "style-src", "font-src", "connect-src")
SOURCE = re.compile(
    r"^(?:'(?:self|unsafe-inline|unsafe-eval|none)'|[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*://)?[\w*.-]+(?::\d+)?(?:/\S*)?)$"
)


@dataclass(frozen=True)
class Policy:
    directives: tuple[tuple[str, tuple[str, ...]], ...]

    def header(self) -> str:
        return "; ".join(f"{name} {' '.join(sources)}" for name, sources in self.directives)

    def sources(self, directive: str) -> tuple[str, ...]:
        found = dict(self.directives)
        return found.get(directive, found.get("default-src", ()))

    def allows(self, directive: str, url: str | None = None, *, inline: bool = False) -> bool:
        """Would a browser load this (a URL, absolute or on the site, or inline code when ``inline``)?"""
        sources = self.sources(directive)
        if inline:
            return "'unsafe-inline'" in sources
        if url is None:
            return False
        parts = urlsplit(url)
        if not parts.scheme and not parts.netloc:  # a path on the site itself: only 'self' allows it
            return "'self'" in sources
        scheme = f"{parts.scheme}:"
        host = parts.hostname or ""
        for source in sources:
            if source == scheme:
                return True
            if source.startswith("'"):  # a keyword: 'self' cannot be told from here for an absolute URL
                continue
            allowed = urlsplit(source if "://" in source else f"{parts.scheme}://{source}")
            same_scheme = "://" not in source or allowed.scheme == parts.scheme
            wanted = allowed.hostname or ""
            if same_scheme and (host == wanted or (wanted.startswith("*.") and host.endswith(wanted[1:]))):
                return True
        return False


def policy(extra: Mapping[str, object] | None, source: object) -> Policy:
    """The base policy, with site.toml's ``[csp]`` sources added to their directives."""
    directives = {name: list(sources) for name, sources in BASE.items()}
    for name, value in (extra or {}).items():
        if name not in WIDENABLE:
            raise InputError(f"[csp] {name!r} cannot be widened (possible: {', '.join(WIDENABLE)})", str(source))
        if not isinstance(value, list) or not all(isinstance(item, str) and SOURCE.match(item) for item in value):
            raise InputError(f'[csp] {name!r} must be a list of sources such as "https:" or "\'self\'"', str(source))
        current = directives.setdefault(name, [])
        current += [item for item in value if item not in current]
    ordered = [*BASE, *sorted(set(directives) - set(BASE))]
    return Policy(tuple((name, tuple(directives[name])) for name in ordered))
