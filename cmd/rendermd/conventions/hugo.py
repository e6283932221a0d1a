"""Hugo: a ``content/`` tree of sections, ``_index.md`` list pages, leaf bundles and shortcodes.

A page is served at ``/section/file-name/`` (``slug`` replaces the file
name, ``url`` the whole path), lowercased unless the site sets
``disablePathToLower``; ``[permalinks]`` in the site's settings are
honoured per section.  Known shortcodes (highlight, figure, youtube, ref,
relref) become Markdown or HTML; others are reported and shown as text.
"""

import datetime as dt
import posixpath
import re
import tomllib
from collections.abc import Mapping
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any

from cmd.rendermd.conventions import markup, paths
from cmd.rendermd.conventions.base import Convention, SourceFile, Warn
from cmd.rendermd.conventions.fields import Fields

CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml")
SITE_MARKERS = ("archetypes", "layouts", "themes", "config/_default")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# {{< name args >}} and {{% name args %}}, closing forms {{< /name >}}; escaped examples {{</* ... */>}}.
SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([\w./-]+)((?:[^>%]|>(?!\}\})|%(?!\}\}))*?)\s*/?\s*[>%]\}\}")
ESCAPED = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", re.S)
HIGHLIGHT = re.compile(
    r"\{\{[<%]\s*highlight\s+([\w+#.-]+)([^>%]*?)\s*[>%]\}\}\n?(.*?)\n?\{\{[<%]\s*/highlight\s*[>%]\}\}", re.S
)


class Hugo(Convention):
    name = "hugo"
    label = "a Hugo site"
    default_permalink = "/:sections/:slug/"
    undated_pages = True
    title_from_name = True
    term_separator = None

    @classmethod
    def detect(cls, root: Path) -> "Hugo | None":
        site = root.parent
        for candidate in CONFIG_NAMES:
            path = site / candidate
            if path.is_file() and (candidate.startswith("hugo.") or is_hugo_config(path)):
                return cls(root, site, read_config(path))
        if root.name == "content" and any((site / marker).exists() for marker in SITE_MARKERS):
            return cls(root, site, {})
        return None

    @property
    def lowercase(self) -> bool:
        return not self.config.get("disablePathToLower", False)

    def static_roots(self) -> list[tuple[Path, str]]:
        return [(self.site_root / "static", "")] if self.site_root else []

    # --- URLs --------------------------------------------------------------

    def case(self, url: str) -> str:
        return url.lower() if self.lowercase else url

    def permalink_for(self, section: str) -> str:
        top = section.split("/", 1)[0]
        configured = self.config.get("permalinks")
        if isinstance(configured, dict) and isinstance(configured.get(top), str) and top:
            return str(configured[top])
        return self.default_permalink

    def slug(self, file: SourceFile, fields: Fields) -> str:
        """The file name as it is (``_wip``, ``release-v1.2``...), or ``slug`` made URL-safe, as Hugo's urlize does."""
        return urlize(fields.slug) if fields.slug else file.stem

    def values(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> dict[str, str]:
        found = super().values(file, fields, date)
        slug = self.slug(file, fields)
        found |= {
            "sections": file.section,
            "section": file.section.split("/", 1)[0],
            "filename": file.stem,
            "slug": slug,
            "slugorfilename": slug,
            "title": urlize(fields.title or file.stem),
        }
        if date is not None:
            weekday = date.weekday()
            found |= {
                "monthname": MONTHS[date.month - 1],
                "weekday": str((weekday + 1) % 7),
                "weekdayname": DAYS[weekday],
                "yearday": str(date.timetuple().tm_yday),
            }
        return found

    def engine_url(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> str:
        if fields.url:
            return self.own_url(fields.url, file)
        values = self.values(file, fields, date)
        if not file.section:  # a page at the top of content/ is never under a permalink rule
            return self.case(paths.tidy(f"/{values['slug']}/"))
        return self.case(paths.expand(self.permalink_for(file.section), values))

    def own_url(self, url: str, file: SourceFile) -> str:
        """``url`` as written (not lowercased), a folder unless it names a file."""
        return paths.folder_unless_file(paths.tidy("/" + url))

    def alias_url(self, alias: str, file: SourceFile) -> str:
        """Hugo reads an alias without a leading slash as relative to the page's folder."""
        base = "/" if alias.startswith("/") else f"/{file.section}/"
        return paths.folder_unless_file(
            paths.tidy(posixpath.normpath(base + alias) + ("/" if alias.endswith("/") else ""))
        )

    def section_url(self, section: str) -> str:
        return self.case(paths.tidy(f"/{section}/"))

    def list_section(self, folder: str, indexed: frozenset[str]) -> str:
        """A folder is a section at the top of content/, or deeper when it has an _index.md."""
        parts = PurePosixPath(folder).parts
        for depth in range(len(parts), 1, -1):
            if "/".join(parts[:depth]) in indexed:
                return "/".join(parts[:depth])
        return parts[0] if parts else ""

    # --- shortcodes --------------------------------------------------------

    def link_keys(self, file: SourceFile) -> list[str]:
        """``ref`` finds a page by its path in content/ (with or without .md), or by its file name alone."""
        path = PurePosixPath(file.name)
        keys = [file.name, str(path.with_suffix(""))]
        if path.stem in ("index", "_index"):
            keys.append(str(path.parent))
        else:
            keys += [path.name, path.stem]
        return keys

    def references(self, body: str) -> list[tuple[str, int]]:
        found = []
        for match, line in markup.found_in_prose(body, SHORTCODE):
            if match.group(3) in ("ref", "relref") and not match.group(2):
                positional, named = markup.arguments(match.group(4))
                target = named.get("path") or (positional[0] if positional else "")
                found.append((ref_target(target), line))
        return found

    def preprocess(self, body: str, links: Mapping[str, str], warn: Warn) -> str:
        if "{{" not in body:
            return body
        body = HIGHLIGHT.sub(highlight_fence, body)

        def shortcode(match: re.Match[str], line: int) -> str:
            return render_shortcode(match, line, links, warn)

        return markup.rewrite(body, SHORTCODE, shortcode, in_code=unescape_examples)


def urlize(text: str) -> str:
    """Hugo's urlize, roughly: spaces become hyphens, characters a path cannot hold go."""
    return re.sub(r"[^\w.~-]+", "", re.sub(r"\s+", "-", text.strip())).strip("-")


def is_hugo_config(path: Path) -> bool:
    """config.toml is Hugo's when it says baseURL (Zola's says base_url)."""
    try:
        return "baseURL" in path.read_text(encoding="utf-8") or "baseurl" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def read_config(path: Path) -> dict[str, Any]:
    """The site's settings, when they are TOML or YAML we can read; else none."""
    import yaml  # here, not at the top: a warm run never needs it

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def ref_target(target: str) -> str:
    return target.split("#", 1)[0].lstrip("/")


def render_shortcode(match: re.Match[str], line: int, links: Mapping[str, str], warn: Warn) -> str:
    closing, name, args = match.group(2), match.group(3), match.group(4)
    positional, named = markup.arguments(args)
    if not closing and name in ("ref", "relref"):
        target = named.get("path") or (positional[0] if positional else "")
        anchor = target.partition("#")[2]
        return links[ref_target(target)] + (f"#{anchor}" if anchor else "")
    if not closing and name == "figure":
        return figure(named)
    if not closing and name == "youtube":
        video = named.get("id") or (positional[0] if positional else "")
        return video_link(f"https://www.youtube.com/watch?v={video}", "YouTube")
    if not closing and name == "vimeo":
        video = named.get("id") or (positional[0] if positional else "")
        return video_link(f"https://vimeo.com/{video}", "Vimeo")
    if not closing:
        warn(f"Hugo shortcode '{name}' is not supported", line, "shown as text")
    return match.group(0)


def figure(named: Mapping[str, str]) -> str:
    """Hugo's figure as HTML: the image (linked when asked) and its caption."""
    image = f'<img src="{escape(named.get("src", ""))}" alt="{escape(named.get("alt", named.get("caption", "")))}">'
    if named.get("link"):
        image = f'<a href="{escape(named["link"])}">{image}</a>'
    caption = named.get("caption") or named.get("title") or ""
    text = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"\n<figure>{image}{text}</figure>\n"


def video_link(url: str, host: str) -> str:
    """A link, not a frame: the Content-Security-Policy blocks frames from other hosts."""
    return f'<a class="video" href="{escape(url)}">Watch the video on {host}</a>'


def highlight_fence(match: re.Match[str]) -> str:
    language, options, code = match.group(1), match.group(2), match.group(3)
    options = options.strip().strip("\"'")
    options = re.sub(r"hl_lines=([^,\"'\[]+)", r'hl_lines="\1"', options)  # "8 15-17", space-separated
    attributes = f" {{{options}}}" if options else ""
    fence = "````" if "```" in code else "```"
    return f"{fence}{language}{attributes}\n{code}\n{fence}"


def unescape_examples(code: str) -> str:
    """``{{</* name */>}}`` is how a Hugo author shows a shortcode: it shows as ``{{< name >}}``."""
    return ESCAPED.sub(lambda match: "{{" + match.group(1) + match.group(2) + match.group(3) + "}}", code)
