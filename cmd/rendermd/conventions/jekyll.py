"""Jekyll: posts in ``_posts/`` named ``YYYY-MM-DD-title.md``, Liquid tags in the body.

ARTICLES may be a ``_posts`` folder, a Jekyll site (every ``_posts`` and
``_drafts`` in it is read, the folders above a ``_posts`` being the posts'
categories, as Jekyll has it), or a tree of dated files without ``_posts``
(the layout of blogs that grew out of Jekyll), whose folders count as
categories too.  The default URL is Jekyll's
``/:categories/:year/:month/:day/:title.html``; ``_config.yml``'s
``permalink`` is honoured, as is a post's own ``permalink``.
"""

import datetime as dt
import os
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from cmd.rendermd.conventions import markup, paths
from cmd.rendermd.conventions.base import Convention, SourceFile, Warn, is_editor_file, walk, walk_for_detection
from cmd.rendermd.conventions.fields import Fields

POSTS, DRAFTS = "_posts", "_drafts"
SKIPPED = frozenset({"_site", "vendor", "node_modules", ".bundle", ".jekyll-cache", ".sass-cache"})
PAGE_PERMALINK = "/:path/:basename:output_ext"
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

TAG = r"\{%-?\s*"
END = r"\s*-?%\}"
HIGHLIGHT = re.compile(
    TAG + r"highlight\s+([\w+#.-]+)([^%]*?)" + END + r"\n?(.*?)\n?" + TAG + r"endhighlight" + END, re.S
)
RAW = re.compile(TAG + r"raw" + END + r"(.*?)" + TAG + r"endraw" + END, re.S)
COMMENT = re.compile(TAG + r"comment" + END + r".*?" + TAG + r"endcomment" + END, re.S)
LINK_TAG = re.compile(TAG + r"(post_url|link)\s+([^\s%]+)" + END)
ANY_TAG = re.compile(TAG + r"(\w+)[^%]*?" + END)
OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
SITE_URL = re.compile(r"""^(?:site\.(?:base)?url)$|^["']([^"']*)["']\s*\|\s*(?:relative_url|absolute_url)$""")
RAW_MARK = "\x00raw{}\x00"
# What Jekyll's pretty slugify keeps: marks, letters, digits and ._~!$&'()+,;=@ (its utils.rb).
PRETTY_UNSAFE = re.compile(
    r"(?:[^\w.~!$&'()+,;=@\u0300-\u036f]|_)+"
)  # stands in for a {% raw %} block while the other tags are rewritten


class Jekyll(Convention):
    name = "jekyll"
    label = "a Jekyll site"
    default_permalink = STYLES["date"]
    title_from_name = True
    term_separator = r"\s+"

    @classmethod
    def detect(cls, root: Path) -> "Jekyll | None":
        """A ``_posts`` folder, a folder holding one, or a tree of dated Markdown files."""
        if root.name == POSTS:
            return cls(root, root.parent, read_config(root.parent))
        if (root / POSTS).is_dir() or (root / "_config.yml").is_file():
            return cls(root, root, read_config(root))
        files = walk_for_detection(root)
        names = [file.stem for file in files if file.role == "page"]
        dated = sum(paths.dated_name(stem) is not None for stem in names)
        if names and dated * 2 > len(names) and not any(file.role == "section" for file in files):
            return cls(root)
        return None

    def describe(self) -> str:
        return f"{self.label if self.site_root else 'dated posts, as Jekyll keeps them'}; URLs like {self.permalink}"

    @property
    def permalink(self) -> str:
        style = str(self.config.get("permalink") or "date")
        return STYLES.get(style, style)

    def permalink_for(self, section: str) -> str:
        return self.permalink

    # --- the tree ----------------------------------------------------------

    def discover(self) -> list[SourceFile]:
        if self.root.name == POSTS:
            found = [self.post(file, ()) for file in walk(self.root)]
            drafts = self.root.parent / DRAFTS
            return found + [self.post(file, (), draft=True) for file in walk(drafts)] if drafts.is_dir() else found
        if self.site_root is None:  # dated files without _posts: folders are categories
            return [self.post(file, tuple(PurePosixPath(file.section).parts)) for file in walk(self.root)]
        return self.discover_site()

    def discover_site(self) -> list[SourceFile]:
        """Every _posts and _drafts folder of a Jekyll site (the folders above one are categories),
        and the site's Markdown pages (``about.md``), which Jekyll renders too."""
        found = []
        excluded = {str(name) for name in self.config.get("exclude") or () if isinstance(name, str)}
        for folder, subfolders, filenames in os.walk(self.root):
            subfolders[:] = sorted(name for name in subfolders if not is_editor_file(name) and name not in SKIPPED)
            relative = Path(folder).relative_to(self.root)
            for kind in (POSTS, DRAFTS):
                if kind in subfolders:
                    categories = tuple(part for part in relative.parts if part != ".")
                    for file in walk(Path(folder) / kind):
                        name = (relative / kind / file.name).as_posix()
                        found.append(self.post(file, categories, draft=kind == DRAFTS, name=name))
            subfolders[:] = [name for name in subfolders if not name.startswith("_") and name not in excluded]
            found += [self.page(Path(folder) / name) for name in sorted(filenames) if self.is_page(Path(folder) / name)]
        return found

    def is_page(self, path: Path) -> bool:
        """A Markdown file outside the underscore folders that starts with front matter, as Jekyll renders."""
        if path.suffix.lower() not in (".md", ".markdown") or is_editor_file(path.name):
            return False
        with path.open("rb") as file:
            return file.read(6).removeprefix(b"\xef\xbb\xbf").startswith(b"---")

    def page(self, path: Path) -> SourceFile:
        relative = path.relative_to(self.root)
        folder = relative.parent.as_posix()
        return SourceFile(path, relative.as_posix(), "page", "" if folder == "." else folder, path.stem, post=False)

    def post(self, file: SourceFile, categories: tuple[str, ...], *, draft: bool = False, name: str = "") -> SourceFile:
        return SourceFile(
            file.path,
            name or (f"{DRAFTS}/{file.name}" if draft else file.name),
            "page",
            "/".join(categories),
            file.stem,
            file.bundle,
            categories,
            draft,
        )

    def static_roots(self) -> list[tuple[Path, str]]:
        return []

    def site_file(self, url: str) -> Path | None:
        """Jekyll copies a site's other files as they are: a post's ``/assets/x.png`` is one."""
        if self.site_root is None:
            return None
        relative = PurePosixPath(unquote(url).lstrip("/"))
        if not relative.parts or any(part.startswith(("_", ".")) for part in relative.parts):
            return None
        path = self.site_root.joinpath(*relative.parts)
        return path if path.is_file() and relative.suffix.lower() not in (".md", ".markdown", ".html") else None

    # --- dates and URLs ------------------------------------------------------

    def file_date(self, file: SourceFile) -> dt.datetime | None:
        return paths.date_in_name(file.stem, file.path)

    def slug(self, file: SourceFile, fields: Fields) -> str:
        """Jekyll's :title: the name after the date (or ``slug``), capitals and any letters kept."""
        dated = paths.dated_name(file.stem)
        return pretty_slug(fields.slug or (dated[1] if dated else file.stem))

    def values(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> dict[str, str]:
        found = super().values(file, fields, date)
        title = self.slug(file, fields)
        categories = list(dict.fromkeys(c.lower() for c in (*file.categories, *fields.categories)))
        folder = PurePosixPath(file.name).parent.as_posix()
        found |= {
            "title": title,
            "slug": paths.slugify(title),
            "name": paths.slugify(title),
            "categories": "/".join(categories),
            "slugified_categories": "/".join(paths.slugify(category) for category in categories),
            "output_ext": ".html",
            "path": "" if folder == "." else folder,
            "basename": file.stem,
        }
        if date is not None:
            found |= date_values(date.astimezone(self.timezone))
        return found

    @property
    def timezone(self) -> dt.tzinfo:
        """The zone Jekyll puts a post's date in before it goes into the URL: ``timezone``, else UTC."""
        name = self.config.get("timezone")
        if not name:
            return dt.UTC
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only here: 2 ms of imports every other tree skips

        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            return dt.UTC

    def own_url(self, url: str, file: SourceFile) -> str:
        return paths.tidy(url)

    def engine_url(self, file: SourceFile, fields: Fields, date: dt.datetime | None) -> str:
        default = self.permalink if file.post else PAGE_PERMALINK
        template = fields.url or default  # a post's permalink may use placeholders too
        return paths.expand(template, self.values(file, fields, date))

    # --- Liquid ------------------------------------------------------------

    def link_keys(self, file: SourceFile) -> list[str]:
        """``{% post_url %}`` names a post by its name in _posts, ``{% link %}`` by its path in the site."""
        in_posts = file.name.split(f"{POSTS}/", 1)[-1]
        site_path = file.name if self.root.name != POSTS else f"{POSTS}/{file.name}"
        return [site_path, str(PurePosixPath(in_posts).with_suffix(""))]

    def references(self, body: str) -> list[tuple[str, int]]:
        text = RAW.sub(lambda match: "\n" * match.group(0).count("\n"), body)
        return [(match.group(2), line) for match, line in markup.found_in_prose(text, LINK_TAG)]

    def preprocess(self, body: str, links: Mapping[str, str], warn: Warn) -> str:
        if "{%" not in body and "{{" not in body:
            return body
        body = HIGHLIGHT.sub(highlight_fence, body)
        kept: list[str] = []

        def keep(match: re.Match[str]) -> str:
            kept.append(match.group(1))
            return RAW_MARK.format(len(kept) - 1) + "\n" * match.group(1).count("\n")

        body = markup.rewrite(body, RAW, lambda match, line: keep(match), in_code=strip_raw_marks)
        body = markup.rewrite(body, COMMENT, lambda match, line: "\n" * match.group(0).count("\n"))
        body = markup.rewrite(body, LINK_TAG, lambda match, line: links[match.group(2)])
        body = markup.rewrite(body, ANY_TAG, lambda match, line: unknown_tag(match, line, warn))
        body = markup.rewrite(body, OUTPUT, lambda match, line: liquid_output(match, line, warn))
        for index, text in enumerate(kept):
            body = body.replace(RAW_MARK.format(index) + "\n" * text.count("\n"), text)
        return body


def pretty_slug(name: str) -> str:
    """Jekyll's "pretty" slugify, case kept: runs of characters it does not keep become one hyphen."""
    return PRETTY_UNSAFE.sub("-", name).strip("-")


def read_config(site: Path) -> dict[str, Any]:
    """``_config.yml``'s settings, or nothing when it is missing or unreadable (Jekyll's own problem)."""
    import yaml  # here, not at the top: a warm run never needs it

    try:
        data = yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def date_values(date: dt.datetime) -> dict[str, str]:
    """Jekyll's date placeholders."""
    iso_year, week, weekday = date.isocalendar()
    return {
        "year": f"{date.year:04d}",
        "short_year": f"{date.year % 100:02d}",
        "month": f"{date.month:02d}",
        "i_month": str(date.month),
        "short_month": MONTHS[date.month - 1],
        "long_month": LONG_MONTHS[date.month - 1],
        "day": f"{date.day:02d}",
        "i_day": str(date.day),
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "week": f"{week:02d}",
        "w_year": str(iso_year),
        "short_day": DAYS[weekday - 1],
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
    }


def highlight_fence(match: re.Match[str]) -> str:
    """``{% highlight ruby linenos %}...{% endhighlight %}`` as a fenced block, line for line."""
    language, options, code = match.group(1), match.group(2), match.group(3)
    attributes = " {linenos=true}" if "linenos" in options else ""
    fence = "````" if "```" in code else "```"
    return f"{fence}{language}{attributes}\n{code}\n{fence}"


def strip_raw_marks(code: str) -> str:
    """Inside fenced code, ``{% raw %}`` only protected the example from Liquid: drop the tags."""
    return re.sub(TAG + r"(?:end)?raw" + END, "", code)


def unknown_tag(match: re.Match[str], line: int, warn: Warn) -> str:
    if match.group(0).startswith("\x00"):
        return match.group(0)
    warn(f"Liquid tag '{match.group(1)}' is not supported", line, "shown as text")
    return match.group(0)


def liquid_output(match: re.Match[str], line: int, warn: Warn) -> str:
    """``{{ site.baseurl }}`` and ``{{ "/x" | relative_url }}`` become root-relative paths."""
    expression = SITE_URL.match(match.group(1))
    if expression:
        return escape(expression.group(1) or "", quote=False)
    warn(f"Liquid output '{match.group(0)}' is not supported", line, "shown as text")
    return match.group(0)
