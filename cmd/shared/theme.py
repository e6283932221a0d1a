"""The site's look: Jinja2 templates, the stylesheet, and its words in the site's language.

A site may bring its own theme (see ``Theme``): its templates replace ours one
file at a time, and its CSS is added to ours or replaces it.
"""

import hashlib
import pickle
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cmd.shared import i18n
from cmd.shared.files import write_if_changed
from cmd.shared.layout import BUILD_DIR

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "style.css"
THEME_COPY = f"{BUILD_DIR}/templates"  # under OUT: the site's own templates, for buildindex
COMPILED = f"{BUILD_DIR}/compiled-templates"  # under OUT: Jinja2's cache of compiled templates


@cache
def environment(
    language: str = "en", overrides: Path | None = None, version: str = "", out_dir: Path | None = None
) -> "jinja2.Environment":
    """One Jinja2 environment per language and theme: autoescaped, strict about missing names.

    ``overrides`` is a folder of templates that win over ours, name for name; ``version``
    (the theme's digest) makes a process that renders again after a theme edit (the
    preview) load the new templates instead of the ones it compiled before.  With
    ``out_dir``, compiled templates are kept in it (``COMPILED``) for the next run:
    compiling them took a third of an incremental buildindex.
    """
    import jinja2  # here, not at the top: a warm run that renders nothing never needs it

    folders = [TEMPLATES] if overrides is None else [overrides, TEMPLATES]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        bytecode_cache=compiled_templates(out_dir) if out_dir is not None else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    words = i18n.catalogue(language)
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(i18n.date_filters(words))
    return env


def compiled_templates(out_dir: Path) -> "jinja2.BytecodeCache":
    """Jinja2's cache of compiled templates in OUT, per version of the tools (which set the compiler's options).

    Jinja2 itself checks each entry against its template's source and the
    Python version, and writes entries by rename; an entry it cannot read is
    compiled again, never trusted.
    """
    import jinja2

    from cmd.shared.version import tools_digest

    class Cache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: "jinja2.bccache.Bucket") -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):  # torn: compile again
                bucket.reset()

    folder = out_dir / COMPILED
    folder.mkdir(parents=True, exist_ok=True)
    version = tools_digest()[:16]
    for other in folder.glob("*.cache"):
        if not other.name.startswith(f"{version}-"):  # compiled by other tools: never read again
            other.unlink(missing_ok=True)
    return Cache(str(folder), f"{version}-%s.cache")


@dataclass(frozen=True)
class Theme:
    """A site's own look, from its templates folder (``templates`` in site.toml, else ARTICLES/templates/).

    - ``NAME.html`` replaces our template of that name (``base.html``, ``article.html``...);
    - ``style.css`` replaces our stylesheet, ``extra.css`` is added after it
      (the code highlighting rules are added either way).
    rendermd copies the templates into OUT (``THEME_COPY``), so buildindex, which
    only sees OUT, renders the list pages with them too.
    """

    templates: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) of each template
    style: str | None = None  # replaces ours
    extra: str = ""  # added after ours

    @classmethod
    def read(cls, folder: Path) -> "Theme":
        if not folder.is_dir():
            return cls()
        templates = tuple((path.name, path.read_bytes()) for path in sorted(folder.glob("*.html")))
        style, extra = folder / "style.css", folder / "extra.css"
        return cls(
            templates,
            style.read_text(encoding="utf-8") if style.is_file() else None,
            extra.read_text(encoding="utf-8") if extra.is_file() else "",
        )

    @property
    def digest(self) -> str:
        """What the pages depend on: a change rebuilds the pages (a template) or the stylesheet (CSS)."""
        digest = hashlib.sha256()
        for name, data in self.templates:
            digest.update(name.encode() + b"\0" + data + b"\0")
        digest.update(f"{self.style}\0{self.extra}".encode())
        return digest.hexdigest()

    def install(self, out_dir: Path) -> Path | None:
        """Copy the templates into OUT (``THEME_COPY``), dropping ones removed; their folder, if any."""
        folder = out_dir / THEME_COPY
        names = {name for name, _ in self.templates}
        for name, data in self.templates:
            write_if_changed(folder / name, data)
        if folder.is_dir():
            for stale in folder.glob("*.html"):
                if stale.name not in names:
                    stale.unlink()
        return folder if names else None


def overrides(out_dir: Path) -> Path | None:
    """The site's templates as rendermd copied them into OUT, if it has any."""
    folder = out_dir / THEME_COPY
    return folder if folder.is_dir() and any(folder.glob("*.html")) else None


def stylesheet(highlight_css: str, theme: Theme | None = None) -> tuple[str, bytes]:
    """The site stylesheet (ours or the theme's, its extra rules, the code highlighting) and its hashed path.

    The hash in the name lets the server tell browsers to cache it for a year:
    a new stylesheet is a new URL.
    """
    theme = theme or Theme()
    base = theme.style if theme.style is not None else STYLESHEET.read_text(encoding="utf-8")
    extra = f"\n/* The site's own rules */\n{theme.extra}" if theme.extra else ""
    data = (base + extra + "\n/* Code highlighting (Pygments) */\n" + highlight_css).encode()
    return f"static/style.{hashlib.sha256(data).hexdigest()[:10]}.css", data
